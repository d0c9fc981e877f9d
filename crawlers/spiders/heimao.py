"""The 黑猫投诉 company-complaints spider (``type: heimao``): the complaints a company
received, newest first, from the signed list API (``crawlers.spiders.heimao_api``).

A complaint's status changes after it is filed (处理中 → 已完成), so every crawl re-reads the
first ``max_pages`` pages (``reread``): the dedupe step drops complaints stored unchanged and
passes on those whose status, text, likes or replies changed, which update the stored review.
A refusal (``status.code`` not 0: signature rejected, slow down) on the first page fails the
crawl with the site's message, so the source is recorded broken.

With ``read_progress`` (the default) each listed complaint's own page is read too
(``crawlers.spiders.heimao_progress``, built from the complaint's number on the configured
host, never from a listed link): its status and its progress steps go to ``extra.status`` and
``extra.progress``. That page failing (HTTP error, captcha, no complaint on it) is reported
with its URL and the complaint is still yielded as the list shows it: the dedupe step keeps
the progress stored before.
"""
from __future__ import annotations

import secrets
import string
import time
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.exceptions import PageFormatError
from crawlers.items import RawReview
from crawlers.spiders.heimao_api import parse_complaints, signature, to_raw_review
from crawlers.spiders.heimao_progress import parse_progress
from crawlers.spiders.paged import Page, PagedReviewSpider
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://tousu.sina.com.cn"
PAGE_SIZE = 10
LIST_TYPE = "1"  # 最新投诉 (newest first)
_LETTERS = string.ascii_letters + string.digits


class HeimaoConfig(PagedSource):
    """Complaints received by one company (its ``couid`` from the company page's URL);
    re-reads the first pages every crawl to catch status changes; ``read_progress`` also
    reads each complaint's page for its progress steps (one more request per complaint)."""
    type: Literal["heimao"]
    couid: Annotated[str, Field(pattern=r"^\d{1,20}$")]
    max_pages: MaxPages = 3
    read_progress: bool = True


class HeimaoSpider(PagedReviewSpider):
    name = "heimao"
    config_model = HeimaoConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True

    def request_for(self, cursor: Any) -> scrapy.Request:
        ts = str(int(time.time() * 1000))
        rs = "".join(secrets.choice(_LETTERS) for _ in range(16))
        values = {"couid": self.source.couid, "type": LIST_TYPE, "page_size": str(PAGE_SIZE),
                  "page": str(cursor)}
        query = {"ts": ts, "rs": rs, "signature": signature(ts, rs, list(values.values())),
                 **values}
        return scrapy.Request(f"{self.base_url}/api/company/received_complaints?"
                              f"{urlencode(query)}", headers={"Accept": "application/json"})

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        complaints = parse_complaints(response.body)
        more = complaints.page_amount > cursor and len(complaints.complaints) > 0
        page = Page(next=cursor + 1 if more else None)
        page.add(complaints.complaints, lambda c: to_raw_review(c, self.source.name),
                 "complaint")
        return page

    # --- the complaint's own page: status and progress ------------------------------------
    def emit(self, item: RawReview):
        if not self.source.read_progress:
            yield item
            return
        yield scrapy.Request(f"{self.base_url}/complaint/view/{item.native_id}/",
                             callback=self.read_progress, errback=self.progress_failed,
                             cb_kwargs={"item": item}, dont_filter=True,
                             headers={"Accept": "text/html"})

    def read_progress(self, response: scrapy.http.Response, item: RawReview):
        self._inc("progress_page_count")
        try:
            progress = parse_progress(response.body)
        except PageFormatError as exc:
            self._inc("progress_error_count")
            self._problem(f"{response.url}: cannot read the complaint's progress: {exc}")
            yield item
            return
        for reason, detail in progress.dropped:
            self._inc(f"progress_dropped/{reason}")
            self._problem(f"{response.url}: {detail}")
        if progress.status:
            item.extra["status"] = progress.status
        item.extra["progress"] = progress.steps
        yield item

    def progress_failed(self, failure: Failure):
        item = failure.request.cb_kwargs["item"]
        self._inc("progress_error_count")
        reason = (f"HTTP {failure.value.response.status}" if failure.check(HttpError)
                  else f"{failure.type.__name__}: {failure.getErrorMessage()}")
        self._problem(f"{failure.request.url}: cannot read the complaint's progress: {reason}")
        yield item
