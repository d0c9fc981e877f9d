"""What a firing says about itself: what rose, by how much, against which baseline, which
terms and topics drive it, and a few representative reviews.

The details dict is JSON-ready (it is stored with the incident and sent to channels):
``summary``/``summary_en``, ``count``, ``expected``, ``ratio``, ``p_value``, ``window`` and
``baseline`` periods, ``terms`` (over-represented in the window's negative reviews against the
baseline's), ``topics`` (the window's top topics) and ``reviews`` (3–5 excerpts).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from alerting import wording
from models.review import Review
from models.store import ReviewQuery, ReviewStore

if TYPE_CHECKING:
    from alerting.rules.negative_spike import NegativeSpikeRule, SpikeTest

WINDOW_SAMPLE = 500     # newest negative reviews of the window read for terms and examples
BASELINE_SAMPLE = 2000  # newest negative reviews of the baseline read for term comparison
TOP_TERMS, TOP_TOPICS, EXAMPLES, EXCERPT = 10, 5, 5, 140


@dataclass(frozen=True)
class Explained:
    title: str
    entities: tuple[str, ...]
    review_ids: tuple[str, ...]
    details: dict[str, Any]


def explain_spike(store: ReviewStore, *, rule: "NegativeSpikeRule", group_key: str,
                  test: "SpikeTest", window_query: ReviewQuery,
                  baseline_query: ReviewQuery) -> Explained:
    # Imported on first use: commands that never explain a spike need not load the NLP stack.
    from nlp.keywords import overrepresented_terms

    config = rule.config
    window_reviews = store.search(window_query, limit=WINDOW_SAMPLE).reviews
    baseline_reviews = store.search(baseline_query, limit=BASELINE_SAMPLE).reviews
    terms = overrepresented_terms([r.tokens for r in window_reviews],
                                  [r.tokens for r in baseline_reviews], top=TOP_TERMS)
    entities = _entities(rule, group_key, window_reviews)
    scope = "、".join(rule.entity_names.get(e, e) for e in entities)
    if config.group_by == "source":
        scope = f"{scope}（{group_key}）" if scope else group_key
    summary, summary_en = wording.spike_summary(scope if config.group_by else "",
                                                config.window, test.count, test.expected,
                                                test.ratio)
    topics = store.count(window_query, group_by="topic")
    details = {
        "rule": rule.name, "type": rule.type_name, "group_by": config.group_by,
        "group_key": group_key, "summary": summary, "summary_en": summary_en,
        "metric": "negative_reviews", "count": test.count,
        "expected": round(test.expected, 3), "ratio": round(test.ratio, 2),
        "p_value": test.p_value,
        "window": _period(window_query.start, window_query.end),
        "baseline": {**_period(baseline_query.start, baseline_query.end),
                     "covered_seconds": int(test.covered.total_seconds()),
                     "negatives": test.baseline_count},
        "terms": [{"term": t.term, "window_count": t.window_count,
                   "baseline_count": t.baseline_count, "score": round(float(t.score), 4)}
                  for t in terms],
        "topics": [{"topic": topic, "count": n} for topic, n in
                   sorted(topics.items(), key=lambda kv: (-kv[1], kv[0] or ""))[:TOP_TOPICS]
                   if topic],
        "reviews": [_excerpt(r) for r in representative(window_reviews,
                                                        [t.term for t in terms])],
    }
    return Explained(wording.spike_title(scope), entities,
                     tuple(r.id for r in window_reviews), details)


def representative(reviews: list[Review], terms: list[str], n: int = EXAMPLES) -> list[Review]:
    """The reviews that best show the burst: those using most of the over-represented terms,
    then the most liked/replied, then the most negative, then the newest; one per text."""
    wanted = set(terms)

    def rank(review: Review) -> tuple:
        score = review.sentiment.score if review.sentiment else 0.0
        return (-len(wanted & set(review.tokens)), -(review.likes + review.replies), score,
                -review.published_at.timestamp(), review.id)

    chosen, texts = [], set()
    for review in sorted(reviews, key=rank):
        if review.text not in texts:
            chosen.append(review)
            texts.add(review.text)
        if len(chosen) == n:
            break
    return chosen


def _entities(rule: "NegativeSpikeRule", group_key: str,
              reviews: list[Review]) -> tuple[str, ...]:
    if rule.config.group_by == "entity":
        return (group_key,)
    if rule.config.entities:
        return tuple(rule.config.entities)
    seen = Counter(e for r in reviews for e in r.entities)
    return tuple(sorted(e for e, _ in seen.most_common(3)))


def _excerpt(review: Review) -> dict[str, Any]:
    text = review.text if len(review.text) <= EXCERPT else review.text[:EXCERPT] + "…"
    return {"id": review.id, "text": text, "url": review.url, "author": review.author,
            "source": review.source, "published_at": review.published_at.isoformat()}


def _period(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    return {"start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "seconds": int((end - start).total_seconds()) if start and end else None}
