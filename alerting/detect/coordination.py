"""Near-duplicate grouping and the coordinated-review (刷差评) flag for a firing's reviews.

- ``near_duplicates`` groups reviews whose texts share most of their character trigrams
  (Jaccard ≥ ``SIMILAR``) — reposts and copy-paste variants — so an incident counts the
  independent voices, not the copies.
- ``coordination`` flags a group of at least ``MIN_CLUSTER`` near-identical negative reviews
  posted within ``MAX_SPAN`` whose authors are mostly (``NEW_AUTHOR_SHARE``) new: absent from
  the baseline sample the explanation already read. That is a suspicion with its evidence
  (texts, authors, span), not a verdict; "no history" is judged on that sample only.
"""
from __future__ import annotations

import re
from collections import _count_elements  # type: ignore[attr-defined]
from datetime import timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, Iterable

from models.review import Review

SIMILAR = 0.6
MIN_CLUSTER = 5
MAX_SPAN = timedelta(hours=2)
NEW_AUTHOR_SHARE = 0.8
_NOISE = re.compile(r"[\s\W_]+")


@lru_cache(maxsize=65536)  # a review is explained again at every tick it stays in a window
def shingles(text: str) -> frozenset[str]:
    """Character trigrams of the text without spaces and punctuation (never empty: a text
    with nothing left is the one empty trigram)."""
    clean = _NOISE.sub("", text.lower())
    return frozenset(clean[i:i + 3] for i in range(max(len(clean) - 2, 1)))


def near_duplicates(reviews: list[Review]) -> list[list[Review]]:
    """Groups of near-identical reviews, largest first; every review is in one group: the
    first group (in order of creation) whose first review it is similar to, else its own.

    Only the groups sharing a trigram with a review can be similar to it (trigram sets are
    never empty), so the leaders are found through an index from trigram to group rather
    than by comparing with every group."""
    leads: list[frozenset[str]] = []
    members: list[list[Review]] = []
    holding: dict[str, list[int]] = {}   # trigram -> groups whose lead has it
    for review in sorted(reviews, key=lambda r: r.published_at):
        grams = shingles(review.text)
        shared: dict[int, int] = {}
        _count_elements(shared, chain.from_iterable(
            [holding[gram] for gram in grams if gram in holding]))
        size = len(grams)
        similar = [g for g, n in shared.items()
                   if n / (size + len(leads[g]) - n) >= SIMILAR]
        if similar:
            members[min(similar)].append(review)
            continue
        for gram in grams:
            holding.setdefault(gram, []).append(len(leads))
        leads.append(grams)
        members.append([review])
    return sorted(members, key=lambda g: -len(g))


def duplicate_summary(groups: list[list[Review]]) -> dict[str, Any]:
    """JSON-ready: how many reviews, how many independent voices, the repeated texts."""
    return {"reviews": sum(len(g) for g in groups), "independent_voices": len(groups),
            "repeated": [{"count": len(g), "text": g[0].text[:80],
                          "review_ids": [r.id for r in g]} for g in groups if len(g) > 1][:5]}


def coordination(groups: list[list[Review]], known_authors: Iterable[str]
                 ) -> dict[str, Any] | None:
    """The evidence of a suspected coordinated burst, or None."""
    known = set(known_authors)
    for group in groups:
        negative = [r for r in group if r.sentiment and r.sentiment.label == "negative"]
        if len(negative) < MIN_CLUSTER:
            continue
        span = negative[-1].published_at - negative[0].published_at
        authors = {r.author for r in negative}
        new = {a for a in authors if a and a not in known}
        if span <= MAX_SPAN and len(new) >= NEW_AUTHOR_SHARE * len(authors):
            return {"suspected": True, "reviews": len(negative),
                    "new_authors": len(new), "authors": sorted(a for a in authors if a)[:20],
                    "span_seconds": int(span.total_seconds()),
                    "text": negative[0].text[:140],
                    "review_ids": [r.id for r in negative],
                    "reason": (f"{len(negative)} 条几乎相同的差评在 "
                               f"{int(span.total_seconds() // 60)} 分钟内发布，"
                               f"{len(new)}/{len(authors)} 个作者此前没有评论")}
    return None

