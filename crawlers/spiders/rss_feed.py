"""Reading an RSS 2.0 or Atom feed (docs/sources.md §7) into ``RawReview`` items.

RSS: id = ``guid`` (else ``link``), text = ``content:encoded`` (else ``description``), time =
``pubDate`` (RFC 822; else ``dc:date``), author = ``author`` / ``dc:creator``. Atom: ``id``,
``content`` (else ``summary``), ``published`` (else ``updated``, RFC 3339), ``author/name``,
``link[@rel=alternate]``. Text is HTML-stripped with emoticon alt text kept. Feeds have no
standard rating. An item without a readable time gets the crawl time, marked
``published_at_estimated``. A ``rel="next"`` link (RFC 5005 paging) gives the next page.

The XML parser does not resolve entities or fetch anything (no XXE), and recovers from
broken markup so the good items of a damaged feed are kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import parse_time, strip_html

PLATFORM = "rss"
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/",
      "dc": "http://purl.org/dc/elements/1.1/"}
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(slots=True)
class Feed:
    kind: str                # "rss" or "atom"
    entries: list[Any]       # <item> or <atom:entry> elements
    next_url: str | None


def parse_feed(body: bytes) -> Feed:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise PageFormatError("invalid_xml", str(exc)) from exc
    if root is None:
        raise PageFormatError("invalid_xml", "no XML document")
    next_url = root.xpath("string((/*/atom:link|/*/*/atom:link)[@rel='next']/@href)",
                          namespaces=NS) or None
    if etree.QName(root).localname == "feed":
        return Feed("atom", root.findall("atom:entry", NS), next_url)
    channel = root.find("channel")
    if etree.QName(root).localname == "rss" and channel is not None:
        return Feed("rss", channel.findall("item"), next_url)
    raise PageFormatError("not_a_feed", f"the root element is <{etree.QName(root).localname}>")


def _first(element: Any, *paths: str) -> str | None:
    for path in paths:
        value = element.xpath(f"string({path})", namespaces=NS).strip()
        if value:
            return value
    return None


def to_raw_review(entry: Any, kind: str, source: str, crawl_time: datetime) -> RawReview:
    if kind == "atom":
        native_id = _first(entry, "atom:id", "atom:link[@rel='alternate']/@href",
                           "atom:link/@href")
        body = _first(entry, "atom:content", "atom:summary")
        written = _first(entry, "atom:published", "atom:updated")
        author = _first(entry, "atom:author/atom:name")
        link = _first(entry, "atom:link[@rel='alternate']/@href", "atom:link[not(@rel)]/@href")
        title = _first(entry, "atom:title")
    else:
        native_id = _first(entry, "guid", "link")
        body = _first(entry, "content:encoded", "description")
        written = _first(entry, "pubDate", "dc:date")
        author = _first(entry, "dc:creator", "author")
        link, title = _first(entry, "link"), _first(entry, "title")
    text = strip_html(body) or strip_html(title)
    if not text:
        raise EntryFormatError("missing_content", f"entry {native_id or '?'} without text")
    extra: dict[str, Any] = {}
    try:
        published_at = parse_time(written)
    except ValueError:
        published_at, extra["published_at_estimated"] = crawl_time, True
        if written:
            extra["published_at_raw"] = written
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, title=strip_html(title) or None, author=author,
                     url=link, extra=extra)
