"""Signed action links in notifications: "acknowledge" and "open" for one incident.

A link is ``{public_url}/a/{token}`` where the token (``itsdangerous``, signed with the
instance key of ``models.instance_key``) carries the incident id and the action and is valid
for ``max_age`` seconds from when it was made. Following an acknowledge link shows a
confirmation page; the acknowledgement itself is a POST (chat apps open links to preview
them, and a preview must not acknowledge anything). A token knows when it was made
(``Action.issued_at``): a link made before the incident was last resolved belongs to an
earlier episode and must not act on the reopened incident (``stale``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

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
    # UTC, whole seconds (the token's own timestamp); not part of what the link *is*
    issued_at: datetime | None = field(default=None, compare=False)


RESOLUTIONS = ("resolved", "auto_resolved", "false_alarm")


def stale(action: Action, events: Iterable) -> bool:
    """Whether the incident was resolved (``events``: its timeline) after the link was made:
    the link was for an episode that has ended."""
    if action.issued_at is None:
        return False
    issued = int(action.issued_at.timestamp())
    return any(e.kind in RESOLUTIONS and int(e.at.timestamp()) > issued for e in events)


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def make_token(key: str, incident_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return _serializer(key).dumps({"i": incident_id, "a": action})


def read_token(key: str, token: str, max_age: int = MAX_AGE) -> Action:
    """The action in ``token``; raises ``ActionLinkError`` when expired, tampered or foreign."""
    try:
        data, issued_at = _serializer(key).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise ActionLinkError("expired")
    except BadSignature:
        raise ActionLinkError("invalid")
    if not isinstance(data, dict) or data.get("a") not in ACTIONS \
            or not isinstance(data.get("i"), int):
        raise ActionLinkError("invalid")
    return Action(data["i"], data["a"], issued_at)


def action_links(key: str, public_url: str, incident_id: int) -> dict[str, str]:
    """``{"acknowledge": url, "open": url}`` for a notification about ``incident_id``."""
    base = public_url.rstrip("/")
    return {action: f"{base}/a/{make_token(key, incident_id, action)}" for action in ACTIONS}
