"""``crisis_keyword``: one review with a crisis term (食物中毒, 爆炸, 起火, 维权, 曝光, 315,
律师函, 召回...) opens an incident at once.

A review matches through its ``crisis:<term>`` flags (set by ``nlp.flags`` at enrichment) or
through one of the rule's extra ``terms`` found in its normalised text. Matches are grouped
by term (``食物中毒``), so ten reviews about the same poisoning make one incident.

Two ways in, one decision: ``match(reviews, now)`` is what the store hook
(``alerting.detect.crisis.on_stored``) calls with the reviews just written, so the incident opens as
soon as the review is stored; ``evaluate`` does the same over the reviews published in the
last ``window`` at each detection tick, catching anything the hook could not see.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Literal

from alerting.detect import wording
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.review import Review
from models.store import ReviewStore

CRISIS_PREFIX = "crisis:"
SAMPLE = 2000


class CrisisKeywordConfig(RuleBase):
    """One review with a crisis term opens an incident as soon as it is stored."""
    type: Literal["crisis_keyword"]
    terms: list[str] = []          # extra terms; the review's ``crisis:`` flags always count
    window: Duration = timedelta(hours=1)  # how far back a detection tick looks


class CrisisKeywordRule(Rule):
    config_model = CrisisKeywordConfig
    required_options = frozenset({"window"})
    default_severity = "critical"  # a crisis never waits for quiet hours

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        recent = store.search(self.query(None, now - self.config.window, now), limit=SAMPLE)
        return self.match(recent.reviews, now, store)

    def terms(self, review: Review) -> list[str]:
        """The crisis terms ``review`` matches, flags first, in order."""
        found = [f[len(CRISIS_PREFIX):] for f in review.flags if f.startswith(CRISIS_PREFIX)]
        text = (review.text_norm or review.text).lower()
        found += [t for t in self.config.terms if t.lower() in text and t not in found]
        return found

    def match(self, reviews: Iterable[Review], now: datetime,
              store: ReviewStore | None = None) -> list[Firing]:
        """Firings for the reviews that match, within the rule's filters and published in
        the last ``window``; one per term."""
        c = self.config
        by_term: dict[str, list[Review]] = {}
        for review in reviews:
            if not (now - c.window <= review.published_at <= now and self._wanted(review)):
                continue
            for term in self.terms(review):
                by_term.setdefault(term, []).append(review)
        return [self._firing(store, term, found, now) for term, found in sorted(by_term.items())]

    def _wanted(self, review: Review) -> bool:
        c = self.config
        return ((not c.sources or review.source in c.sources)
                and (not c.entities or bool(set(c.entities) & set(review.entities))))

    def _firing(self, store: ReviewStore | None, term: str, reviews: list[Review],
                now: datetime) -> Firing:
        c = self.config
        reviews = sorted(reviews, key=lambda r: r.published_at)

        def summary(scope: str) -> tuple[str, str]:
            zh = f"{len(reviews)} 条评论提到危机关键词“{term}”"
            en = f"{len(reviews)} review(s) mention the crisis term “{term}”"
            return wording.scoped(scope, zh, en)

        window_query = self.query(None, now - c.window, now)
        explained = explain(
            store, rule=self, group_key=term, window_query=window_query, baseline_query=None,
            headline=f"{wording.HEADLINES[self.type_name]}：{term}", summary=summary,
            reviews=reviews, facts={"metric": "crisis_reviews", "term": term,
                                    "count": len(reviews)})
        return self.explained_firing(term, now, reviews[0].published_at, len(reviews), 0.0,
                                     0.0, explained)
