"""Accounts: users with hashed passwords, roles and entity scopes, and personal API tokens.

Passwords are hashed with ``werkzeug.security`` (scrypt); API tokens are ``kb_`` + 32 random
bytes, shown once and kept as a SHA-256 hash. Browser sessions are recorded server-side
(``WebSession``: the cookie's random id, kept as a SHA-256 hash), so signing out, changing the
password or disabling the account ends every copy of a session cookie. Everything here works
on a ``StateDB`` so the ``koubei users`` commands and the web app share it.

Errors: ``AccountError`` (a ``KoubeiError``) with a message naming the user.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from models import audit
from models.exceptions import KoubeiError
from models.review import utcnow
from models.state import ApiToken, StateDB, User, WebSession
from web.security.roles import ROLES

MIN_PASSWORD_LENGTH = 8
# werkzeug's method string; the default scrypt cost (n=2**15) is what production uses. Tests
# lower the cost factor only (still scrypt), since they create hundreds of users.
PASSWORD_METHOD = "scrypt"
TOKEN_PREFIX = "kb_"
# Checked against when the user does not exist, so a wrong name costs as long as a wrong
# password and login timing does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(KoubeiError):
    pass


@dataclass(frozen=True)
class Account:
    """A signed-in user as the web layer sees it (detached from the database session)."""
    id: int
    username: str
    role: str
    entities: tuple[str, ...]
    display_name: str | None = None

    @classmethod
    def of(cls, user: User) -> "Account":
        return cls(user.id, user.username, user.role, tuple(user.entities or ()),
                   user.display_name)

    @property
    def label(self) -> str:
        return self.display_name or self.username


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(state: StateDB, username: str, role: str, entities: list[str], password: str,
             display_name: str | None = None, email: str | None = None,
             actor: str = "system") -> Account:
    """Create a user; raises ``AccountError`` for a taken name, unknown role or weak password.
    The change is written to the audit log as done by ``actor`` (as are the changes below)."""
    if role not in ROLES:
        raise AccountError(f"user {username!r}: unknown role {role!r}; one of {', '.join(ROLES)}")
    check_password_rules(password)
    with state.session() as session:
        if session.scalars(select(User).where(User.username == username)).first():
            raise AccountError(f"user {username!r} already exists")
        user = User(username=username, role=role, entities=list(entities or ["*"]),
                    display_name=display_name, email=email,
                    password_hash=generate_password_hash(password, PASSWORD_METHOD))
        session.add(user)
        session.flush()
        audit.record(session, actor, "user", username, "created",
                     {"role": role, "entities": user.entities})
        return Account.of(user)


def set_password(state: StateDB, username: str, password: str, actor: str = "system") -> None:
    check_password_rules(password)
    with state.session() as session:
        user = _user(session, username)
        user.password_hash = generate_password_hash(password, PASSWORD_METHOD)
        _end_sessions(session, user.id)  # a stolen cookie dies with the old password
        audit.record(session, actor, "user", username, "password_set")


def set_disabled(state: StateDB, username: str, disabled: bool = True,
                 actor: str = "system") -> None:
    """Disable (or enable) a user; a disabled user's sessions and tokens stop working."""
    with state.session() as session:
        user = _user(session, username)
        user.disabled = disabled
        if disabled:
            _end_sessions(session, user.id)
        audit.record(session, actor, "user", username, "disabled" if disabled else "enabled")


def _hash_session(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _end_sessions(session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def start_session(state: StateDB, user_id: int, lifetime: timedelta) -> str:
    """Record a new browser session of ``user_id``; returns its id for the cookie (only its
    hash is stored). Sessions past their end are purged on the way."""
    session_id, now = secrets.token_urlsafe(32), utcnow()
    with state.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(WebSession(id_hash=_hash_session(session_id), user_id=user_id,
                               created_at=now, expires_at=now + lifetime))
    return session_id


def end_session(state: StateDB, session_id: str | None) -> None:
    """Sign-out: the session ends for every copy of its cookie."""
    if session_id:
        with state.session() as session:
            session.execute(delete(WebSession).where(
                WebSession.id_hash == _hash_session(session_id)))


def list_users(state: StateDB) -> list[User]:
    with state.session() as session:
        return list(session.scalars(select(User).order_by(User.username)))


def authenticate(state: StateDB, username: str, password: str) -> Account | None:
    """The account when ``password`` is right and the user enabled, else None."""
    with state.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    return Account.of(user)


def session_stamp(user: User) -> str:
    """Changes when the password does, so a password change ends every other session."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def load_account(state: StateDB, user_id: int, stamp: str | None = None,
                 session_id: str | None = None) -> Account | None:
    """The enabled user ``user_id`` (whose ``session_stamp`` matches, when given), or None.
    With ``session_id``, also None unless that browser session of this user is still
    recorded and not past its end (``start_session``)."""
    with state.session() as session:
        user = session.get(User, user_id)
        live = session_id is None or session.scalars(select(WebSession.id_hash).where(
            WebSession.id_hash == _hash_session(session_id), WebSession.user_id == user_id,
            WebSession.expires_at > utcnow())).first() is not None
    if user is None or user.disabled or not live or (
            stamp is not None and stamp != session_stamp(user)):
        return None
    return Account.of(user)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(state: StateDB, username: str, name: str = "") -> str:
    """Create a personal API token for ``username`` and return it (the only time it is seen)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with state.session() as session:
        user = _user(session, username)
        session.add(ApiToken(user_id=user.id, name=name, prefix=token[:10],
                             token_hash=_hash_token(token)))
    return token


def list_tokens(state: StateDB, user_id: int) -> list[ApiToken]:
    with state.session() as session:
        return list(session.scalars(select(ApiToken).where(
            ApiToken.user_id == user_id, ApiToken.revoked.is_(False)).order_by(ApiToken.id)))


def revoke_token(state: StateDB, user_id: int, token_id: int) -> bool:
    with state.session() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id:
            return False
        token.revoked = True
        return True


def token_account(state: StateDB, token: str) -> Account | None:
    """The enabled owner of a valid, unrevoked ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with state.session() as session:
        row = session.scalars(select(ApiToken).where(
            ApiToken.token_hash == _hash_token(token))).first()
        if row is None or row.revoked:
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        row.last_used_at = utcnow()
        return Account.of(user)


def _user(session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user
