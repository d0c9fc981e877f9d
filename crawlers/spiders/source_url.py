"""The start URL of a generic source: ``url`` as written when absolute, else joined to
``base_url``; an absolute ``url`` keeps its path and query but moves to ``base_url``'s host when
``base_url`` is given (so a config can be pointed at a mirror or a fixture server)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit


def absolute_url(source: Any) -> str:
    url, base = source.url, source.base_url
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        if not base:
            return url
        host = urlsplit(base)
        return urlunsplit((host.scheme, host.netloc, parts.path, parts.query, parts.fragment))
    if not base:
        raise ValueError(f"source {source.name!r}: url {url!r} is relative and there is no "
                         f"base_url")
    return urljoin(base.rstrip("/") + "/", url.lstrip("/"))
