"""The demo review site: its timeline (backlog, pace, bursts, scripts, missing ratings), the App
Store feed shape it serves over real HTTP, robots.txt, and the webhook receiver."""
from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from crawlers.demo import DemoCatalogue, DemoSite, make_server
from crawlers.demo.feed import feed_path
from tests.crawlers.conftest import START, FakeClock


@pytest.fixture
def site():
    clock = FakeClock(START + timedelta(seconds=10))
    catalogue = DemoCatalogue(seed=7, start=START)
    server = make_server(DemoSite(catalogue, clock), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with httpx.Client(base_url=base, timeout=10) as client:
        yield catalogue, clock, client, base
    server.shutdown()
    server.server_close()


def test_backlog_covers_seventy_minutes_at_about_one_review_per_ten_seconds():
    catalogue = DemoCatalogue(seed=7, start=START)
    backlog = catalogue.published(START)
    assert 360 <= len(backlog) <= 440
    assert backlog[0].published_at <= START
    assert START - backlog[-1].published_at >= timedelta(minutes=65)
    sentiments = Counter(r.sentiment for r in backlog)
    assert 0.07 <= sentiments["negative"] / len(backlog) <= 0.17
    assert sentiments["positive"] > sentiments["neutral"] > 0
    scripts = Counter(r.script for r in backlog)
    assert 0.12 <= scripts["zh-Hant"] / len(backlog) <= 0.28
    assert any(r.rating is None for r in backlog)
    assert all(r.rating in (1, 2, 3, 4, 5) for r in backlog if r.rating is not None)
    assert len({r.native_id for r in backlog}) == len(backlog)
    assert len({r.author for r in backlog}) > len(backlog) / 2


def test_same_seed_same_reviews_other_seed_other_reviews():
    first = DemoCatalogue(seed=3, start=START).published(START + timedelta(minutes=3))
    again = DemoCatalogue(seed=3, start=START).published(START + timedelta(minutes=3))
    other = DemoCatalogue(seed=4, start=START).published(START + timedelta(minutes=3))
    assert first == again
    assert [r.content for r in first] != [r.content for r in other]


def test_reviews_keep_arriving_and_burst_after_forty_seconds():
    catalogue = DemoCatalogue(seed=7, start=START)
    before = {r.native_id for r in catalogue.published(START + timedelta(seconds=39))}
    after = catalogue.published(START + timedelta(minutes=2))
    new = [r for r in after if r.native_id not in before]
    burst = [r for r in new if r.burst == 0]
    regular = [r for r in new if r.burst is None]
    assert len(burst) == 20
    assert all(r.sentiment == "negative" and r.rating in (1, 2) for r in burst)
    times = sorted(r.published_at for r in burst)
    assert START + timedelta(seconds=40) <= times[0] and times[-1] <= START + timedelta(seconds=100)
    assert {r.script for r in burst} == {"zh-Hans", "zh-Hant"} or len(burst) < 10
    defect_words = ("发热", "發熱", "烫", "燙", "闪退", "閃退", "电", "電")
    assert all(any(w in r.content for w in defect_words) for r in burst)
    assert 5 <= len(regular) <= 16  # about one every 10 s over ~81 s
    # Bursts repeat every 15 minutes.
    assert catalogue.burst_starts(START + timedelta(minutes=31)) == [
        START + timedelta(seconds=40), START + timedelta(minutes=15, seconds=40),
        START + timedelta(minutes=30, seconds=40)]


def test_feed_pages_have_the_app_store_shape(site):
    catalogue, clock, client, base = site
    published = catalogue.published(clock())
    response = client.get(feed_path("cn", "1000000001", 1))
    assert response.status_code == 200
    feed = response.json()["feed"]
    entries = feed["entry"]
    assert "im:name" in entries[0] and "author" not in entries[0]  # app metadata first
    reviews = entries[1:]
    assert len(reviews) == 50
    assert [e["id"]["label"] for e in reviews] == [r.native_id for r in published[:50]]
    first = reviews[0]
    assert first["content"]["attributes"]["type"] == "text"
    assert first["content"]["label"] == published[0].content
    assert first["author"]["name"]["label"] == published[0].author
    updated = first["updated"]["label"]
    assert updated.endswith("-07:00")
    assert datetime.fromisoformat(updated).astimezone(timezone.utc) == published[0].published_at
    for key in ("im:version", "im:voteSum", "im:voteCount", "title"):
        assert set(first[key]) == {"label"}
    # each review links to its own page on the demo site (the real feed: the app's review list)
    assert first["link"]["attributes"]["href"].endswith(f"/reviews/{published[0].native_id}")
    last = [link["attributes"]["href"] for link in feed["link"]
            if link["attributes"]["rel"] == "last"]
    assert re.search(r"/page=(\d+)/", last[0])[1] == str(-(-len(published) // 50))
    page2 = client.get(feed_path("cn", "1000000001", 2)).json()["feed"]["entry"]
    assert all("author" in e for e in page2)  # metadata only on page 1


def test_reviews_without_rating_have_no_im_rating(site):
    catalogue, clock, client, _base = site
    published = catalogue.published(clock())
    entries = []
    for page in range(1, 11):
        entries += client.get(feed_path("cn", "1000000001", page)).json()["feed"].get("entry", [])
    reviews = [e for e in entries if "author" in e]
    assert [e["id"]["label"] for e in reviews] == [r.native_id for r in published]
    unrated = [e for e, r in zip(reviews, published) if r.rating is None]
    assert unrated and all("im:rating" not in e for e in unrated)
    assert all(e["im:rating"]["label"] == str(r.rating)
               for e, r in zip(reviews, published) if r.rating is not None)


def test_pages_past_the_last_have_no_entry_and_unknown_apps_are_empty(site):
    _catalogue, _clock, client, _base = site
    assert "entry" not in client.get(feed_path("cn", "1000000001", 10)).json()["feed"]
    assert "entry" not in client.get(feed_path("cn", "999", 1)).json()["feed"]
    assert client.get(feed_path("cn", "1000000001", 11)).status_code == 400
    assert client.get("/nowhere").status_code == 404


def test_feed_follows_the_clock(site):
    catalogue, clock, client, _base = site
    def newest() -> dict:
        return client.get(feed_path("cn", "1000000001", 1)).json()["feed"]["entry"][1]
    before = newest()["id"]["label"]
    clock.advance(minutes=2)
    after = newest()["id"]["label"]
    assert before != after
    assert after == catalogue.published(clock())[0].native_id


def test_robots_allows_everything(site):
    _catalogue, _clock, client, _base = site
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Allow: /" in response.text


def test_webhook_receiver_keeps_what_it_received(site):
    _catalogue, _clock, client, _base = site
    assert client.get("/hooks").json() == []
    first, second = {"incident": {"id": 1}, "title": "云雀 X5 差评激增 [怒]"}, {"id": 2}
    assert client.post("/hooks", json=first).status_code == 200
    assert client.post("/hooks", json=second).status_code == 200
    bad = client.post("/hooks", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert client.get("/hooks").json() == [first, second]


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_home_page_says_what_the_site_publishes_and_when(site):
    catalogue, clock, client, _base = site
    page = client.get("/", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert feed_path("cn", "1000000001", 1) in text
    assert "约每 10.5 秒一条新评论" in text and "首次在启动后 40 秒" in text
    first_burst = (catalogue.start + timedelta(seconds=40)).astimezone(
        timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    assert f"下一次 / next burst: {first_burst}" in text
    newest = catalogue.published(clock())[0]
    assert f'href="/reviews/{newest.native_id}"' in text
    clock.advance(minutes=2)
    assert "已发生 1 次" in client.get("/").text


def test_each_review_has_its_own_page_escaped(site):
    catalogue, clock, client, _base = site
    review = catalogue.published(clock())[0]
    page = client.get(f"/reviews/{review.native_id}")
    assert page.status_code == 200 and review.content in page.text
    assert review.title in page.text
    assert client.get("/reviews/1").status_code == 404
    future = catalogue.published(clock() + timedelta(hours=1))[0]
    assert client.get(f"/reviews/{future.native_id}").status_code == 404  # not published yet


def test_hooks_are_readable_in_a_browser_and_json_for_programs(site):
    _catalogue, _clock, client, _base = site
    client.post("/hooks", json={"kind": "opened", "title": "<b>云雀</b> 负面评论激增",
                                "link": "javascript:alert(1)"})
    html = client.get("/hooks", headers=BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;云雀&lt;/b&gt; 负面评论激增" in html.text and "<b>云雀" not in html.text
    assert "javascript:" not in html.text.split("<pre>")[0]  # only web addresses become links
    assert client.get("/hooks", headers={"Accept": "application/json"}).json()[0]["kind"] \
        == "opened"
    assert client.get("/nowhere").status_code == 404
