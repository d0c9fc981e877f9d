from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from models.review import Review, Sentiment, review_id
from tests.factories import make_review


def test_review_id_is_stable_and_depends_on_source_and_native_id():
    assert review_id("appstore-cn", "123") == review_id("appstore-cn", "123")
    assert review_id("appstore-cn", "123") != review_id("appstore-us", "123")
    assert review_id("s", None, "文本") != review_id("s", "文本")
    with pytest.raises(ValueError):
        review_id("s")


def test_times_are_converted_to_utc_and_naive_times_rejected():
    beijing = timezone(timedelta(hours=8))
    review = make_review(published_at=datetime(2026, 11, 23, 10, 0, tzinfo=beijing))
    assert review.published_at == datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    assert review.published_at.tzinfo == timezone.utc
    with pytest.raises(ValueError, match="naive"):
        make_review(published_at=datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize("rating", [-1, 5.5])
def test_rating_outside_0_to_5_is_rejected(rating):
    with pytest.raises(ValueError, match="rating"):
        make_review(rating=rating)


def test_sentiment_is_validated():
    with pytest.raises(ValueError):
        Sentiment("angry", -0.5)
    with pytest.raises(ValueError):
        Sentiment("negative", -1.5)


def test_dict_round_trip():
    review = make_review(aspects=[("价格", "negative")], rating=None)
    assert Review.from_dict(review.to_dict()) == review


def test_fingerprint_changes_with_what_the_site_says_only():
    review = make_review()
    before = review.fingerprint()
    review.sentiment = Sentiment("negative", -0.5, "other-model")
    assert review.fingerprint() == before
    review.likes += 1
    assert review.fingerprint() != before


def test_a_review_stored_before_reach_loads_and_keeps_its_fingerprint():
    review = make_review(likes=3)
    old = review.to_dict()
    del old["reposts"], old["author_followers"]  # as stored before these fields existed
    loaded = Review.from_dict(old)
    assert (loaded.reposts, loaded.author_followers, loaded.reach) == (0, 0, 3 + review.replies)
    raw = [review.text, review.title, review.author, review.rating, review.likes,
           review.replies, review.url, review.published_at.isoformat(), sorted(review.entities)]
    blob = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    assert loaded.fingerprint() == hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()
    loaded.reposts = 1
    assert loaded.fingerprint() != review.fingerprint()


def test_complaint_status_is_part_of_what_the_site_says():
    review = make_review(extra={"status": "处理中", "company": "云雀科技"})
    before = review.fingerprint()
    review.extra["company"] = "云雀"  # other extra details do not count
    assert review.fingerprint() == before
    review.extra["status"] = "已完成"
    assert review.fingerprint() != before
