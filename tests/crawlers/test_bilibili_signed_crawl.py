"""bilibili ``api: cursor`` crawled for real against a fixture server that checks the WBI
signature of every request with the keys its ``/x/web-interface/nav`` handed out (the public
recorded pair): the first crawl collects every reply, the second exactly the new ones; a nav
answer without keys records the source broken with the reason."""
from __future__ import annotations

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint
from crawlers.spiders import bilibili_wbi
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.mockserver import MockServer, saved
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

MIXIN = "ea1db124af3c7062474693fa704f4ff8"  # of the recorded img/sub keys in bilibili_nav.json
FIRST_OFFSET = '{"offset":""}'


def by_signed_offset(query: dict[str, str]) -> str:
    """The page a correctly signed request asks for (its pagination_str), else "refused"."""
    unsigned = {k: v for k, v in query.items() if k not in ("w_rid", "wts")}
    expected = bilibili_wbi.signed_query(unsigned, MIXIN, int(query.get("wts", "0")))
    if f"w_rid={query.get('w_rid')}" not in expected or not query.get("wts"):
        return "refused"
    return query.get("pagination_str", "")


@pytest.fixture
def bili_site(tmp_path):
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        data["sources"] = [{"name": "bili-cursor", "type": "bilibili", "oid": "170001",
                            "api": "cursor", "base_url": server.url, "entities": ["yunque"]}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        yield server, config


def serve(server: MockServer, first: str) -> None:
    second = '{"offset":"{\\"type\\":3,\\"direction\\":1,\\"Data\\":{\\"cursor\\":104}}"}'
    server.route_query("/x/v2/reply/wbi/main", by_signed_offset, {
        FIRST_OFFSET: [saved(first)], second: [saved("bilibili_cursor_end.json")],
        "refused": [saved("bilibili_slow_down.json")]})


def stored(runtime) -> list[str]:
    return sorted(r.native_id for r in
                  runtime.store.iter_reviews(ReviewQuery(sources=("bili-cursor",))))


def test_signed_cursor_crawl_twice(bili_site, home, open_home):
    server, config = bili_site
    server.page("/x/web-interface/nav", "bilibili_nav.json")
    serve(server, "bilibili_cursor.json")
    [report] = crawls_in_child(config, home, ["bili-cursor"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 5, (report, report.problems)
    runtime = open_home(config)
    assert stored(runtime) == ["101", "102", "103", "104", "105"]
    signed = [p for p in server.requested_paths() if p.startswith("/x/v2/reply/wbi/main?")]
    assert len(signed) == 2 and all("&w_rid=" in p and "wts=" in p for p in signed)

    serve(server, "bilibili_cursor_new.json")
    [report] = crawls_in_child(config, home, ["bili-cursor"], timeout=120, overrides=OVERRIDES)
    assert report.ok and (report.new, report.updated) == (2, 0), report
    assert stored(runtime) == ["101", "102", "103", "104", "105", "106", "107"]


def test_nav_without_keys_records_the_source_broken(bili_site, home, open_home):
    server, config = bili_site
    server.page("/x/web-interface/nav", "bilibili_nav_no_keys.json")
    serve(server, "bilibili_cursor.json")
    [report] = crawls_in_child(config, home, ["bili-cursor"], timeout=120, overrides=OVERRIDES)
    assert not report.ok and "cannot sign requests" in report.error, report
    checkpoint = load_checkpoint(open_home(config).state, "bili-cursor")
    assert checkpoint.status == "broken" and "no_wbi_keys" in checkpoint.last_error
    assert not any(p.startswith("/x/v2/reply/wbi/main") for p in server.requested_paths())
