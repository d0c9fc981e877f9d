"""What a crawl did, and whether it worked: ``CrawlReport`` and ``judge_crawl`` reading the
crawl stats.

A crawl fails outright (``ok=False``) when:
- no page could be downloaded (connection refused, DNS, timeout, robots.txt refusal);
- every page answered with an HTTP error (403, 5xx... after retries);
- no page could be parsed (invalid JSON, no ``feed`` object);
- no review was found on any page although the source had reviews before (the format changed,
  or the feed came back empty), or every entry found failed to read as a review;
- reviews could not be analysed (none at all) or written to the store, or the crawl crashed;
- the site refused the crawl part way (a verification page): the spider sets
  ``<spider>/refused`` to the site's reason.
Anything less (one bad page among good ones, a few malformed entries) is counted in ``errors``
or ``dropped`` and the crawl is ok.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class CrawlReport:
    source: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: int = 0
    pages: int = 0
    ok: bool = True
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # each names its URL (or file:line)

    def summary(self) -> str:
        return (f"new={self.new} updated={self.updated} unchanged={self.unchanged} "
                f"dropped={self.dropped} errors={self.errors}")

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("new", "updated", "unchanged", "dropped",
                                              "errors", "pages")}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CrawlReport":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _sum(stats: dict, prefix: str) -> int:
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


def judge_crawl(source: str, stats: dict[str, Any], had_reviews: bool,
                spider: str = "appstore") -> CrawlReport:
    """Build the report of a finished crawl from its Scrapy ``stats``; ``had_reviews`` says
    whether earlier crawls of the source stored reviews; ``spider`` is the prefix of the
    spider's own stats keys (``<spider>/page_count``...)."""
    received = stats.get(f"{spider}/page_count", 0)  # 2xx responses
    parse_errors = stats.get(f"{spider}/page_parse_error_count", 0)
    http_errors = stats.get(f"{spider}/http_error_count", 0)
    download_errors = stats.get(f"{spider}/download_error_count", 0)
    store_errors = stats.get("koubei/store_error_count", 0)
    crashes = _sum(stats, "spider_exceptions/")
    report = CrawlReport(
        source=source, new=stats.get("koubei/new", 0), updated=stats.get("koubei/updated", 0),
        unchanged=stats.get("koubei/unchanged", 0),
        dropped=_sum(stats, "koubei/dropped/") + _sum(stats, f"{spider}/entry_dropped/"),
        errors=parse_errors + http_errors + download_errors + store_errors + crashes,
        pages=received - parse_errors, problems=list(stats.get(f"{spider}/problems", [])))
    last_problem = stats.get(f"{spider}/last_problem", "")
    entry_drops = _sum(stats, f"{spider}/entry_dropped/")
    if stats.get(f"{spider}/refused"):
        report.error = f"the site refused the crawl: {stats[f'{spider}/refused']}"
    elif received == 0 and download_errors and not http_errors:
        report.error = f"cannot reach the source: {last_problem}"
    elif received == 0 and http_errors:
        report.error = f"every page failed: {last_problem}"
    elif parse_errors and received == parse_errors:
        report.error = f"no page could be parsed: {last_problem}"
    elif received and not stats.get(f"{spider}/review_count") and entry_drops:
        report.error = ("no entry on any page could be read as a review (the markup or "
                        f"format changed?): {last_problem}")
    elif had_reviews and received and not stats.get(f"{spider}/review_count"):
        report.error = ("no reviews found on any page although the source had reviews before; "
                        "the feed was empty or its format changed" +
                        (f" ({last_problem})" if last_problem else ""))
    elif stats.get("koubei/enrich_error") and not (report.new or report.updated):
        report.error = stats["koubei/enrich_error"]
    elif store_errors:
        report.error = stats.get("koubei/store_error", "cannot store reviews")
    elif crashes:
        report.error = "the spider crashed; see the log"
    elif received == 0:
        report.error = f"no page was received ({stats.get('finish_reason', 'unknown reason')})"
    report.ok = report.error is None
    return report
