"""Real crawls, each in a child process (``crawl_in_child``), against the demo site and against
saved real-format pages served by the mock server; results are read back from the store and
the checkpoint."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint, record_success
from crawlers.demo import DemoCatalogue, DemoSite, make_server
from crawlers.demo.feed import feed_path
from crawlers.pipelines.enrich import shared_enricher
from models.review import review_id
from models.store import ReviewQuery
from tests.crawlers.conftest import FAST, SOURCE, START, FakeClock
from tests.crawlers.mockserver import Reply, saved
from tests.support import free_port
from web.crawl_child import prepare
from web.jobs import crawl_in_child, spare_crawl_child

APP = "1000000001"
ALL = ReviewQuery(sources=(SOURCE,))


def stored_ids(runtime) -> set[str]:
    return {r.id for r in runtime.store.iter_reviews(ALL)}


@pytest.fixture
def demo_site():
    """``(catalogue, clock, base_url)`` of a demo review site on loopback."""
    clock = FakeClock(START + timedelta(seconds=10))
    catalogue = DemoCatalogue(seed=11, start=START)
    server = make_server(DemoSite(catalogue, clock), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield catalogue, clock, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo(demo_site, write_config):
    catalogue, clock, base_url = demo_site
    return catalogue, clock, write_config(base_url)


def test_demo_site_first_crawl_then_only_new_reviews_then_nothing(demo, crawl, open_home):
    catalogue, clock, config = demo
    first = catalogue.published(clock())
    report = crawl(config)
    assert report.ok, report.error
    assert (report.new, report.updated, report.dropped, report.errors) == (len(first), 0, 0, 0)
    runtime = open_home(config)
    assert stored_ids(runtime) == {review_id(SOURCE, r.native_id) for r in first}

    for demo_review in first:
        stored = runtime.store.get(review_id(SOURCE, demo_review.native_id))
        assert stored.native_id == demo_review.native_id
        assert stored.author == demo_review.author and stored.title == demo_review.title
        assert stored.text == demo_review.content
        assert stored.rating == (None if demo_review.rating is None else float(demo_review.rating))
        assert stored.published_at == demo_review.published_at  # -07:00 in the feed, UTC here
        assert stored.published_at.utcoffset() == timedelta(0)
        assert stored.platform == "appstore" and "yunque" in stored.entities
        assert stored.sentiment is not None
        assert stored.script == demo_review.script
    assert any(r.rating is None for r in first) and any(r.script == "zh-Hant" for r in first)
    checkpoint = load_checkpoint(runtime.state, SOURCE)
    assert checkpoint.status == "ok" and checkpoint.watermark == first[0].published_at

    clock.advance(minutes=2)  # past the negative burst at 40 s
    second = catalogue.published(clock())
    fresh = [r for r in second if r.native_id not in {f.native_id for f in first}]
    assert sum(r.burst == 0 for r in fresh) == 20
    report = crawl(config)
    assert report.ok, report.error
    assert (report.new, report.updated) == (len(fresh), 0)
    assert stored_ids(runtime) == {review_id(SOURCE, r.native_id) for r in first + fresh}
    assert runtime.store.count(ALL)[None] == len(first) + len(fresh)

    report = crawl(config)
    assert report.ok and (report.new, report.updated) == (0, 0)
    assert runtime.store.count(ALL)[None] == len(first) + len(fresh)


@pytest.fixture
def three_pages(mockserver, write_config):
    for page in (1, 2, 3):
        mockserver.page(feed_path("cn", APP, page), f"appstore_page{page}.json")
    return write_config(mockserver.url)


def test_a_source_type_named_by_dotted_path_is_crawled(demo_site, write_config, crawl,
                                                        open_home):
    catalogue, clock, base_url = demo_site
    config = write_config(base_url, type="tests.crawlers.plugin_spiders.MirrorAppStoreSpider")

    report = crawl(config)

    assert report.ok, report.error
    published = catalogue.published(clock())
    assert report.new == len(published) > 0
    runtime = open_home(config)
    assert type(runtime.config.source(SOURCE)).__name__ == "MirrorAppStoreConfig"
    assert stored_ids(runtime) == {review_id(SOURCE, r.native_id) for r in published}

def test_saved_pages_are_crawled_across_pages_and_recrawl_stops_at_a_known_review(
        three_pages, mockserver, crawl, open_home):
    report = crawl(three_pages)
    assert report.ok and (report.new, report.pages, report.errors) == (6, 3, 0)
    runtime = open_home(three_pages)
    unrated = runtime.store.get(review_id(SOURCE, "11000000005"))
    assert unrated.rating is None and unrated.text.startswith("想问一下X5")
    traditional = runtime.store.get(review_id(SOURCE, "11000000006"))
    assert traditional.published_at == datetime(2026, 11, 2, 2, 30, 5, tzinfo=timezone.utc)
    assert traditional.script == "zh-Hant"
    undated = runtime.store.get(review_id(SOURCE, "11000000001"))
    assert undated.extra["published_at_estimated"] is True

    assert {h["User-Agent"] for _m, _p, h in mockserver.requests} == {
        "Koubei/0.1 (+review monitoring)"}
    before = len(mockserver.requested_paths())
    report = crawl(three_pages)
    assert report.ok and (report.new, report.updated) == (0, 0)
    assert [p for p in mockserver.requested_paths()[before:] if "/rss/" in p] == [
        feed_path("cn", APP, 1)]


def test_a_broken_page_and_broken_entries_are_counted_and_the_rest_is_kept(
        mockserver, write_config, crawl, open_home, capfd):
    mockserver.page(feed_path("cn", APP, 1), "appstore_page1.json")
    mockserver.page(feed_path("cn", APP, 2), "appstore_invalid.json")
    mockserver.page(feed_path("cn", APP, 3), "appstore_missing_fields.json")
    config = write_config(mockserver.url)
    report = crawl(config)
    bad_page = mockserver.url + feed_path("cn", APP, 2)
    last_page = mockserver.url + feed_path("cn", APP, 3)
    assert report.ok, report.error
    assert (report.new, report.dropped, report.errors, report.pages) == (5, 2, 1, 2)
    assert report.problems[0].startswith(f"{bad_page}: cannot read the page: invalid_json: ")
    assert report.problems[1:] == [
        f"{last_page}: entry 1: missing_id: review entry without id.label",
        f"{last_page}: entry 2: missing_content: review 12000000002 without content.label"]
    assert bad_page in capfd.readouterr().err  # logged with its URL
    stored = stored_ids(open_home(config))
    assert {review_id(SOURCE, n) for n in ("11000000006", "12000000004", "12000000001")} <= stored
    assert review_id(SOURCE, "12000000002") not in stored and len(stored) == 5


def test_connection_refused_fails_and_marks_the_source_broken(write_config, crawl, open_home):
    config = write_config(f"http://127.0.0.1:{free_port()}")
    report = crawl(config)
    assert not report.ok
    assert report.error.startswith("cannot reach the source") and "Connection" in report.error
    checkpoint = load_checkpoint(open_home(config).state, SOURCE)
    assert checkpoint.status == "broken" and checkpoint.broken_since is not None
    assert checkpoint.last_error == report.error


def test_every_page_502_is_retried_then_fails(mockserver, write_config, crawl, open_home):
    mockserver.route(feed_path("cn", APP, 1), Reply(502, b"Bad Gateway"))
    mockserver.route(feed_path("cn", APP, 2), Reply(502, b"Bad Gateway"))
    config = write_config(mockserver.url)
    report = crawl(config)
    assert not report.ok and "HTTP 502" in report.error
    assert mockserver.requested_paths().count(feed_path("cn", APP, 1)) == 3  # 1 + 2 retries
    assert load_checkpoint(open_home(config).state, SOURCE).status == "broken"


def test_retry_after_is_waited_for(mockserver, write_config, crawl, open_home, capfd,
                                   monkeypatch):
    monkeypatch.setenv("KOUBEI_CRAWL_LOG_LEVEL", "INFO")
    mockserver.route(feed_path("cn", APP, 1), Reply(503, b"", {"Retry-After": "1"}),
                     saved("appstore_empty.json"))
    config = write_config(mockserver.url)
    report = crawl(config)
    assert report.ok and (report.pages, report.errors) == (1, 0)
    assert mockserver.requested_paths().count(feed_path("cn", APP, 1)) == 2
    assert "waiting 1.0s as Retry-After asks" in capfd.readouterr().err


def test_a_source_that_had_reviews_and_now_parses_to_none_is_broken(
        mockserver, write_config, crawl, open_home):
    mockserver.page(feed_path("cn", APP, 1), "appstore_changed_format.json")
    config = write_config(mockserver.url)
    record_success(open_home(config).state, SOURCE, {"new": 5},
                   datetime(2026, 11, 1, tzinfo=timezone.utc), ["1"])
    report = crawl(config)
    assert not report.ok and "format changed" in report.error
    assert report.dropped == 2
    assert load_checkpoint(open_home(config).state, SOURCE).status == "broken"


def test_a_file_source_is_crawled_by_importing_its_path(write_config, crawl, open_home,
                                                       tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text('{"id": "f1", "text": "售后很快，点赞[赞]"}\n{"id": "f2"}\n', encoding="utf-8")
    config = write_config("http://127.0.0.1:1")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["sources"].append({"name": "crm-export", "type": "file", "path": str(export)})
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = crawl(config, "crm-export")
    assert report.ok and (report.new, report.dropped) == (1, 1)
    assert report.problems == [f"{export}:2: no review text (column 'text' is empty or missing)"]
    assert load_checkpoint(open_home(config).state, "crm-export").status == "ok"


def test_a_child_that_does_not_finish_in_time_is_reported_and_marked_broken(
        write_config, home, open_home):
    config = write_config("http://127.0.0.1:1")
    report = crawl_in_child(config, home, SOURCE, timeout=0.05)
    assert not report.ok and report.error == "the crawl did not finish within 0.05s and was stopped"
    checkpoint = load_checkpoint(open_home(config).state, SOURCE)
    assert checkpoint.status == "broken" and checkpoint.last_error == report.error


def test_unknown_source_in_a_child_is_a_failed_report(write_config, home):
    report = crawl_in_child(write_config("http://127.0.0.1:1"), home, "nowhere")
    assert not report.ok and "no source named 'nowhere'" in report.error


def test_robots_txt_is_obeyed_with_the_configured_user_agent(mockserver, write_config, crawl):
    mockserver.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /cn/\n"))
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    config = write_config(mockserver.url, user_agent="KoubeiTest/1.0 (+ops@example.com)")
    report = crawl(config)
    assert not report.ok and "Forbidden by robots.txt" in report.error
    assert mockserver.requested_paths() == ["/robots.txt"]
    assert mockserver.requests[0][2]["User-Agent"] == "KoubeiTest/1.0 (+ops@example.com)"


def robots_asked(mockserver) -> int:
    return mockserver.requested_paths().count("/robots.txt")


def test_robots_txt_is_read_once_for_the_crawls_of_the_next_hour_and_still_obeyed(
        mockserver, write_config, crawl):
    mockserver.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /cn/\n"))
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    config = write_config(mockserver.url)
    assert "Forbidden by robots.txt" in crawl(config).error
    mockserver.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))  # changed

    again = crawl(config)
    assert robots_asked(mockserver) == 1  # the crawl read the copy kept by the first one
    assert not again.ok and "Forbidden by robots.txt" in again.error  # and obeyed it


def test_a_robots_txt_that_did_not_answer_200_is_asked_for_again(mockserver, write_config,
                                                                   crawl):
    mockserver.route("/robots.txt", Reply(404, b""), Reply(200, b"User-agent: *\nAllow: /\n"))
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    config = write_config(mockserver.url)
    asked = []
    for _ in range(3):
        assert crawl(config).ok
        asked.append(robots_asked(mockserver))
    assert asked == [1, 2, 2]  # the 404 was not kept, the 200 after it was


def test_no_robots_txt_is_kept_with_a_ttl_of_zero(mockserver, write_config, home):
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    config = write_config(mockserver.url)
    for _ in range(2):
        assert crawl_in_child(config, home, SOURCE, timeout=120,
                              overrides={**FAST, "KOUBEI_ROBOTS_CACHE_TTL": 0}).ok
    assert robots_asked(mockserver) == 2


def test_crawls_in_spare_children_find_what_a_fresh_child_would(demo, home, open_home):
    catalogue, clock, config = demo
    spare = spare_crawl_child()
    try:
        first = crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST, spare=spare)
        assert first.ok, first.error
        assert first.new == len(catalogue.published(clock()))
        waiting = spare.child  # started with the first crawl, warming up for the next
        assert waiting is not None and waiting.poll() is None
        clock.advance(minutes=5)
        second = crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST, spare=spare)
        assert second.ok and waiting.returncode == 0  # the waiting child ran the crawl
        assert second.new == len(catalogue.published(clock())) - first.new > 0
        assert len(stored_ids(open_home(config))) == len(catalogue.published(clock()))

        spare.child.kill()  # a spare that died is replaced by a fresh child
        spare.child.wait()
        assert crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST,
                              spare=spare).ok
    finally:
        spare.close()
    assert spare.child is None


def test_a_spare_child_that_does_not_finish_in_time_is_stopped(write_config, home):
    spare = spare_crawl_child()
    try:
        report = crawl_in_child(write_config("http://127.0.0.1:1"), home, SOURCE,
                                timeout=0.05, spare=spare)
        assert not report.ok and "did not finish within 0.05s" in report.error
    finally:
        spare.close()


def test_a_spare_child_prepares_its_configs_runtime_and_gives_it_up_when_the_file_changes(
        demo, home):
    _, _, config = demo
    arguments = ["--config", str(config), "--home", str(home)]
    prepared = prepare(arguments)
    assert prepared is not None
    analyser = shared_enricher(prepared.runtime.config)  # what the crawl's pipeline takes
    assert analyser.segmenter._tokenizer is not None  # built with the entities' words
    assert prepared.take(str(config), str(home)) is prepared.runtime
    assert prepared.take(str(config), str(home / "other")) is None  # other arguments

    prepared = prepare(arguments)
    config.write_text(config.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert prepared.take(str(config), str(home)) is None
    assert prepare(["--config", str(home / "missing.yaml"), "--home", str(home)]) is None


def test_a_spare_child_prepared_for_a_config_crawls_with_the_config_as_edited_meanwhile(
        demo, write_config, home):
    catalogue, clock, config = demo
    spare = spare_crawl_child(config, home)
    try:
        first = crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST, spare=spare)
        assert first.ok, first.error
        waiting = spare.child  # preparing for this config
        write_config("http://127.0.0.1:1")  # meanwhile the source moved (nothing listens)
        second = crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST, spare=spare)
        assert waiting.returncode == 0  # the prepared child ran the crawl
        assert not second.ok and "127.0.0.1:1" in second.error
    finally:
        spare.close()


def test_crawls_sharing_spare_children_take_the_one_that_waited_longest(demo, home):
    _, clock, config = demo
    spare = spare_crawl_child(config, home, size=2)  # two workers' worth
    try:
        assert crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST,
                              spare=spare).ok  # a fresh child; two start waiting
        first, second = spare.waiting
        clock.advance(minutes=5)
        assert crawl_in_child(config, home, SOURCE, timeout=120, overrides=FAST,
                              spare=spare).ok
        assert first.returncode == 0 and second.poll() is None  # the older one crawled
        assert list(spare.waiting)[0] is second and len(spare.waiting) == 2
    finally:
        spare.close()
    assert spare.child is None and second.poll() is not None
