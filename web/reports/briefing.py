"""The briefing (舆情简报) of one period for one group of entities, beside the period before:

- ``overview``: per entity of the group (and the group as a whole, first) reviews, negative /
  neutral / positive, negative share and net sentiment, with the previous period's figures;
- ``csat``: the share of rated reviews rated 4 or 5 (of 5), this period and the previous one;
- ``trend``: the same counts per bucket (local hours of a day, local days otherwise) and entity;
- ``topics``: topics of this period's negative reviews against the previous period's;
- ``notable``: the most liked and replied negative reviews, near-duplicates collapsed into the
  first of them (with how many there were), text as written;
- ``incidents``: incidents opened in the period that touch the group.

``build_briefing`` reads through a ``BriefingReads`` (the web passes reads scoped to the
signed-in user, the CLI and the scheduler the whole store), so the figures are those of one
scope throughout. Renderers (``pdf``, ``workbook``, ``mail``) only lay it out.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator, Protocol, Sequence

from models.config import EntityConfig
from models.review import Review
from models.state import Incident
from models.store import ReviewPage, ReviewQuery, TrendPoint
from web.reports.period import Period
from web.trend_series import SENTIMENT_ORDER, TrendBucket, fold, store_step

ALL = "*"  # the entity key of the row that covers the whole group
NOTABLE = 8            # notable negative reviews shown
CANDIDATES = 300       # most engaging negatives looked at to find them
SIMILAR = 0.5          # character-bigram Jaccard from which two reviews count as one


class BriefingReads(Protocol):
    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]: ...
    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None,
              offset: timedelta = ...) -> list[TrendPoint]: ...
    def incidents(self, start: datetime, end: datetime) -> list[Incident]: ...
    def reviews(self, query: ReviewQuery) -> Iterator[Review]: ...


def newest_published(search: Callable[[ReviewQuery, int], ReviewPage],
                     entities: Sequence[str] = ()) -> Callable[[datetime], datetime | None]:
    """``newest(now)`` for ``latest_with_data``: the newest review of ``entities`` published
    before ``now``, as ``search`` finds it (``ReviewStore.search`` over the whole store, or
    ``web.reads.search_reviews`` in the reader's scope)."""
    def newest(now: datetime) -> datetime | None:
        page = search(ReviewQuery(entities=tuple(entities), end=now), 1)
        return page.reviews[0].published_at if page.reviews else None
    return newest

@dataclass
class Tally:
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    other: int = 0  # not analysed yet

    @classmethod
    def of(cls, counts: dict) -> "Tally":
        known = {k: counts.get(k, 0) for k in SENTIMENT_ORDER}
        return cls(**known, other=sum(counts.values()) - sum(known.values()))

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive + self.other

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None

    @property
    def net_sentiment(self) -> float | None:
        return (self.positive - self.negative) / self.total if self.total else None


@dataclass
class EntityRow:
    entity: str  # ALL for the whole group
    name: str
    now: Tally
    previous: Tally

    @property
    def share_change(self) -> float | None:
        now, before = self.now.negative_share, self.previous.negative_share
        return None if now is None or before is None else now - before


@dataclass
class Csat:
    rated: int = 0
    satisfied: int = 0  # rated 4 or more of 5

    @property
    def value(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


@dataclass
class Notable:
    review: Review
    similar: int = 0  # near-duplicates collapsed into this one


@dataclass
class Briefing:
    period: Period
    complete: bool        # False while the period is still running
    group: str            # the group's name ("全部" or the entities' names)
    names: dict[str, str]  # entity id -> name, for every configured entity
    overview: list[EntityRow] = field(default_factory=list)
    csat: tuple[Csat, Csat] = (Csat(), Csat())
    trend: list[tuple[datetime, str, Tally]] = field(default_factory=list)  # (UTC start, entity)
    topics: list[tuple[str, int, int]] = field(default_factory=list)   # (topic, now, previous)
    notable: list[Notable] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def total(self) -> EntityRow:
        return self.overview[0]

    @property
    def share_of_voice(self) -> list[tuple[str, int, float]]:
        """``(name, reviews, share of the group's entity mentions)`` when the group has
        several entities, else empty."""
        rows = self.overview[1:]
        mentions = sum(row.now.total for row in rows)
        if len(rows) < 2 or not mentions:
            return []
        return [(row.name, row.now.total, row.now.total / mentions) for row in rows]

    def entity_names(self, ids: Sequence[str] | None) -> str:
        return "、".join(self.names.get(i, i) for i in ids or ())


def bigrams(text: str) -> frozenset[str]:
    compact = "".join(text.split())
    return frozenset(compact[i:i + 2] for i in range(max(1, len(compact) - 1)))


def similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SIMILAR


def collapse_similar(reviews: Sequence[Review], limit: int) -> list[Notable]:
    """The first ``limit`` reviews of ``reviews`` that are not near-duplicates of an earlier
    one; each counts the later near-duplicates folded into it."""
    kept: list[tuple[frozenset[str], Notable]] = []
    for review in reviews:
        grams = bigrams(review.text_norm or review.text)
        twin = next((notable for seen, notable in kept if similar(seen, grams)), None)
        if twin is not None:
            twin.similar += 1
        elif len(kept) < limit:
            kept.append((grams, Notable(review)))
    return [notable for _, notable in kept]


def _engagement(review: Review) -> tuple:
    return (review.likes + review.replies, review.likes, review.published_at)


def build_briefing(reads: BriefingReads, period: Period, entities: Sequence[EntityConfig],
                   now: datetime, all_name: str = "全部", only: Sequence[str] = ()) -> Briefing:
    """The briefing of ``period`` for ``entities``; with ``only`` (entity ids) the group is
    those entities, and its row, topics, reviews and incidents cover just them."""
    previous = period.previous
    only = tuple(only)
    names = {e.id: e.name for e in entities}
    members = [e for e in entities if e.id in only] if only else list(entities)
    group = "、".join(e.name for e in members) if only else all_name
    briefing = Briefing(period, now >= period.end, group, names)
    scopes = [(ALL, all_name if not only else group, only)]
    scopes += [(e.id, e.name, (e.id,)) for e in members]
    edges = period.bucket_edges()
    step, offset = store_step(edges)

    def tally(ids: tuple[str, ...], span: Period) -> Tally:
        query = ReviewQuery(entities=ids, start=span.start, end=span.end)
        return Tally.of(reads.count(query, "sentiment"))

    for key, name, ids in scopes:
        briefing.overview.append(EntityRow(key, name, tally(ids, period), tally(ids, previous)))
        buckets = [TrendBucket(lo, hi) for lo, hi in zip(edges, edges[1:])]
        fold(reads.trend(ReviewQuery(entities=ids, start=period.start, end=period.end), step,
                         "sentiment", offset), buckets, "sentiments")
        briefing.trend += [(b.start, key, Tally.of(b.sentiments)) for b in buckets]
    briefing.trend.sort(key=lambda row: (row[0], row[1] != ALL))

    def negative_topics(span: Period) -> dict:
        return reads.count(ReviewQuery(entities=only, sentiments=("negative",),
                                       start=span.start, end=span.end), "topic")
    now_topics, old_topics = negative_topics(period), negative_topics(previous)
    briefing.topics = sorted(((str(t), n, old_topics.get(t, 0)) for t, n in now_topics.items()
                              if t is not None), key=lambda row: (-row[1], row[0]))
    briefing.csat = (csat(reads, only, period), csat(reads, only, previous))
    negatives = reads.reviews(ReviewQuery(entities=only, sentiments=("negative",),
                                          start=period.start, end=period.end))
    top = heapq.nlargest(CANDIDATES, negatives, key=_engagement)
    briefing.notable = collapse_similar(top, NOTABLE)
    briefing.incidents = sorted((i for i in reads.incidents(period.start, period.end)
                                 if not only or set(only) & set(i.entities or ())),
                                key=lambda i: (i.opened_at, i.id))
    return briefing


def csat(reads: BriefingReads, only: tuple[str, ...], span: Period) -> Csat:
    """Customer satisfaction of the rated reviews published in ``span``."""
    result = Csat()
    for review in reads.reviews(ReviewQuery(entities=only, start=span.start, end=span.end)):
        if review.rating is not None:
            result.rated += 1
            result.satisfied += review.rating >= 4
    return result


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)
