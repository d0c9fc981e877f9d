"""Reach in explanations: representative reviews ranked by reach after term relevance, the
burst's reach summed (each author's followers once) and said in both languages."""
from __future__ import annotations

from alerting.detect.explanation import burst_reach, representative
from alerting.detect.wording import with_reach
from tests.factories import make_review


def test_representative_reviews_rank_by_reach_after_terms():
    quiet = make_review(native_id="q", text="发热严重", tokens=["发热"], likes=1)
    shared = make_review(native_id="s", text="发热太厉害", tokens=["发热"], reposts=40)
    famous = make_review(native_id="f", text="有点发热", tokens=["发热"],
                         author_followers=90_000)
    off_topic = make_review(native_id="o", text="物流慢", tokens=["物流"], likes=500)
    chosen = representative([quiet, shared, off_topic, famous], ["发热"], n=3)
    assert [r.native_id for r in chosen] == ["f", "s", "q"]


def test_burst_reach_counts_each_authors_followers_once():
    reviews = [make_review(native_id=str(n), author="大V", author_followers=50_000, likes=10,
                           replies=2, reposts=1) for n in range(3)]
    reviews.append(make_review(native_id="x", author="路人", author_followers=0, likes=1))
    reach = burst_reach(reviews)
    assert reach == {"reviews": 4, "likes": 31, "replies": 6, "reposts": 3,
                     "author_followers": 50_000, "total": 50_040}
    zh, en = with_reach(("近 3 分钟负面评论 4 条", "4 negative reviews"), reach)
    assert zh == "近 3 分钟负面评论 4 条；共获赞 31、回复 6、转发 3，作者粉丝合计 5.0 万"
    assert en == "4 negative reviews; 31 likes, 6 replies, 3 reposts, authors with 50,000 " \
                 "followers in all"
    assert with_reach(("a", "b"), burst_reach([make_review()])) == ("a", "b")
