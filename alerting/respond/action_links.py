"""Signed action links in notifications: "acknowledge" and "open" for one incident.

A link is ``{public_url}/a/{token}`` where the token (``itsdangerous``, signed with the
instance key of ``models.instance_key``) carries the incident id and the action and is valid
for ``max_age`` seconds from when it was made. Following an acknowledge link shows a
confirmation page; the acknowledgement itself is a POST (chat apps open links to preview
them, and a preview must not acknowledge anything).
"""
from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ACTIONS = ("acknowledge", "open")
SALT = "koubei.incident-action"
MAX_AGE = 24 * 3600  # a day: long enough for an on-call shift, short enough to go stale


class ActionLinkError(Exception):
    """A token that is not valid; ``reason`` is "expired" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Action:
    incident_id: int
    action: str


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def make_token(key: str, incident_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return _serializer(key).dumps({"i": incident_id, "a": action})


def read_token(key: str, token: str, max_age: int = MAX_AGE) -> Action:
    """The action in ``token``; raises ``ActionLinkError`` when expired, tampered or foreign."""
    try:
        data = _serializer(key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ActionLinkError("expired")
    except BadSignature:
        raise ActionLinkError("invalid")
    if not isinstance(data, dict) or data.get("a") not in ACTIONS \
            or not isinstance(data.get("i"), int):
        raise ActionLinkError("invalid")
    return Action(data["i"], data["a"])


def action_links(key: str, public_url: str, incident_id: int) -> dict[str, str]:
    """``{"acknowledge": url, "open": url}`` for a notification about ``incident_id``."""
    base = public_url.rstrip("/")
    return {action: f"{base}/a/{make_token(key, incident_id, action)}" for action in ACTIONS}
