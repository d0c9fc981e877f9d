"""The trends page's topic table: what people talk about in the window, how much of it is
negative, and how the negative mentions moved against the window of the same length before
it (so a brand team sees *what* turned sour, not only *that* something did)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from models.store import ReviewQuery
from web import reads

MAX_TOPICS = 15


@dataclass(frozen=True)
class TopicRow:
    topic: str
    mentions: int
    negative: int
    previous_negative: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None

    @property
    def change(self) -> int:
        return self.negative - self.previous_negative


def topic_rows(query: ReviewQuery, start: datetime, end: datetime) -> list[TopicRow]:
    """Topics of ``query``'s reviews published in ``[start, end)``, most mentioned first (at
    most ``MAX_TOPICS``), in the reader's scope."""
    before = start - (end - start)

    def counts(lo: datetime, hi: datetime, *sentiments: str) -> dict:
        window = replace(query, start=lo, end=hi, sentiments=sentiments)
        return {k: n for k, n in reads.review_counts(window, "topic").items() if k is not None}
    mentions = counts(start, end)
    negative, previous = counts(start, end, "negative"), counts(before, start, "negative")
    rows = [TopicRow(t, n, negative.get(t, 0), previous.get(t, 0)) for t, n in mentions.items()]
    rows.sort(key=lambda r: (-r.mentions, -r.negative, r.topic))
    return rows[:MAX_TOPICS]
