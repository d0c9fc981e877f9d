"""Reading any review list page by the selectors of an ``html`` source (docs/sources.md §7).

A selector is CSS (with parsel's ``::text`` and ``::attr(name)``) or XPath written
``xpath:...``. A field selecting elements gets their HTML, stripped to text with emoticon alt
text kept; a field selecting text or attributes gets those, joined. A page where the item
selector matches nothing is an empty page (the crawl ends; a source that had reviews and now
finds none is reported broken by ``judge_crawl``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsel import Selector, SelectorList

from crawlers.spiders.json_body import decode

FIELDS = ("id", "author", "title", "text", "rating", "time", "link", "likes")


@dataclass(slots=True)
class ListPage:
    items: list[Selector]
    next_href: str | None


def select(node: Selector, expression: str) -> SelectorList:
    if expression.startswith("xpath:"):
        return node.xpath(expression.removeprefix("xpath:").strip())
    return node.css(expression)


def parse_list(body: bytes, item: str, next_page: str | None) -> ListPage:
    page = Selector(text=decode(body))
    found = select(page, next_page) if next_page else SelectorList()
    if not found:
        next_href = None
    elif isinstance(found[0].root, str):  # the selector already picked the href
        next_href = found.get()
    else:
        next_href = found[0].attrib.get("href")
    return ListPage(list(select(page, item)), (next_href or "").strip() or None)


def field_values(item: Selector, selectors: Any) -> dict[str, str | None]:
    """Field name → extracted value for each configured selector."""
    values: dict[str, str | None] = {}
    for name in FIELDS:
        expression = getattr(selectors, name, None)
        if not expression:
            continue
        found = select(item, expression)
        parts = [p for p in found.getall() if p and p.strip()]
        if not parts:
            values[name] = None
        elif isinstance(found[0].root, str):  # ::text, ::attr(), xpath text()/@attr
            values[name] = " ".join(p.strip() for p in parts)
        else:
            values[name] = "\n".join(parts)  # HTML; build_review strips it
    return values
