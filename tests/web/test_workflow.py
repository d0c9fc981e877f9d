"""The handler's workflow on the incident page and over the API, the all-clear it sends, and
the signed action links of notifications (valid, expired, tampered)."""
from __future__ import annotations

import time

import pytest
from itsdangerous import timed

from alerting.respond.action_links import make_token
from alerting.respond.channels.webhook import WebhookConfig
from models.instance_key import instance_key
from models.runtime import Runtime
from models.state import Incident
from tests.alerting.conftest import WebhookReceiver
from tests.web.conftest import PASSWORD, csrf_of, log_in
from web.app import create_app
from web.security import accounts


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture
def desk(runtime, receiver, add_incident):
    """An app whose config has one webhook channel (a real local receiver), an incident that
    channel was told about, and a signed-in handler ``li``."""
    rt = Runtime(runtime.config.model_copy(update={"channels": [
        WebhookConfig(name="hook", type="webhook", url=receiver.url)]}),
        runtime.config_path, runtime.home)
    app = create_app(rt, {"TESTING": True})
    for name, role in (("li", "handler"), ("zhao", "handler"), ("wang", "analyst")):
        accounts.add_user(rt.state, name, role, ["*"], PASSWORD, display_name=name.upper())
    incident_id = add_incident(events=(("opened", {}), ("notified", {"channel": "hook"}),
                                       ("notified", {"channel": "hook"})))
    client = app.test_client()
    log_in(client, "li")
    yield app, client, incident_id
    rt.close()


def act(client, incident_id, **form):
    token = csrf_of(client, f"/incidents/{incident_id}")
    return client.post(f"/incidents/{incident_id}/act", data={"csrf_token": token, **form},
                       follow_redirects=True)


def test_acknowledge_assign_comment_resolve_and_reopen(desk, receiver):
    app, client, incident_id = desk
    page = act(client, incident_id, action="acknowledge").get_data(as_text=True)
    assert "已确认。" in page and "status-acknowledged" in page
    assert 'id="action-acknowledge"' not in page
    page = act(client, incident_id, action="assign", assignee="zhao").get_data(as_text=True)
    assert '<dd class="assignee">zhao</dd>' in page
    assert '<option value="wang"' not in page  # analysts cannot be assigned incidents
    page = act(client, incident_id, action="comment", text="<b>已联系</b>客户").get_data(as_text=True)
    assert "&lt;b&gt;已联系&lt;/b&gt;客户" in page  # escaped, never markup
    page = act(client, incident_id, action="resolve", note="更换批次后恢复").get_data(as_text=True)
    assert "已解决，解除通知已发出。" in page and 'id="action-reopen"' in page

    [all_clear] = receiver.payloads()  # once per channel, though it was notified twice
    assert (all_clear["id"], all_clear["kind"], all_clear["status"]) == (incident_id, "resolved",
                                                                         "resolved")
    assert (all_clear["resolution"], all_clear["note"]) == ("resolved", "更换批次后恢复")
    incident = client.get(f"/api/incidents/{incident_id}").get_json()["incident"]
    timeline = [(e["kind"], e["actor"], e["detail"]) for e in incident["events"][3:]]
    assert timeline == [
        ("acknowledged", "li", {}),
        ("assigned", "li", {"assignee": "li", "by": "acknowledged"}),  # nobody was assigned
        ("assigned", "li", {"assignee": "zhao"}),
        ("comment", "li", {"text": "<b>已联系</b>客户"}),
        ("resolved", "li", {"note": "更换批次后恢复"}),
        ("notified", "system", {"channel": "hook", "attempts": 1, "kind": "resolved"})]
    assert incident["status"] == "resolved" and incident["resolved_at"]

    page = act(client, incident_id, action="reopen").get_data(as_text=True)
    assert "已重新打开。" in page and "status-open" in page
    again = act(client, incident_id, action="reopen").get_data(as_text=True)
    assert "操作未完成" in again  # reopening an open incident does not apply


def test_false_alarm_over_the_api(desk, receiver):
    app, client, incident_id = desk
    response = client.post(f"/api/incidents/{incident_id}/actions",
                           json={"action": "false_alarm", "note": "竞品刷评"},
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 200
    body = response.get_json()
    assert body["all_clear_sent_to"] == ["hook"]
    assert body["incident"]["events"][3]["kind"] == "false_alarm"
    assert receiver.payloads()[0]["resolution"] == "false_alarm"
    conflict = client.post(f"/api/incidents/{incident_id}/actions", json={"action": "resolve"},
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert conflict.status_code == 409 and "is resolved" in conflict.get_json()["error"]["message"]
    unknown = client.post(f"/api/incidents/{incident_id}/actions", json={"action": "explode"},
                          headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["parameter"] == "action"


def test_assigning_to_an_unknown_user_is_refused(desk):
    app, client, incident_id = desk
    page = act(client, incident_id, action="assign", assignee="ghost").get_data(as_text=True)
    assert "cannot assign to &#39;ghost&#39;" in page


def test_assigning_to_someone_who_cannot_handle_the_incident_is_refused(desk):
    app, client, incident_id = desk  # the incident is about yunque
    state = app.extensions["koubei"].state
    accounts.add_user(state, "other-brand", "handler", ["huamei"], PASSWORD)
    accounts.add_user(state, "own-brand", "handler", ["yunque"], PASSWORD)
    for assignee in ("other-brand", "wang"):  # another brand's handler; an analyst
        page = act(client, incident_id, action="assign", assignee=assignee)
        assert f"&#39;{assignee}&#39; cannot handle it" in page.get_data(as_text=True)
    api = client.post(f"/api/incidents/{incident_id}/actions",
                      json={"action": "assign", "assignee": "other-brand"},
                      headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert api.status_code == 409
    ok = client.post(f"/api/incidents/{incident_id}/actions",
                     json={"action": "assign", "assignee": "own-brand"},
                     headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert ok.status_code == 200
    assigned = [e for e in ok.get_json()["incident"]["events"] if e["kind"] == "assigned"]
    assert [e["detail"]["assignee"] for e in assigned] == ["own-brand"]


def link_token(app, incident_id, action, age: float = 0) -> str:
    key = instance_key(app.extensions["koubei"].home)
    if not age:
        return make_token(key, incident_id, action)
    real = time.time
    timed.time.time = lambda: real() - age  # the link was made ``age`` seconds ago
    try:
        return make_token(key, incident_id, action)
    finally:
        timed.time.time = real


def test_acknowledge_link_confirms_then_acknowledges(desk):
    app, _, incident_id = desk
    phone = app.test_client()  # not signed in: the signed link is the credential
    token = link_token(app, incident_id, "acknowledge")
    page = phone.get(f"/a/{token}")
    assert page.status_code == 200 and 'id="confirm-acknowledge"' in page.get_data(as_text=True)
    # opening the link (as a chat app's preview does) changed nothing
    with app.extensions["koubei"].state.session() as session:
        assert session.get(Incident, incident_id).status == "open"
    csrf = csrf_of(phone, f"/a/{token}")
    done = phone.post(f"/a/{token}", data={"csrf_token": csrf})
    # signed out, the incident page is behind the sign-in: this page says what happened
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "已确认事件" in text and "通知链接 于" in text
    assert f'href="/login?next=/incidents/{incident_id}"' in text
    assert 'class="site-nav"' not in text and "实时动态</a>" not in text  # no nav behind sign-in
    with app.extensions["koubei"].state.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident.status == "acknowledged" and incident.events[-1].actor == "link"
        assert "assigned" not in [e.kind for e in incident.events]  # "link" is nobody
    again = phone.post(f"/a/{token}", data={"csrf_token": csrf}).get_data(as_text=True)
    assert "这个事件已经确认过了" in again and "通知链接 于" in again


def test_acknowledge_link_when_signed_in_says_so_on_the_incident_page(desk):
    app, client, incident_id = desk
    token = link_token(app, incident_id, "acknowledge")
    done = client.post(f"/a/{token}", data={"csrf_token": csrf_of(client, f"/a/{token}")},
                       follow_redirects=True).get_data(as_text=True)
    assert "已确认。" in done and '<dd class="assignee">li</dd>' in done
    again = client.post(f"/a/{token}", data={"csrf_token": csrf_of(client, f"/a/{token}")},
                        follow_redirects=True).get_data(as_text=True)
    assert "这个事件已经是“已确认”状态，无需再次确认。" in again


def test_open_link_leads_to_the_incident_through_sign_in(desk):
    app, client, incident_id = desk
    token = link_token(app, incident_id, "open")
    anonymous = app.test_client().get(f"/a/{token}", follow_redirects=False)
    assert anonymous.headers["Location"] == f"/incidents/{incident_id}"
    assert app.test_client().get(f"/incidents/{incident_id}").headers["Location"].startswith(
        f"/login?next=/incidents/{incident_id}")
    assert client.get(f"/a/{token}", follow_redirects=True).status_code == 200


def test_expired_and_tampered_links_are_refused(desk):
    app, client, incident_id = desk
    expired = link_token(app, incident_id, "acknowledge", age=2 * 24 * 3600)
    response = client.get(f"/a/{expired}")
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)
    good = link_token(app, incident_id, "acknowledge")
    payload, stamp, signature = good.split(".")
    other = link_token(app, incident_id + 1, "acknowledge").split(".")[0]
    for bad in (f"{other}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}xx",
                "garbage"):
        response = client.get(f"/a/{bad}")
        assert response.status_code == 400 and "无效" in response.get_data(as_text=True), bad
        assert client.post(f"/a/{bad}", data={"csrf_token": csrf_of(client, "/")}).status_code == 400
    foreign = make_token("another instance's key", incident_id, "acknowledge")
    assert client.get(f"/a/{foreign}").status_code == 400
    with app.extensions["koubei"].state.session() as session:
        assert session.get(Incident, incident_id).status == "open"
