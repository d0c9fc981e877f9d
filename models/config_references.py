"""Cross-references the schema cannot see — duplicate ids and names, names that point nowhere,
events that end before they start, customer-journey stages named twice — and URLs that are not
web addresses, checked on the config as read from YAML (before or without schema validation),
so one run reports them together with the field errors instead of after those are fixed.

Every check skips what it cannot read (a section that is not a list, an item that is not a
mapping, a name that is not a string): the schema reports those.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

# section → the key that names its items (and how a second item with that key is described)
NAMED = {"entities": "id", "sources": "name", "rules": "name", "channels": "name",
         "users": "username", "teams": "name", "reports": "name"}


def _items(data: Mapping, section: str) -> Iterator[tuple[int, Mapping]]:
    items = data.get(section)
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping):
            yield i, item


def _names(item: Mapping, key: str) -> list[str]:
    value = item.get(key)
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _declared(data: Mapping, section: str) -> set[str]:
    return {n for _, item in _items(data, section) for n in _names(item, NAMED[section])}


def _unknown(data: Mapping, section: str, key: str, known: set[str], what: str,
             allowed: frozenset = frozenset()) -> list[tuple[str, str]]:
    return [(f"{section}[{i}].{key}", f"unknown {what} {name!r}")
            for i, item in _items(data, section)
            for name in sorted(set(_names(item, key)) - known - allowed)]


def duplicate_problems(data: Mapping) -> list[tuple[str, str]]:
    problems = []
    for section, key in NAMED.items():
        seen: set[str] = set()
        for i, item in _items(data, section):
            for name in _names(item, key)[:1]:
                if name in seen:
                    problems.append((f"{section}[{i}].{key}", f"duplicate {key} {name!r}"))
                seen.add(name)
    return problems


def reference_problems(data: Mapping) -> list[tuple[str, str]]:
    """Every cross-reference problem in ``data`` as ``(key path, message)`` pairs, in file
    order of sections."""
    entities, sources = _declared(data, "entities"), _declared(data, "sources")
    channels, teams = _declared(data, "channels"), _declared(data, "teams")
    problems = duplicate_problems(data)
    problems += _unknown(data, "sources", "entities", entities, "entity")
    problems += _unknown(data, "entities", "parent", entities, "entity")
    for key, known, what in (("entities", entities, "entity"), ("channels", channels, "channel"),
                             ("sources", sources, "source"), ("team", teams, "team")):
        problems += _unknown(data, "rules", key, known, what)
    problems += _event_order(data)
    problems += _unknown(data, "events", "entities", entities, "entity")
    problems += _unknown(data, "events", "sources", sources, "source")
    for key in ("channels", "escalation_channels"):
        problems += _unknown(data, "teams", key, channels, "channel")
    problems += _unknown(data, "users", "entities", entities, "entity", frozenset({"*"}))
    problems += _report_channels(data, channels)
    problems += _unknown(data, "reports", "entities", entities, "entity")
    problems += _duplicate_stages(data)
    return problems + url_problems(data)


def _duplicate_stages(data: Mapping) -> list[tuple[str, str]]:
    problems, seen = [], set()
    for i, stage in _items(data, "touchpoints"):
        for name in _names(stage, "stage")[:1]:
            if name in seen:
                problems.append((f"touchpoints[{i}].stage", f"duplicate stage {name!r}"))
            seen.add(name)
    return problems


def _event_order(data: Mapping) -> list[tuple[str, str]]:
    problems = []
    for i, event in _items(data, "events"):
        start, end = _moment(event.get("start")), _moment(event.get("end"))
        if start is not None and end is not None:
            try:
                if end <= start:
                    problems.append((f"events[{i}].end", "must be after start"))
            except TypeError:
                pass  # one of them has no offset: the schema says so
    return problems


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _report_channels(data: Mapping, channels: set[str]) -> list[tuple[str, str]]:
    kinds = {name: item.get("type") for _, item in _items(data, "channels")
             for name in _names(item, "name")}
    problems = []
    for i, report in _items(data, "reports"):
        for name in _names(report, "channels"):
            if name in channels and kinds.get(name) != "email":
                problems.append((f"reports[{i}].channels", f"channel {name!r} is "
                                 f"{kinds.get(name)}: reports go to e-mail channels (they "
                                 "carry a file)"))
    return problems + _unknown(data, "reports", "channels", channels, "channel")


def is_web_url(value: str) -> bool:
    """An absolute ``http`` or ``https`` URL with a host."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def url_problems(data: Mapping) -> list[tuple[str, str]]:
    """A channel's ``url`` and ``web.public_url`` must be web addresses (a channel posts to
    its URL; links in notifications start with the public URL)."""
    problems = []
    for i, channel in _items(data, "channels"):
        url = channel.get("url")
        if isinstance(url, str) and not is_web_url(url):
            problems.append((f"channels[{i}].url", f"not a web address: {url!r}; expected "
                             "http:// or https:// and a host"))
    web = data.get("web")
    url = web.get("public_url") if isinstance(web, Mapping) else None
    if isinstance(url, str) and not is_web_url(url):
        problems.append(("web.public_url", f"not a web address: {url!r}; expected http:// or "
                         "https:// and a host"))
    return problems
