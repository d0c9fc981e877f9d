"""Signing in and out, CSRF, password change, throttling, disabled users."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from models.state import LoginFailure, User
from tests.web.conftest import PASSWORD, csrf_of, log_in
from web.app import create_app
from web.security import accounts
from web.security.throttle import LoginThrottle


def test_pages_ask_for_a_sign_in_and_return_after_it(anonymous, add_user):
    response = anonymous.get("/incidents?status=open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/incidents?status%3Dopen"
    login_page = anonymous.get("/login?next=/incidents?status%3Dopen").get_data(as_text=True)
    assert "登录" in login_page and 'value="/incidents?status=open"' in login_page
    add_user("zhang", "analyst")
    response = anonymous.post("/login", data={
        "username": "zhang", "password": PASSWORD, "next": "/incidents?status=open",
        "csrf_token": csrf_of(anonymous)})
    assert response.status_code == 302 and response.headers["Location"] == "/incidents?status=open"
    page = anonymous.get("/incidents").get_data(as_text=True)
    assert "zhang（分析员）" in page and "退出登录" in page


def test_stored_password_is_a_hash(runtime, add_user):
    add_user("zhang")
    with runtime.state.session() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "zhang")).one()
    assert PASSWORD not in stored and stored.startswith("scrypt:")


def test_wrong_password_and_unknown_user_get_the_same_answer(anonymous, add_user):
    add_user("zhang")
    wrong = log_in(anonymous, "zhang", "wrong-password")
    nobody = log_in(anonymous, "nobody", "wrong-password")
    assert wrong.status_code == nobody.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert anonymous.get("/").status_code == 302  # still signed out


def test_login_never_redirects_off_site(anonymous, add_user):
    add_user("zhang")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = anonymous.post("/login", data={"username": "zhang", "password": PASSWORD,
                                                  "next": target,
                                                  "csrf_token": csrf_of(anonymous)})
        assert response.headers["Location"] == "/", target


def test_login_without_csrf_token_is_refused(anonymous, add_user):
    add_user("zhang")
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": "zhang", "password": PASSWORD})
    assert response.status_code == 400
    assert anonymous.get("/").status_code == 302


def test_every_form_endpoint_rejects_a_missing_or_wrong_csrf_token(app, client, add_incident):
    incident_id = add_incident()
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert {r.endpoint for r in posts} >= {"auth.login", "auth.logout", "auth.password",
                                           "incidents_act.act", "actions.acknowledge",
                                           "corrections.label"}
    for rule in posts:
        url = rule.build({"incident_id": incident_id, "token_id": 1, "token": "x", "silence_id": 1,
                          "review_id": "x", "name": "negative-spike", "entity_id": "yunque",
                          "job_id": 1})[1]
        for sent in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data={"action": "acknowledge", **sent})
            assert response.status_code == 400, (url, sent, response.status_code)
    # the incident was not touched and the session still works
    assert client.get(f"/api/incidents/{incident_id}").get_json()["incident"]["status"] == "open"


def test_logout_ends_the_session(client):
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/api/reviews").status_code == 401


def test_password_change_ends_other_sessions(app, signed_in):
    mine = signed_in("zhang", "handler")
    other = app.test_client()
    log_in(other, "zhang")
    assert other.get("/").status_code == 200
    token = csrf_of(mine, "/account")
    wrong = mine.post("/account/password", data={"current": "nope-nope", "new": "新密码-long-enough",
                                                 "confirm": "新密码-long-enough",
                                                 "csrf_token": token}, follow_redirects=True)
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    short = mine.post("/account/password", data={"current": PASSWORD, "new": "short",
                                                 "confirm": "short", "csrf_token": token},
                      follow_redirects=True)
    assert "至少需要 8 个字符" in short.get_data(as_text=True)
    changed = mine.post("/account/password", data={"current": PASSWORD, "new": "新密码-long-enough",
                                                   "confirm": "新密码-long-enough",
                                                   "csrf_token": token})
    assert changed.status_code == 302
    assert mine.get("/").status_code == 200      # this session goes on
    assert other.get("/").status_code == 302     # the other one ended
    assert log_in(app.test_client(), "zhang").status_code == 401
    assert log_in(app.test_client(), "zhang", "新密码-long-enough").status_code == 302


def test_disabled_user_is_signed_out_and_cannot_sign_in(app, runtime, signed_in):
    client = signed_in("zhang", "analyst")
    token = accounts.issue_token(runtime.state, "zhang")
    accounts.set_disabled(runtime.state, "zhang")
    assert client.get("/").status_code == 302
    assert log_in(app.test_client(), "zhang").status_code == 401
    response = app.test_client().get("/api/reviews", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_repeated_failures_are_throttled(app, anonymous, add_user):
    add_user("zhang")
    for _ in range(5):
        assert log_in(anonymous, "zhang", "guess-guess").status_code == 401
    # even the right password is refused while the lock lasts, and says for how long
    locked = log_in(anonymous, "zhang")
    assert locked.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in locked.get_data(as_text=True)


def test_throttle_lock_ends_when_failures_leave_the_window(runtime):
    now = [1000.0]
    throttle = LoginThrottle(lambda: runtime.state, limit=3, window=60, clock=lambda: now[0])
    key = ("user", "zhang")
    for _ in range(3):
        assert throttle.retry_after(key) == 0
        throttle.failed(key)
        now[0] += 10
    assert throttle.retry_after(key) == 31  # the first failure leaves the window at 1060
    now[0] = 1060.0
    assert throttle.retry_after(key) == 0
    throttle.failed(key)
    throttle.succeeded(key)
    assert throttle.retry_after(key) == 0


def test_throttle_is_shared_by_processes_and_forgets_old_failures(runtime):
    now = [1000.0]
    one, two = (LoginThrottle(lambda: runtime.state, limit=3, window=60, clock=lambda: now[0])
                for _ in range(2))  # two web processes on one state DB
    for throttle in (one, two, one):
        throttle.failed(("ip", "10.0.0.9"))
    assert two.retry_after(("user", "anyone"), ("ip", "10.0.0.9")) == 61
    for k in range(50):  # a spray of made-up names
        now[0] += 2
        one.failed(("user", f"guess{k}"))
    with runtime.state.session() as session:
        kept = session.scalars(select(LoginFailure.key)).all()
    assert len(kept) == 30 and "ip:10.0.0.9" not in kept  # only the last window's rows
    assert one.retry_after(("ip", "10.0.0.9")) == 0


@pytest.mark.parametrize("public_url, secure", [("https://koubei.example.com", True),
                                                ("http://10.0.0.5:8080", False), (None, False)])
def test_session_cookie_is_secure_when_served_over_https(runtime, add_user, public_url, secure):
    from models.config import WebConfig
    from models.runtime import Runtime
    config = runtime.config.model_copy(update={"web": WebConfig(public_url=public_url)})
    app = create_app(Runtime(config, runtime.config_path, runtime.home), {"TESTING": True})
    add_user("chen", "analyst")
    response = log_in(app.test_client(), "chen")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie
    assert ("; Secure" in cookie) is secure
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie)[1])
    assert timedelta(hours=11) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
