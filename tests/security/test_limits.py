"""Request size limits (audit finding 4): a large body is refused with 413 before it is read,
form fields and parts are bounded, and a comment or note is a note (400 beyond
``MAX_TEXT``), never a 30 MB document stored and served."""
from __future__ import annotations

import io

from alerting.respond.workflow import MAX_NOTE as MAX_TEXT
from models.runtime import Runtime
from tests.security.conftest import csrf_of
from web.app import create_app


def test_an_anonymous_huge_login_body_is_refused_before_it_is_read(anonymous):
    body = io.BytesIO(b"username=a&password=" + b"x" * (8 * 1024 * 1024))
    response = anonymous.post("/login", data=body,
                              content_type="application/x-www-form-urlencoded",
                              headers={"Content-Length": str(len(body.getvalue()))})
    assert response.status_code == 413
    assert "提交的内容太大" in response.get_data(as_text=True)


def test_a_huge_json_action_gets_a_413_in_the_apis_error_shape(client, add_incident):
    incident_id = add_incident()
    response = client.post(f"/api/incidents/{incident_id}/actions",
                           json={"action": "comment", "text": "长" * (30 * 1024 * 1024 // 3)},
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_a_form_field_or_a_form_too_large_is_refused(client, add_incident):
    incident_id = add_incident()
    token = csrf_of(client, f"/incidents/{incident_id}")
    url = f"/incidents/{incident_id}/act"
    big = client.post(url, content_type="multipart/form-data", data={
        "action": "comment", "text": "x" * (200 * 1024), "csrf_token": token})
    assert big.status_code == 413
    many = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, "action": "comment", "text": "ok",
        **{f"f{i}": "1" for i in range(1000)}})
    assert many.status_code == 413  # (a URL-encoded form is bounded by the body limit)
    long = client.post(url, data={"action": "comment", "text": "x" * (200 * 1024),
                                  "csrf_token": token})
    assert long.status_code == 400  # under the body limit, over a note's length


def test_a_comment_longer_than_a_note_is_a_400_and_is_not_stored(client, add_incident):
    incident_id = add_incident()
    headers = {"X-CSRF-Token": csrf_of(client, "/")}
    url = f"/api/incidents/{incident_id}/actions"
    long = client.post(url, json={"action": "comment", "text": "长" * (MAX_TEXT + 1)},
                       headers=headers)
    assert long.status_code == 400
    assert long.get_json()["error"]["parameter"] == "text"
    fits = client.post(url, json={"action": "comment", "text": "长" * MAX_TEXT}, headers=headers)
    assert fits.status_code == 200
    events = client.get(f"/api/incidents/{incident_id}").get_json()["incident"]["events"]
    assert [len(e["detail"]["text"]) for e in events if e["kind"] == "comment"] == [MAX_TEXT]


def test_a_silence_reason_is_bounded_too(client):
    page = client.post("/silences", data={"duration": "1h", "reason": "x" * 5000,
                                          "csrf_token": csrf_of(client, "/silences")},
                       follow_redirects=True)
    assert "at most 2000 characters" in page.get_data(as_text=True)


def _behind_proxy(runtime, hops: int):
    web = runtime.config.web.model_copy(update={"trusted_proxies": hops})
    rt = Runtime(runtime.config.model_copy(update={"web": web}), runtime.config_path,
                 runtime.home)
    return create_app(rt, {"TESTING": True}), rt


def _fail_logins(app, address: str, times: int = 5) -> int:
    client = app.test_client()
    status = 0
    for i in range(times):
        status = client.post("/login", data={"username": f"nobody{i}", "password": "x",
                                             "csrf_token": csrf_of(client, "/login")},
                             headers={"X-Forwarded-For": address}).status_code
    return status


def test_behind_a_trusted_proxy_the_login_lock_is_per_client_not_per_proxy(runtime):
    app, rt = _behind_proxy(runtime, 1)
    try:
        assert _fail_logins(app, "203.0.113.7") == 401
        assert _fail_logins(app, "203.0.113.7", 1) == 429   # that client is locked out
        assert _fail_logins(app, "198.51.100.9", 1) == 401  # everyone else is not
    finally:
        rt.close()


def test_without_trusted_proxies_a_forwarded_address_cannot_dodge_the_lock(runtime):
    app, rt = _behind_proxy(runtime, 0)
    try:
        _fail_logins(app, "203.0.113.7")
        assert _fail_logins(app, "198.51.100.9", 1) == 429  # the header is not believed
    finally:
        rt.close()
