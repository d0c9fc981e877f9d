"""Brand scope (audit findings 1 and 2, and the scope items of the Low list): a handler of
one brand can neither read nor act on another brand's silences, reviews or incidents, even
through an incident that spans both brands."""
from __future__ import annotations

from datetime import timedelta

from alerting.respond import workflow
from alerting.respond.silences import active_silences, add_silence, matching
from models.review import utcnow
from models.state import Incident
from tests.factories import make_review
from tests.security.conftest import csrf_of
from tests.web.test_workflow import link_token


def _silence(client, **form):
    form.setdefault("duration", "1h")
    form.setdefault("reason", "发布观察")
    return client.post("/silences", data={**form, "csrf_token": csrf_of(client, "/silences")},
                       follow_redirects=True)


def test_a_scoped_handler_cannot_silence_every_brand_or_another_brands_rule(brands):
    ours = brands.client_for("li", "handler", ["yunque"])
    every = _silence(ours, entity="")
    assert "不能静默你无权查看的品牌/产品" in every.get_data(as_text=True)
    theirs = _silence(ours, entity="yunque", rule="huamei-spike")
    assert "不能静默你无权查看的品牌/产品" in theirs.get_data(as_text=True)
    assert active_silences(brands.runtime.state) == []
    assert _silence(ours, entity="yunque", rule="negative-spike").status_code == 200
    assert [(s.entity, s.rule) for s in active_silences(brands.runtime.state)] == [
        ("yunque", "negative-spike")]


def test_a_scoped_reader_sees_only_silences_of_its_brands(brands):
    state, soon = brands.runtime.state, utcnow() + timedelta(hours=1)
    add_silence(state, soon, "华美内部：渠道事故", "zhao", entity="huamei")
    add_silence(state, soon, "华美规则静默", "zhao", rule="huamei-spike")
    add_silence(state, soon, "全局维护窗口", "zhao")
    page = brands.client_for("li", "analyst", ["yunque"]).get("/silences").get_data(as_text=True)
    assert "华美内部" not in page and "华美规则静默" not in page
    assert "全局维护窗口" in page  # it holds back this reader's incidents too
    admin = brands.client_for("zhao", "admin").get("/silences").get_data(as_text=True)
    assert "华美内部" in admin and "华美规则静默" in admin


def test_a_scoped_handler_cannot_end_a_silence_covering_every_brand(brands):
    state = brands.runtime.state
    every = add_silence(state, utcnow() + timedelta(hours=1), "全局维护窗口", "zhao")
    ours = brands.client_for("li", "handler", ["yunque"])
    ours.post(f"/silences/{every.id}/end", data={"csrf_token": csrf_of(ours, "/silences")})
    assert [s.id for s in active_silences(state)] == [every.id]


def test_a_brands_silence_does_not_hold_back_an_incident_that_also_concerns_another(brands):
    state, parents = brands.runtime.state, {"yunque-x5": "yunque", "huamei": None}
    silence = add_silence(state, utcnow() + timedelta(hours=1), "云雀已知故障", "li",
                          entity="yunque")
    silences = active_silences(state)
    assert matching(silences, "crisis", ["yunque", "yunque-x5"], parents=parents).id == silence.id
    assert matching(silences, "crisis", ["yunque", "huamei"], parents=parents) is None


def _mixed_incident(brands, add_incident):
    ours = make_review(entities=["yunque"], text="云雀屏幕发热", author="云雀用户")
    theirs = make_review(entities=["huamei"], text="华美冰箱漏水严重", author="华美老客户",
                         url="https://example.com/huamei/secret-review")
    brands.runtime.store.upsert([ours, theirs])
    excerpt = [{"id": r.id, "text": r.text, "url": r.url, "author": r.author,
                "source": r.source, "published_at": r.published_at.isoformat()}
               for r in (ours, theirs)]
    return add_incident(entities=["yunque", "huamei"], title="两个品牌的危机",
                        review_ids=[ours.id, theirs.id],
                        explanation={"summary": "两个品牌", "reviews": excerpt,
                                     "duplicates": {"reviews": 2, "independent_voices": 2,
                                                    "repeated": [{"count": 2,
                                                                  "text": theirs.text,
                                                                  "review_ids": [theirs.id]}]}})


def test_an_incident_spanning_two_brands_shows_a_reader_only_its_own_brands_reviews(
        brands, add_incident):
    incident_id = _mixed_incident(brands, add_incident)
    ours = brands.client_for("li", "handler", ["yunque"])
    page = ours.get(f"/incidents/{incident_id}").get_data(as_text=True)
    api = ours.get(f"/api/incidents/{incident_id}").get_data(as_text=True)
    for body in (page, api):
        assert "云雀屏幕发热" in body
        assert "华美冰箱漏水" not in body and "华美老客户" not in body
        assert "secret-review" not in body
    admin = brands.client_for("zhao", "admin").get(f"/api/incidents/{incident_id}").get_json()
    assert len(admin["incident"]["explanation"]["reviews"]) == 2
    assert len(admin["incident"]["review_ids"]) == 2


def test_acting_on_an_incident_needs_scope_over_all_of_its_brands(brands, add_incident):
    incident_id = _mixed_incident(brands, add_incident)
    ours = brands.client_for("li", "handler", ["yunque"])
    api = ours.post(f"/api/incidents/{incident_id}/actions",
                    json={"action": "resolve", "note": "已处理"},
                    headers={"X-CSRF-Token": csrf_of(ours, "/")})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    page = ours.post(f"/incidents/{incident_id}/act", data={
        "action": "resolve", "note": "x", "csrf_token": csrf_of(ours, f"/incidents/{incident_id}")})
    assert page.status_code == 403
    assert brands.client_for("zhao", "admin").get(
        f"/api/incidents/{incident_id}").get_json()["incident"]["status"] == "open"
    both = brands.client_for("wu", "handler", ["yunque", "huamei"])
    assert both.post(f"/api/incidents/{incident_id}/actions", json={"action": "acknowledge"},
                     headers={"X-CSRF-Token": csrf_of(both, "/")}).status_code == 200


def test_the_assignee_menu_lists_only_handlers_who_see_all_of_the_incidents_brands(
        brands, add_incident):
    incident_id = add_incident(entities=["huamei"], title="华美事件")
    brands.client_for("li", "handler", ["yunque"])
    admin = brands.client_for("zhao", "admin")
    brands.client_for("hua", "handler", ["huamei"])
    page = admin.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert 'value="hua"' in page and 'value="li"' not in page


def test_trends_grouped_by_entity_show_no_other_brands_key(brands):
    brands.runtime.store.upsert([
        make_review(entities=["yunque", "huamei"], text="云雀和华美对比",
                    published_at=utcnow() - timedelta(hours=2)),
        make_review(entities=["yunque"], text="云雀不错", published_at=utcnow() - timedelta(hours=2))])
    ours = brands.client_for("li", "analyst", ["yunque"])
    body = ours.get("/api/trends?group_by=entity&range=30d").get_data(as_text=True)
    assert "yunque" in body and "huamei" not in body
    admin = brands.client_for("zhao", "admin").get("/api/trends?group_by=entity&range=30d")
    assert "huamei" in admin.get_data(as_text=True)


def test_an_acknowledge_link_from_before_a_resolution_cannot_acknowledge_the_reopened_incident(
        app, add_incident, runtime):
    incident_id = add_incident(opened_at=utcnow() - timedelta(hours=1))
    token = link_token(app, incident_id, "acknowledge", age=120)
    workflow.resolve(runtime.state, incident_id, "li", "已处理")
    workflow.reopen(runtime.state, incident_id, "li")
    phone = app.test_client()
    assert phone.get(f"/a/{token}").status_code == 410
    response = phone.post(f"/a/{token}", data={"csrf_token": csrf_of(phone, "/login")})
    assert response.status_code == 410
    with runtime.state.session() as session:
        assert session.get(Incident, incident_id).status == "open"
    fresh = link_token(app, incident_id, "acknowledge")
    assert phone.get(f"/a/{fresh}").status_code == 200
