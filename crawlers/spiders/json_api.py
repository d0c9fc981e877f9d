"""Reading any JSON API page by the JMESPath expressions of a ``jsonapi`` source (docs/sources.md
§7): ``items`` selects the item list, each of ``fields`` one value inside an item, ``stop``
(when set) says this is the last page, ``next_cursor`` gives the next cursor. JSONP bodies are
unwrapped. An expression that is not valid JMESPath is a config error caught at spider start.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from crawlers.exceptions import PageFormatError
from crawlers.spiders.json_body import load_jsonp

FIELDS = ("id", "author", "title", "text", "rating", "time", "link", "likes", "replies")


@dataclass(slots=True)
class ApiPage:
    items: list[Any]
    stop: bool
    next_cursor: Any


def compile_paths(source: Any) -> dict[str, Any]:
    """Compiled expressions by name (``items``, ``stop``, ``next_cursor``, ``field:<name>``);
    raises ``ValueError`` naming the config key of a bad one."""
    written = {"items": source.items, "stop": source.stop, "next_cursor": source.next_cursor}
    written.update({f"field:{name}": getattr(source.fields, name) for name in FIELDS})
    compiled = {}
    for key, expression in written.items():
        if not expression:
            continue
        try:
            compiled[key] = jmespath.compile(expression)
        except JMESPathError as exc:
            config_key = key.replace("field:", "fields.")
            raise ValueError(f"source {source.name!r}: {config_key} is not valid JMESPath "
                             f"({expression!r}): {exc}") from exc
    return compiled


def parse_page(body: bytes, paths: dict[str, Any]) -> ApiPage:
    document = load_jsonp(body)
    items = paths["items"].search(document)
    if items is None:
        raise PageFormatError("no_items", f"{paths['items'].expression} matches nothing")
    if not isinstance(items, list):
        items = [items]  # a single object where a list is expected
    stop = bool(paths["stop"].search(document)) if "stop" in paths else False
    cursor = paths["next_cursor"].search(document) if "next_cursor" in paths else None
    return ApiPage(items, stop, cursor)


def field_values(item: Any, paths: dict[str, Any]) -> dict[str, Any]:
    return {name: paths[f"field:{name}"].search(item) if isinstance(item, (dict, list)) else None
            for name in FIELDS if f"field:{name}" in paths}
