"""The instance's signing key: session cookies, CSRF tokens and the signed action links in
notifications are all signed with it, so the web app and the detection job must agree on it.

``KOUBEI_SECRET_KEY`` when set (several instances sharing state must share it); otherwise a
random key created once in the data directory (``secret_key``, readable by the owner only).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

FILENAME = "secret_key"


def instance_key(home: Path) -> str:
    """The key for the data directory ``home`` (created on first use)."""
    if os.environ.get("KOUBEI_SECRET_KEY"):
        return os.environ["KOUBEI_SECRET_KEY"]
    path = Path(home) / FILENAME
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes start at once, exactly one key wins and both use it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)
    return key
