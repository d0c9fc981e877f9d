"""Near-duplicate grouping and the 刷差评 flag, through a negative_spike firing's explanation."""
from __future__ import annotations

import random
from datetime import timedelta

from alerting.detect.coordination import SIMILAR, near_duplicates, shingles
from alerting.detect.rules import build_rule
from tests.alerting.conftest import NOW, add_series, spike_rule
from tests.factories import make_review

TEMPLATE = "垃圾手机，买了三天就坏了，千万别买！！客服不理人{}"


def firing(store):
    [found] = [f for f in build_rule(spike_rule()).evaluate(store, NOW) if f.opens]
    return found.explanation


def calm(store):
    add_series(store, NOW - timedelta(hours=2), NOW - timedelta(minutes=3),
               timedelta(minutes=20), author="老用户")


def test_near_identical_reviews_from_new_authors_are_flagged_with_evidence(runtime):
    calm(runtime.store)
    copies = [make_review(label="negative", text=TEMPLATE.format("!" * (i % 3)),
                          author=f"新号{i}", published_at=NOW - timedelta(seconds=20 * (i + 1)))
              for i in range(8)]
    runtime.store.upsert(copies)
    e = firing(runtime.store)
    assert e["duplicates"]["independent_voices"] == 1
    assert e["duplicates"]["repeated"][0]["count"] == 8
    flag = e["coordinated"]
    assert flag["suspected"] and flag["reviews"] == 8 and flag["new_authors"] == 8
    assert sorted(flag["review_ids"]) == sorted(r.id for r in copies)
    assert flag["span_seconds"] == 140
    assert "8 条几乎相同的差评" in flag["reason"]


def test_a_genuine_burst_of_different_voices_is_not_flagged(runtime):
    calm(runtime.store)
    texts = ["屏幕发热严重，玩游戏烫手", "充电的时候背面特别烫", "打电话十分钟就发烫降频",
             "拍照一会儿就提示温度过高", "后台没开什么也很热，电量掉得快", "升级系统以后发热明显"]
    runtime.store.upsert([make_review(label="negative", text=t, author=f"用户{i}",
                                      published_at=NOW - timedelta(seconds=30 * (i + 1)))
                          for i, t in enumerate(texts)])
    e = firing(runtime.store)
    assert e["duplicates"]["independent_voices"] == 6 and e["duplicates"]["repeated"] == []
    assert e["coordinated"] is None


def test_copies_by_authors_with_history_are_grouped_but_not_flagged(runtime):
    store = runtime.store
    regulars = [f"老粉{i}" for i in range(6)]
    store.upsert([make_review(label="negative", text=f"旧评论{i}，一般般", author=a,
                              published_at=NOW - timedelta(hours=1, minutes=i))
                  for i, a in enumerate(regulars)])
    store.upsert([make_review(label="negative", text=TEMPLATE.format(""), author=a,
                              published_at=NOW - timedelta(seconds=15 * (i + 1)))
                  for i, a in enumerate(regulars)])
    e = firing(store)
    assert e["duplicates"]["repeated"][0]["count"] == 6
    assert e["coordinated"] is None


def test_grouping_through_the_trigram_index_equals_comparing_with_every_group():
    """``near_duplicates`` finds each review's group through an index; the grouping is the
    one comparing each review with every earlier group's lead in order."""
    def every_group(reviews):
        groups = []
        for review in sorted(reviews, key=lambda r: r.published_at):
            grams = shingles(review.text)
            for lead, members in groups:
                if len(grams & lead) / len(grams | lead) >= SIMILAR:
                    members.append(review)
                    break
            else:
                groups.append((grams, [review]))
        return sorted((m for _, m in groups), key=lambda g: -len(g))

    rng = random.Random(21)
    words = ["垃圾", "手机", "电池", "发热", "客服", "不理人", "退货", "好用", "物流", "很快",
             "！", "，", "千万别买", "屏幕", "", "。"]
    reviews = [make_review(text="".join(rng.choice(words) for _ in range(rng.randrange(0, 9))),
                           published_at=NOW - timedelta(seconds=rng.randrange(3600)))
               for _ in range(400)]
    groups = near_duplicates(reviews)
    assert [[r.id for r in g] for g in groups] == [[r.id for r in g]
                                                   for g in every_group(reviews)]
    assert any(len(g) > 1 for g in groups) and len(groups) > 20
