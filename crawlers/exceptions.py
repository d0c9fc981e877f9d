"""Errors raised by ``crawlers``.

    KoubeiError                          (models.exceptions)
     └── CrawlerError                    anything this package raises on purpose
          ├── UnknownSource              no source of that name in the config
          ├── ImportFileError            an import file cannot be read at all (missing,
          │                              unknown format); single bad rows are reported, not raised
          └── FormatError                what a site or file sent does not have the expected shape;
               │                         ``.reason`` is short and stable enough for a stats key
               ├── PageFormatError       a whole page: invalid JSON, no ``feed`` object, an API
               │                         error code, JD's ``{}``, a login wall
               └── EntryFormatError      one review on a page: no id, no content

A crawl that fails outright is not an exception either: ``run_crawl``/``crawl_in_child`` return
a ``CrawlReport`` with ``ok=False`` and ``error`` (a dead or timed-out child included), and the
source's checkpoint is marked broken.

Format errors never escape a crawl: the spider logs them with the URL and reason, counts them
under namespaced stats keys (``<spider>/page_parse_error_count``,
``<spider>/entry_dropped/<reason>``, e.g. ``bilibili/entry_dropped/missing_id``) and goes on
with the rest of the page or the next page.
"""
from __future__ import annotations

from models.exceptions import KoubeiError


class CrawlerError(KoubeiError):
    """Base of every error raised by ``crawlers``."""


class UnknownSource(CrawlerError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ImportFileError(CrawlerError):
    pass


class FormatError(CrawlerError):
    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class PageFormatError(FormatError):
    pass


class EntryFormatError(FormatError):
    pass
