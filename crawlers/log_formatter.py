"""Crawl log lines: a dropped item is logged as one line naming why (``Dropped: duplicate:
review r7 twice in one crawl``), never followed by the whole item, which is a review's full
text and analysis spread over many lines."""
from __future__ import annotations

from typing import Any

from scrapy.logformatter import LogFormatter


class OneLineLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any) -> dict:
        entry = super().dropped(item, exception, response, spider)
        return {**entry, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
