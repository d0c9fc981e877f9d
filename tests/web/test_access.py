"""Roles and brand scopes on every route; permissions declared beside the views; personal API
tokens.

Two brands: 云雀 (yunque, with its product yunque-x5) and 华美 (huamei). A handler of 云雀
must get 404 for 华美's review, incident and stream items, and 403 for exports."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from models.config import EntityConfig
from models.runtime import Runtime
from tests.factories import make_review
from tests.web.conftest import PASSWORD, csrf_of, log_in
from web.app import create_app
from web.security import access, accounts

WEB = Path(__file__).resolve().parents[2] / "web"

HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])


@pytest.fixture
def brands(runtime, add_incident):
    rt = Runtime(runtime.config.model_copy(
        update={"entities": [*runtime.config.entities, HUAMEI]}), runtime.config_path,
        runtime.home)
    app = create_app(rt, {"TESTING": True})
    ours = make_review(entities=["yunque"], text="云雀的屏幕发热")
    product = make_review(entities=["yunque", "yunque-x5"], text="云雀 X5 很好")
    theirs = make_review(entities=["huamei"], text="华美冰箱漏水", tokens=["华美", "冰箱", "漏水"])
    rt.store.upsert([ours, product, theirs])
    ids = {"ours": add_incident(entities=["yunque"], title="云雀事件"),
           "theirs": add_incident(entities=["huamei"], title="华美事件")}

    def client_for(username, role, entities):
        accounts.add_user(rt.state, username, role, list(entities), PASSWORD)
        client = app.test_client()
        assert log_in(client, username).status_code == 302
        return client
    yield app, client_for, {"ours": ours, "product": product, "theirs": theirs}, ids
    rt.close()


def _declares_permission(decorator: ast.expr) -> bool:
    called = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(called, ast.Attribute) and called.attr == "permission"
            or isinstance(called, ast.Name) and called.id == "permission")


def declared_views() -> set[str]:
    """``module.function`` of every function under web/ decorated with ``access.permission``,
    read from the source: a declared view whose module the app never imports counts too."""
    found = set()
    for path in WEB.rglob("*.py"):
        module = ".".join(path.relative_to(WEB.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(map(_declares_permission,
                                                             node.decorator_list)):
                found.add(f"{module}.{node.name}")
    return found


def test_every_route_has_a_declared_permission(app):
    undeclared = {rule.endpoint for rule in app.url_map.iter_rules()
                  if access.declared(app.view_functions[rule.endpoint]) is None}
    assert not undeclared, undeclared


def test_every_declared_view_is_a_route(app):
    routed = {f"{view.__module__}.{view.__qualname__}" for view in app.view_functions.values()}
    declared = declared_views()
    assert len(declared) >= 30  # the scan found the views
    unrouted = declared - routed
    assert not unrouted, unrouted


def test_a_view_without_a_declared_permission_answers_404(runtime, add_user):
    app = create_app(runtime, {"TESTING": True})
    app.add_url_rule("/undeclared", "undeclared", lambda: "reachable")
    app.add_url_rule("/api/undeclared", "api_undeclared", lambda: {"reachable": True})
    add_user("root", "admin")
    admin = app.test_client()
    assert log_in(admin, "root").status_code == 302
    assert admin.get("/undeclared").status_code == 404
    assert admin.get("/api/undeclared").status_code == 404
    assert app.test_client().get("/undeclared").status_code == 404


def test_an_unknown_permission_is_refused_where_it_is_declared():
    with pytest.raises(ValueError, match="unknown permission 'raed'"):
        access.permission("raed")


def test_anonymous_reader_gets_nothing_but_public_routes(app, anonymous, add_incident):
    incident_id = add_incident()
    values = {"incident_id": incident_id, "review_id": "x", "token_id": 1, "token": "x",
              "silence_id": 1, "name": "negative-spike", "entity_id": "yunque",
              "filename": "koubei.css", "job_id": 1}
    for rule in app.url_map.iter_rules():
        url = rule.build(values)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        if access.declared(app.view_functions[rule.endpoint]) == access.PUBLIC:
            continue
        response = anonymous.open(url, method=method)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
            assert response.get_json()["error"]["code"] == "unauthorized"
        elif method == "GET":
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url
        else:
            assert response.status_code in (302, 400), url  # no session: no CSRF token either


def test_brand_handler_sees_only_its_brand_everywhere(brands):
    app, client_for, reviews, incidents = brands
    handler = client_for("li", "handler", ["yunque"])
    ours, product, theirs = reviews["ours"], reviews["product"], reviews["theirs"]

    # single records: 404, as if they did not exist
    assert handler.get(f"/reviews/{ours.id}").status_code == 200
    assert handler.get(f"/reviews/{theirs.id}").status_code == 404
    assert handler.get(f"/api/reviews/{theirs.id}").status_code == 404
    assert handler.get(f"/incidents/{incidents['ours']}").status_code == 200
    assert handler.get(f"/incidents/{incidents['theirs']}").status_code == 404
    assert handler.get(f"/api/incidents/{incidents['theirs']}").status_code == 404

    # lists, search, the live-feed stream and trends
    listed = {r["id"] for r in handler.get("/api/reviews").get_json()["reviews"]}
    assert listed == {ours.id, product.id}  # the product belongs to the brand
    assert handler.get("/api/reviews?entity=huamei").get_json()["reviews"] == []
    assert handler.get("/api/reviews?q=漏水").get_json()["reviews"] == []
    stream = handler.get("/api/feed").get_json()
    assert {r["id"] for r in stream["reviews"]} == {ours.id, product.id}
    feed_page = handler.get("/").get_data(as_text=True)
    assert "云雀的屏幕发热" in feed_page and "华美冰箱漏水" not in feed_page
    assert "华美家电" not in feed_page  # not even offered as a filter
    trend = handler.get("/api/trends?range=30d&until=2026-11-03").get_json()
    assert sum(b["total"] for b in trend["buckets"]) == 2
    assert [i["id"] for i in handler.get("/api/incidents").get_json()["incidents"]] == [
        incidents["ours"]]
    page = handler.get("/incidents").get_data(as_text=True)
    assert "云雀事件" in page and "华美事件" not in page

    # acting on another brand's incident, and exports (a handler has no export right)
    token = csrf_of(handler, "/")
    assert handler.post(f"/incidents/{incidents['theirs']}/act",
                        data={"action": "acknowledge", "csrf_token": token}).status_code == 404
    assert handler.get("/export/reviews.jsonl").status_code == 403


def test_brand_analyst_exports_only_its_brand(brands):
    app, client_for, reviews, _ = brands
    analyst = client_for("wang", "analyst", ["huamei"])
    response = analyst.get("/export/reviews.jsonl")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in lines] == [reviews["theirs"].id]
    assert analyst.get(f"/api/reviews/{reviews['ours'].id}").status_code == 404
    everything = client_for("boss", "admin", ["*"]).get("/export/reviews.jsonl")
    assert len(everything.get_data(as_text=True).splitlines()) == 3


def test_roles(brands):
    app, client_for, _, incidents = brands
    analyst = client_for("wang", "analyst", ["*"])
    token = csrf_of(analyst, "/")
    # analysts read but do not act on incidents
    assert analyst.get(f"/incidents/{incidents['ours']}").status_code == 200
    assert 'id="action-acknowledge"' not in analyst.get(
        f"/incidents/{incidents['ours']}").get_data(as_text=True)
    assert analyst.post(f"/incidents/{incidents['ours']}/act",
                        data={"action": "acknowledge", "csrf_token": token}).status_code == 403
    api = analyst.post(f"/api/incidents/{incidents['ours']}/actions",
                       json={"action": "acknowledge"}, headers={"X-CSRF-Token": token})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    handler = client_for("li", "handler", ["*"])
    assert 'id="action-acknowledge"' in handler.get(
        f"/incidents/{incidents['ours']}").get_data(as_text=True)


def test_api_token_is_shown_once_and_works_until_revoked(app, runtime, signed_in):
    client = signed_in("zhang", "analyst")
    created = client.post("/account/tokens", data={"name": "报表脚本",
                                                   "csrf_token": csrf_of(client, "/account")})
    page = created.get_data(as_text=True)
    token = page.split('<code class="new-token">')[1].split("</code>")[0]
    assert token.startswith("kb_") and len(token) > 40
    listing = client.get("/account").get_data(as_text=True)
    assert token not in listing and token[:10] in listing and "报表脚本" in listing

    bearer = {"Authorization": f"Bearer {token}"}
    fresh = app.test_client()
    assert fresh.get("/api/reviews", headers=bearer).status_code == 200
    assert fresh.get("/api/reviews", headers={"Authorization": "Bearer kb_forged"}).status_code == 401
    # a token is for the API only, and needs no CSRF token (no cookie rides along)
    assert fresh.get("/", headers=bearer).status_code == 401
    zhang = accounts.authenticate(runtime.state, "zhang", PASSWORD)
    [stored] = accounts.list_tokens(runtime.state, zhang.id)
    assert stored.token_hash != token and stored.last_used_at is not None
    revoke = client.post(f"/account/tokens/{stored.id}/revoke",
                         data={"csrf_token": csrf_of(client, "/account")})
    assert revoke.status_code == 302
    assert fresh.get("/api/reviews", headers=bearer).status_code == 401


def test_api_token_acts_without_csrf(app, runtime, add_user, add_incident):
    add_user("li", "handler")
    token = accounts.issue_token(runtime.state, "li")
    incident_id = add_incident()
    response = app.test_client().post(f"/api/incidents/{incident_id}/actions",
                                      json={"action": "acknowledge"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    incident = response.get_json()["incident"]
    assert incident["status"] == "acknowledged"
    assert [(e["kind"], e["actor"]) for e in incident["events"][-2:]] == [
        ("acknowledged", "li"), ("assigned", "li")]  # acknowledging an unassigned one takes it
