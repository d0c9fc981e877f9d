"""Judging a finished crawl from its stats: counts, and when it failed outright."""
from __future__ import annotations

from crawlers.report import CrawlReport, judge_crawl


def test_counts_come_from_namespaced_stats():
    report = judge_crawl("s", {
        "appstore/page_count": 3, "appstore/review_count": 120, "koubei/new": 100,
        "koubei/updated": 2, "koubei/unchanged": 5, "koubei/dropped/duplicate": 1,
        "appstore/entry_dropped/missing_id": 2, "appstore/page_parse_error_count": 1,
        "appstore/problems": ["http://x/page=2: cannot parse the page: invalid_json"],
    }, had_reviews=True)
    assert report.ok and report.error is None
    assert (report.new, report.updated, report.unchanged, report.dropped, report.errors,
            report.pages) == (100, 2, 5, 3, 1, 2)
    assert report.summary() == "new=100 updated=2 unchanged=5 dropped=3 errors=1"
    assert report.problems == ["http://x/page=2: cannot parse the page: invalid_json"]


def test_connection_failure_is_broken():
    report = judge_crawl("s", {"appstore/download_error_count": 1,
                               "appstore/last_problem": "http://x: ConnectionRefusedError"},
                         had_reviews=False)
    assert not report.ok and report.error.startswith("cannot reach the source")
    assert "ConnectionRefusedError" in report.error


def test_every_page_http_error_is_broken():
    report = judge_crawl("s", {"appstore/http_error_count": 2,
                               "appstore/last_problem": "http://x/page=2: HTTP 502"}, False)
    assert not report.ok and "HTTP 502" in report.error


def test_no_page_parsed_is_broken():
    report = judge_crawl("s", {"appstore/page_count": 2, "appstore/page_parse_error_count": 2,
                               "appstore/last_problem": "bad"}, False)
    assert not report.ok and report.error.startswith("no page could be parsed")


def test_zero_reviews_is_broken_when_the_source_had_reviews():
    stats = {"appstore/page_count": 1}
    assert judge_crawl("s", stats, had_reviews=False).ok  # a new app without reviews yet
    report = judge_crawl("s", stats, had_reviews=True)
    assert not report.ok and "format changed" in report.error


def test_entries_that_all_fail_to_read_are_broken_even_on_a_first_crawl():
    stats = {"appstore/page_count": 1, "appstore/entry_dropped/not_a_review": 2,
             "appstore/last_problem": "http://x/page=1 entry 0: not_a_review"}
    report = judge_crawl("s", stats, had_reviews=False)
    assert not report.ok and "format changed" in report.error and "entry 0" in report.error


def test_store_errors_fail_the_crawl():
    report = judge_crawl("s", {"appstore/page_count": 1, "appstore/review_count": 3,
                               "koubei/store_error_count": 1,
                               "koubei/store_error": "cannot store 3 reviews: disk full"}, True)
    assert not report.ok and report.error == "cannot store 3 reviews: disk full"


def test_report_round_trips_as_json_dict():
    report = CrawlReport("s", new=1, ok=False, error="x", problems=["p"])
    assert CrawlReport.from_dict(report.to_dict()) == report


def test_a_crawl_that_could_analyse_nothing_fails():
    stats = {"appstore/page_count": 1, "appstore/review_count": 2,
             "koubei/dropped/enrich_failed": 2,
             "koubei/enrich_error": "cannot analyse reviews: no sentiment model artifact"}
    report = judge_crawl("s", stats, had_reviews=False)
    assert not report.ok and report.error.endswith("no sentiment model artifact")
    assert judge_crawl("s", {**stats, "koubei/new": 5}, had_reviews=False).ok
