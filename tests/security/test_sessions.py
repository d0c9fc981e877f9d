"""Revocable sessions (audit finding 8): signing out, changing the password or being disabled
ends every copy of a session cookie at once, not when the signed cookie would expire."""
from __future__ import annotations

from sqlalchemy import select

from models.state import WebSession
from tests.security.conftest import PASSWORD, csrf_of
from web.security import accounts


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_signing_out_ends_every_copy_of_the_session(app, signed_in):
    client = signed_in("li", "handler")
    thief = _copy(app, client)
    assert _signed_in(thief)
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert not _signed_in(client) and not _signed_in(thief)


def test_a_password_change_ends_other_copies_and_keeps_this_browser(app, signed_in):
    client = signed_in("li", "handler")
    thief = _copy(app, client)
    client.post("/account/password", data={"current": PASSWORD, "new": "新的密码-0123",
                                           "confirm": "新的密码-0123",
                                           "csrf_token": csrf_of(client, "/account")})
    assert _signed_in(client) and not _signed_in(thief)


def test_disabling_an_account_ends_its_sessions_and_reenabling_does_not_revive_them(
        app, signed_in, runtime):
    client = signed_in("li", "handler")
    accounts.set_disabled(runtime.state, "li")
    accounts.set_disabled(runtime.state, "li", False)
    assert not _signed_in(client)


def test_only_a_hash_of_the_session_id_is_stored(app, signed_in, runtime):
    client = signed_in("li", "handler")
    with runtime.state.session() as session:
        [stored] = session.scalars(select(WebSession.id_hash)).all()
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).loads(
            client.get_cookie("session").value)
    assert cookie["sid"] and stored != cookie["sid"] and len(stored) == 64
