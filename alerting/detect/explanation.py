"""What a firing says about itself: what rose, by how much, against which baseline, which
terms and topics drive it, and a few representative reviews.

The details dict is JSON-ready (it is stored with the incident and sent to channels):
``summary``/``summary_en``, ``count``, ``expected``, ``ratio``, ``p_value``, ``window`` and
``baseline`` periods, ``terms`` (over-represented in the window's negative reviews against the
baseline's), ``topics`` and ``aspects`` (the window's top ones) and ``reviews`` (3–5
excerpts), ``duplicates`` (independent voices, repeated texts) and ``coordinated`` (the
evidence of a suspected 刷差评 burst, or None; see ``alerting.detect.coordination``). Other rule
types put their own numbers beside these (``explain``).

Within ``deferred()`` (a backtest's fast replay) the details are left for later: ``explain``
reads the window's reviews (the title, entities, review ids and first review come from them)
and computes the rest -- the baseline's reviews, terms, near-duplicate groups, examples --
only when ``Explained.details`` is first read, which the incident manager does only for a
firing that opens, reopens or joins an incident or raises its peak
(``Firing.explained``). What it reads then is what it would have read at once, provided the
store does not change in between (a backtest's snapshot never does).
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator

from alerting.detect import wording
from alerting.detect.coordination import coordination, duplicate_summary, near_duplicates
from models.review import Review
from models.store import ReviewQuery, ReviewStore

if TYPE_CHECKING:
    from alerting.detect.rules.base import Rule
    from alerting.detect.rules.negative_spike import SpikeTest

WINDOW_SAMPLE = 500     # newest negative reviews of the window read for terms and examples
BASELINE_SAMPLE = 2000  # newest negative reviews of the baseline read for term comparison
TOP_TERMS, TOP_TOPICS, EXAMPLES, EXCERPT = 10, 5, 5, 140


_DEFERRED: ContextVar[bool] = ContextVar("koubei_deferred_explanations", default=False)


@contextmanager
def deferred() -> Iterator[None]:
    """Within: ``explain`` leaves each explanation's details for later (see the module)."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


@dataclass(frozen=True)
class Explained:
    title: str
    entities: tuple[str, ...]
    review_ids: tuple[str, ...]
    computed: dict[str, Any] | None = field(default=None, repr=False)
    first_review_at: datetime | None = None
    # computes the details on first read when ``computed`` is None (``deferred``)
    later: Callable[[], dict[str, Any]] | None = field(default=None, repr=False,
                                                        compare=False)

    @cached_property
    def details(self) -> dict[str, Any]:
        if self.computed is not None:
            return self.computed
        assert self.later is not None, "an explanation with neither details nor a way to them"
        return self.later()

    @property
    def is_deferred(self) -> bool:
        """True while the details are still to be computed."""
        return self.computed is None and "details" not in self.__dict__


def explain_spike(store: ReviewStore, *, rule: "Rule", group_key: str, test: "SpikeTest",
                  window_query: ReviewQuery, baseline_query: ReviewQuery,
                  facts: dict[str, Any] | None = None) -> Explained:
    """The explanation of a count rising against its expected value (``negative_spike``)."""
    config = rule.config

    def summary(scope: str) -> tuple[str, str]:
        return wording.spike_summary(scope if rule.group_by else "",
                                     test.window or config.window, test.count,
                                     test.expected, test.ratio, (facts or {}).get("threshold"))
    numbers = {"metric": "negative_reviews", "count": test.count,
               "expected": round(test.expected, 3), "ratio": round(test.ratio, 2),
               "p_value": test.p_value,
               "baseline": {**_period(baseline_query.start, baseline_query.end),
                            "covered_seconds": int(test.covered.total_seconds()),
                            "negatives": test.baseline_count}}
    return explain(store, rule=rule, group_key=group_key, window_query=window_query,
                   baseline_query=baseline_query, headline=wording.HEADLINES[rule.type_name],
                   summary=summary, facts={**numbers, **(facts or {})})


def explain(store: ReviewStore, *, rule: "Rule", group_key: str, window_query: ReviewQuery,
            baseline_query: ReviewQuery | None, headline: str,
            summary: Callable[[str], tuple[str, str]],
            facts: dict[str, Any], reviews: list[Review] | None = None) -> Explained:
    """Any rule's explanation: ``facts`` (what rose, by how much, against which baseline)
    plus the terms, topics and aspects over-represented in the window's reviews and 3-5
    representative reviews. ``summary(scope)`` gives the (Chinese, English) sentence for
    the scope's display name. ``reviews`` replaces the window sample when given."""
    if reviews is None:
        reviews = store.search(window_query, limit=WINDOW_SAMPLE).reviews
    entities = _entities(rule, group_key, reviews)
    scope = scope_text(rule, group_key, entities)
    title, ids = wording.title(scope, headline), tuple(r.id for r in reviews)
    first = min((r.published_at for r in reviews), default=None)

    def details() -> dict[str, Any]:
        return _details(store, rule, group_key, window_query, baseline_query, summary, facts,
                        reviews, scope)
    if _DEFERRED.get():
        return Explained(title, entities, ids, None, first, details)
    return Explained(title, entities, ids, details(), first)


def _details(store: ReviewStore, rule: "Rule", group_key: str, window_query: ReviewQuery,
             baseline_query: ReviewQuery | None, summary: Callable[[str], tuple[str, str]],
             facts: dict[str, Any], reviews: list[Review], scope: str) -> dict[str, Any]:
    """The details dict of ``explain`` (see the module)."""
    # Imported on first use: commands that never explain a firing need not load the NLP stack.
    from nlp.keywords import overrepresented_terms

    baseline_reviews = (store.search(baseline_query, limit=BASELINE_SAMPLE).reviews
                        if baseline_query is not None else [])
    terms = overrepresented_terms([r.tokens for r in reviews],
                                  [r.tokens for r in baseline_reviews], top=TOP_TERMS)
    topics = Counter(t for r in reviews for t in r.topics)
    aspects = Counter(f"{topic}:{polarity}" for r in reviews for topic, polarity in r.aspects)
    zh, en = wording.with_reach(summary(scope), reach := burst_reach(reviews))
    groups = near_duplicates(reviews)
    details = {
        "rule": rule.name, "type": rule.type_name, "group_by": rule.group_by,
        "group_key": group_key, "summary": zh, "summary_en": en,
        **facts,
        "window": _period(window_query.start, window_query.end),
        "terms": [{"term": t.term, "window_count": t.window_count,
                   "baseline_count": t.baseline_count, "score": round(float(t.score), 4)}
                  for t in terms],
        "topics": [{"topic": topic, "count": n} for topic, n in _top(topics, TOP_TOPICS)],
        "aspects": [{"aspect": a, "count": n} for a, n in _top(aspects, TOP_TOPICS)],
        "reach": reach,
        "reviews": [_excerpt(r) for r in representative(reviews, [t.term for t in terms])],
        "duplicates": duplicate_summary(groups),
        "coordinated": coordination(groups, (r.author for r in baseline_reviews)),
    }
    return details


def scope_text(rule: "Rule", group_key: str, entities: tuple[str, ...]) -> str:
    """How the firing's scope reads: entity names, plus the group when it is not one."""
    by = rule.group_by
    names = entities or ((group_key,) if by == "entity" else tuple(rule.config.entities))
    scope = "、".join(rule.entity_names.get(e, e) for e in names)
    if by in ("source", "topic", "aspect"):
        shown = wording.aspect_text(group_key) if by == "aspect" else group_key
        scope = f"{scope}（{shown}）" if scope else shown
    return scope


def _top(counts: Counter, n: int) -> list[tuple[str, int]]:
    return sorted(((k, v) for k, v in counts.items() if k), key=lambda kv: (-kv[1], kv[0]))[:n]


def representative(reviews: list[Review], terms: list[str], n: int = EXAMPLES) -> list[Review]:
    """The reviews that best show the burst: those using most of the over-represented terms,
    then those with the most reach (``Review.reach``: likes, replies, reposts, the author's
    followers), then the most negative, then the newest; one per text."""
    wanted = set(terms)

    def rank(review: Review) -> tuple:
        score = review.sentiment.score if review.sentiment else 0.0
        return (-len(wanted & set(review.tokens)), -review.reach, score,
                -review.published_at.timestamp(), review.id)

    chosen, texts = [], set()
    for review in sorted(reviews, key=rank):
        if review.text not in texts:
            chosen.append(review)
            texts.add(review.text)
        if len(chosen) == n:
            break
    return chosen


def _entities(rule: "Rule", group_key: str,
              reviews: list[Review]) -> tuple[str, ...]:
    if rule.group_by == "entity":
        return (group_key,)
    if rule.config.entities:
        return tuple(rule.config.entities)
    seen = Counter(e for r in reviews for e in r.entities)
    return tuple(sorted(e for e, _ in seen.most_common(3)))


def _excerpt(review: Review) -> dict[str, Any]:
    text = review.text if len(review.text) <= EXCERPT else review.text[:EXCERPT] + "…"
    return {"id": review.id, "text": text, "url": review.url, "author": review.author,
            "source": review.source, "published_at": review.published_at.isoformat(),
            "likes": review.likes, "replies": review.replies, "reposts": review.reposts,
            "author_followers": review.author_followers, "reach": review.reach}


def burst_reach(reviews: list[Review]) -> dict[str, int]:
    """How far the burst's reviews travelled, summed over the reviews read: likes, replies,
    reposts, the authors' followers (each author once) and the total (``Review.reach``)."""
    followers = {}
    for review in reviews:
        key = review.author or review.id
        followers[key] = max(followers.get(key, 0), review.author_followers)
    totals = {"reviews": len(reviews), "likes": sum(r.likes for r in reviews),
              "replies": sum(r.replies for r in reviews),
              "reposts": sum(r.reposts for r in reviews),
              "author_followers": sum(followers.values())}
    totals["total"] = (totals["likes"] + totals["replies"] + totals["reposts"]
                       + totals["author_followers"])
    return totals


def _period(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    return {"start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "seconds": int((end - start).total_seconds()) if start and end else None}
