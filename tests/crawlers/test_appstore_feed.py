"""Reading saved App Store feed pages (tests/crawlers/pages/) into raw reviews, trap by trap."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders.appstore_feed import is_app_metadata, parse_feed, to_raw_review
from tests.crawlers.mockserver import PAGES

CRAWL_TIME = datetime(2026, 11, 2, 4, 0, tzinfo=timezone.utc)


def read(name: str):
    return parse_feed((PAGES / name).read_bytes())


def reviews(name: str):
    return [to_raw_review(e, "demo-appstore", CRAWL_TIME)
            for e in read(name).entries if not is_app_metadata(e)]


def test_page_with_metadata_entry_first_and_page_count_from_last_link():
    page = read("appstore_page1.json")
    assert page.last_page == 3  # from rel=last, not from the ?urlDesc=/.../page=1 in its query
    assert is_app_metadata(page.entries[0])
    assert [r.native_id for r in reviews("appstore_page1.json")] == [
        "11000000006", "11000000005", "11000000004"]


def test_review_fields_and_pacific_time_in_utc():
    first = reviews("appstore_page1.json")[0]
    assert first.source == "demo-appstore" and first.platform == "appstore"
    assert first.author == "夜猫果粉"
    assert first.title == "更新後閃退"
    assert first.text == "更新到5.3.1以後App一打開就閃退，雲雀X5徹底沒法用了。[怒]"
    assert first.rating == 1.0
    assert first.likes == 3
    assert first.extra == {"app_version": "5.3.1", "vote_count": 4,
                           "author_uri": "https://itunes.apple.com/cn/reviews/id318220001"}
    assert first.published_at.astimezone(timezone.utc) == datetime(2026, 11, 2, 2, 30, 5,
                                                                    tzinfo=timezone.utc)
    assert first.url == "https://itunes.apple.com/cn/review?id=1000000001&type=Purple%20Software"


def test_missing_rating_is_kept_as_none():
    unrated = reviews("appstore_page1.json")[1]
    assert unrated.native_id == "11000000005"
    assert unrated.rating is None


def test_missing_updated_falls_back_to_crawl_time_and_says_so():
    [review] = reviews("appstore_page3.json")
    assert review.published_at == CRAWL_TIME
    assert review.extra["published_at_estimated"] is True


def test_link_as_object_has_no_page_count():
    assert read("appstore_page3.json").last_page is None


def test_single_object_entry():
    page = read("appstore_single_entry.json")
    assert len(page.entries) == 1
    [review] = reviews("appstore_single_entry.json")
    assert review.native_id == "13000000001" and review.rating == 4.0


def test_empty_feed_has_no_entries():
    page = read("appstore_empty.json")
    assert page.entries == [] and page.last_page is None


def test_invalid_json_page_raises_with_reason():
    with pytest.raises(PageFormatError) as caught:
        read("appstore_invalid.json")
    assert caught.value.reason == "invalid_json"


@pytest.mark.parametrize("body, reason", [
    (b'{"nofeed": {}}', "no_feed"),
    (b'[1, 2]', "no_feed"),
    (b'{"feed": {"entry": "text"}}', "bad_entry_list"),
    (b'\xff\xfe{"feed"', "invalid_encoding"),
])
def test_broken_structures_raise_with_reason(body, reason):
    with pytest.raises(PageFormatError) as caught:
        parse_feed(body)
    assert caught.value.reason == reason


def test_entries_missing_required_fields_name_the_reason():
    entries = [e for e in read("appstore_missing_fields.json").entries]
    reasons = []
    for entry in entries:
        try:
            to_raw_review(entry, "s", CRAWL_TIME)
        except EntryFormatError as exc:
            reasons.append(exc.reason)
    assert reasons == ["missing_id", "missing_content"]


def test_changed_format_entries_are_not_reviews():
    for entry in read("appstore_changed_format.json").entries:
        with pytest.raises(EntryFormatError) as caught:
            to_raw_review(entry, "s", CRAWL_TIME)
        assert caught.value.reason == "not_a_review"


def test_odd_values_do_not_break_an_entry():
    entry = {"author": {"name": {"label": " 小鱼 "}}, "id": {"label": 42},
             "content": {"label": "好用"}, "im:rating": {"label": "7"},
             "updated": {"label": "昨天"}, "im:voteSum": {"label": "many"},
             "link": [{"attributes": {"rel": "related", "href": "https://x.example/r"}}]}
    review = to_raw_review(entry, "s", CRAWL_TIME)
    assert review.native_id == "42" and review.author == "小鱼"
    assert review.rating is None and review.extra["rating_raw"] == "7"
    assert review.published_at == CRAWL_TIME and review.extra["published_at_raw"] == "昨天"
    assert review.likes == 0 and review.url == "https://x.example/r"
