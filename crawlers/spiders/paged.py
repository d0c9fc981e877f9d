"""``PagedReviewSpider``: what every spider of a paged review list shares, so that each site's
spider only says how to request a page and how to read one.

A subclass sets ``name`` (also the prefix of its stats keys) and ``config_model`` (its source
type's config, see ``crawlers.source_type``) and implements
``request_for(cursor)`` (a ``scrapy.Request`` for the page at ``cursor``: a page number, an
offset, a cursor string) and ``read_page(response, cursor)`` → ``Page`` (raising
``PageFormatError`` when the page cannot be read: invalid JSON, an API error code, a login
wall). It may implement ``slow_down_reason(response)`` for API-level "slow down" answers that
arrive with HTTP 200 (see ``crawlers.middlewares.slow_down``) and ``cursor_after_failure`` to
go on past a failed page.

Incremental stop: when ``reread`` is False (sites sorted newest first), the crawl stops at a
review whose native id is in the checkpoint's ``known_ids`` or that was published before the
``watermark`` (equal times are still yielded; the dedupe step drops what is stored). When
``reread`` is True (sites sorted by popularity, like Weibo, or configured ``order: unordered``)
nothing stops the crawl early: it re-reads up to ``max_pages`` pages and the dedupe step drops
reviews already stored. Every crawl also ends at a page without a next cursor, at an empty
page, after ``max_pages``, when the first page fails, or after two failed pages in a row (a
failed later page is skipped when the subclass knows the next cursor without it).

Crawl boundary: pages are attacker-controlled, so a next page is requested only over http(s)
on the host of the first page or one of the source's ``follow_hosts``; any other link is
recorded as a problem and ends the crawl (stop reason ``offsite_next``).

Stats (``<name>/...``): ``page_count``, ``page_parse_error_count``, ``http_error_count``,
``download_error_count``, ``review_count``, ``entry_dropped/<reason>``, ``stop_reason``,
``problems`` (the first 20, each naming its URL) and ``last_problem``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.source_type import SourceType
from models.review import utcnow

MAX_FAILED_PAGES_IN_A_ROW = 2
MAX_PROBLEMS_KEPT = 20
FOLLOWED_SCHEMES = ("http", "https")


@dataclass(slots=True)
class Page:
    """What one page holds: its reviews in page order, the cursor of the next page (None when
    this is the last), and the entries that could not become reviews as (reason, detail)."""
    reviews: list[RawReview] = field(default_factory=list)
    next: Any = None
    dropped: list[tuple[str, str]] = field(default_factory=list)
    end_reason: str = "last_page"  # the stop reason when ``next`` is None

    def add(self, entries: Iterable[Any], to_review: Callable[[Any], RawReview | None],
            label: str) -> None:
        """Append ``to_review(entry)`` for each entry (None: not a review, skipped); one
        raising ``EntryFormatError`` is dropped as ``(reason, "<label> <index>: <message>")``,
        ``index`` counting every entry of the page."""
        for index, entry in enumerate(entries):
            try:
                review = to_review(entry)
            except EntryFormatError as exc:
                self.dropped.append((exc.reason, f"{label} {index}: {exc}"))
                continue
            if review is not None:
                self.reviews.append(review)


class PagedReviewSpider(scrapy.Spider, SourceType):
    name = "paged"
    first_cursor: Any = 1
    reread = False
    # A failed first page ends the crawl (nothing shows the source works); a site whose first
    # page fails now and then while later ones serve (the App Store feed) sets this True.
    probe_after_first_failure = False
    # The site's own address: a spider that builds its requests on ``self.base_url`` sets it;
    # the source's ``base_url`` replaces it (a mirror, a local fixture server).
    default_base_url = ""

    def __init__(self, source: Any, watermark: datetime | None = None,
                 known_ids: Iterable[str] = (), crawl_time: datetime | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.source, self.watermark = source, watermark
        self.known_ids = frozenset(known_ids)
        self.crawl_time = crawl_time or utcnow()
        self.max_pages = getattr(source, "max_pages", 10)
        self.reread = self.reread or getattr(source, "order", "newest_first") == "unordered"
        self.failed_in_a_row = 0
        if self.default_base_url:
            self.base_url = (source.base_url or self.default_base_url).rstrip("/")

    # --- what a subclass provides -------------------------------------------------------
    def request_for(self, cursor: Any) -> scrapy.Request:
        raise NotImplementedError

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        raise NotImplementedError

    def emit(self, item: RawReview) -> Iterator[Any]:
        """What the crawl yields for a review read from a list page: the item itself, or a
        request for a second page about it (a complaint's progress) whose callback yields
        the item completed."""
        yield item

    def cursor_after_failure(self, cursor: Any) -> Any:
        """The cursor to try after a page at ``cursor`` failed, or None to stop."""
        return None

    # --- the shared crawl ---------------------------------------------------------------
    def page_request(self, cursor: Any, number: int) -> scrapy.Request:
        return self.request_for(cursor).replace(
            callback=self.parse_page, errback=self.page_failed, dont_filter=True,
            cb_kwargs={"cursor": cursor, "number": number})

    async def start(self):
        yield self.page_request(self.first_cursor, 1)

    def parse_page(self, response: scrapy.http.Response, cursor: Any,
                   number: int) -> Iterator[Any]:
        self._inc("page_count")
        try:
            page = self.read_page(response, cursor)
        except PageFormatError as exc:
            self._inc("page_parse_error_count")
            yield from self._failed(cursor, number, f"{response.url}: cannot read the page: {exc}")
            return
        self.failed_in_a_row = 0
        for reason, detail in page.dropped:
            self._inc(f"entry_dropped/{reason}")
            self._problem(f"{response.url}: {detail}")
        for item in page.reviews:
            self._inc("review_count")
            if not self.reread and self._seen_before(item):
                return
            yield from self.emit(item)
        if not page.reviews and not page.dropped:
            self._stop("empty_page")
        elif page.next is None:
            self._stop(page.end_reason)
        elif number >= self.max_pages:
            self._stop("max_pages")
        else:
            try:
                following = self.page_request(page.next, number + 1)
                refused = self.refused(following.url)
            except ValueError as exc:  # not a URL at all
                refused = f"not a URL ({exc})"
            if refused is None:
                yield following
            else:
                self._problem(f"{response.url}: next page not followed: {refused}")
                self._stop("offsite_next")

    def refused(self, url: str) -> str | None:
        """Why a next page at ``url`` is not followed, or None when it may be: http(s) on
        the first page's host or a host in the source's ``follow_hosts``."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in FOLLOWED_SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not http(s)"
        home = urlsplit(self.request_for(self.first_cursor).url).hostname
        allowed = {home, *(h.lower() for h in getattr(self.source, "follow_hosts", []) or [])}
        if parts.hostname not in allowed:
            return f"host {parts.hostname!r} is not the source's ({home!r}; see follow_hosts)"
        return None

    def page_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Errback: an HTTP error after retries, a connection failure, a robots.txt refusal."""
        request = failure.request
        cursor, number = request.cb_kwargs["cursor"], request.cb_kwargs["number"]
        if failure.check(HttpError):
            self._inc("http_error_count")
            status = failure.value.response.status
            yield from self._failed(cursor, number, f"{request.url}: HTTP {status}")
            return
        self._inc("download_error_count")
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self._problem(f"{request.url}: cannot download: {reason}")
        self._stop("download_error")

    def _failed(self, cursor: Any, number: int, message: str) -> Iterator[scrapy.Request]:
        self._problem(message)
        self.failed_in_a_row += 1
        following = self.cursor_after_failure(cursor)
        if self.failed_in_a_row >= MAX_FAILED_PAGES_IN_A_ROW:
            self._stop("failed_pages")
        elif number == 1 and not self.probe_after_first_failure:
            self._stop("first_page_failed")  # nothing shows the source works: do not probe on
        elif following is None or number >= self.max_pages:
            self._stop("failed_page")
        else:
            yield self.page_request(following, number + 1)

    def _seen_before(self, item: RawReview) -> bool:
        if item.native_id in self.known_ids:
            self._stop("known_review")
            return True
        estimated = item.extra.get("published_at_estimated")
        if self.watermark and not estimated and item.published_at < self.watermark:
            self._stop("watermark")
            return True
        return False

    def _inc(self, key: str) -> None:
        self.crawler.stats.inc_value(f"{self.name}/{key}")

    def _refused_before_start(self, message: str) -> None:
        """The crawl cannot begin (a missing session or key): reported like a first page that
        failed, so the source is recorded broken with ``message``."""
        self._inc("page_count")
        self._inc("page_parse_error_count")
        self._problem(message)
        self._stop("first_page_failed")

    def _stop(self, reason: str) -> None:
        self.crawler.stats.set_value(f"{self.name}/stop_reason", reason)

    def _problem(self, message: str) -> None:
        stats = self.crawler.stats
        problems = stats.get_value(f"{self.name}/problems") or []
        if len(problems) < MAX_PROBLEMS_KEPT:
            stats.set_value(f"{self.name}/problems", [*problems, message])
        stats.set_value(f"{self.name}/last_problem", message)
        self.logger.warning(message)
