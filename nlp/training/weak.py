"""Training examples from outside the labelled corpus: people's corrections and star ratings.

- ``correction_examples``: the latest correction of each review (``nlp.corrections``);
  neutral corrections are counted but cannot teach the two-class model.
- ``star_examples``: crawled reviews with a rating as weak labels: 4–5 stars positive, 0–2
  negative, 3 left out (a three-star review is as often a complaint as praise); spam is
  left out. Weak because a rating says less than a written label: ``WEAK_WEIGHT``.
- ``stream_texts``: the texts of crawled reviews (spam left out), the user's own stream that
  ``train(stream=...)`` adapts to by self-training.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from models.review import Review
from nlp.corrections import read_corrections
from nlp.flags import SPAM_FLAG
from nlp.training.train import CORRECTION_WEIGHT, WEAK_WEIGHT, ExtraExample

STREAM_LIMIT = 50_000  # stream texts read for adapting (training time grows with them)
POSITIVE_STARS = 4.0
NEGATIVE_STARS = 2.0


def correction_examples(home: str | Path) -> tuple[list[ExtraExample], list[str]]:
    """``(examples, problems)`` from the corrections recorded under ``home``."""
    corrections, problems = read_corrections(home)
    return [ExtraExample(c.text, c.label, CORRECTION_WEIGHT, "correction")
            for c in corrections], problems


def star_label(rating: float | None) -> str | None:
    if rating is None:
        return None
    if rating >= POSITIVE_STARS:
        return "positive"
    if rating <= NEGATIVE_STARS:
        return "negative"
    return None


def star_examples(reviews: Iterable[Review]) -> list[ExtraExample]:
    """Weak examples from rated, non-spam reviews with text."""
    out = []
    for review in reviews:
        label = star_label(review.rating)
        if label and review.text and SPAM_FLAG not in review.flags:
            out.append(ExtraExample(review_text(review), label, WEAK_WEIGHT, "stars"))
    return out


def review_text(review: Review) -> str:
    return f"{review.title}。{review.text}" if review.title else review.text


def stream_texts(reviews: Iterable[Review], limit: int = STREAM_LIMIT) -> list[str]:
    """The texts of up to ``limit`` non-spam reviews (title and text), each once, for
    adapting to the stream (the store gives them oldest first)."""
    seen: dict[str, None] = {}
    for review in reviews:
        if review.text and SPAM_FLAG not in review.flags:
            seen.setdefault(review_text(review), None)
            if len(seen) >= limit:
                break
    return list(seen)
