"""Writes the demo site's reviews: titles, text, ratings and authors composed from the phrases
in ``phrases.yaml`` with seeded variation, in simplified or traditional script."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc
import yaml

PHRASES = Path(__file__).with_name("phrases.yaml")
TRADITIONAL_SHARE = 0.2


@lru_cache(maxsize=1)
def load_phrases(path: Path = PHRASES) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2tw")  # Taiwan standard characters


@dataclass(frozen=True, slots=True)
class WrittenReview:
    title: str
    content: str
    rating: int | None
    version: str
    script: str  # zh-Hans | zh-Hant


class ReviewWriter:
    """Composes one review at a time from ``phrases``; all randomness comes from the ``rng``
    passed in, so a seeded caller gets the same reviews every run."""

    def __init__(self, phrases: dict | None = None):
        self.phrases = phrases or load_phrases()

    def write(self, rng: random.Random, sentiment: str, defect: str | None = None,
              rated: bool = True) -> WrittenReview:
        """A review written as ``sentiment`` (positive|negative|neutral); with ``defect`` (a key
        of ``defects``) it is a complaint about that defect after the latest update."""
        p = self.phrases
        version = p["burst_version"] if defect else rng.choice(p["versions"])
        if defect:
            lines = rng.sample(p["defects"][defect]["lines"], k=rng.choice((1, 1, 2)))
            title = rng.choice(p["defects"][defect]["title"])
        else:
            pool = p[sentiment]
            lines = rng.sample(pool, k=rng.choice((1, 1, 2)))
            title = rng.choice(p["titles"][sentiment])
        slots = dict(product=rng.choice(p["products"]), days=rng.randint(2, 90),
                     hours=rng.randint(1, 5), percent=rng.randint(15, 60),
                     price=rng.choice((200, 300, 500, 800)), version=version)
        body = (rng.choice(p["openers"]) + "".join(lines)).format(**slots)
        emoji, closer = rng.choice(p["emoji"][sentiment]), rng.choice(p[f"{sentiment}_closers"])
        script = "zh-Hans"
        if rng.random() < TRADITIONAL_SHARE:
            # Emoticon codes such as [赞] are platform codes: they stay as the platform spells them.
            convert = _to_traditional().convert
            converted = convert(title), convert(body), convert(closer)
            if converted != (title, body, closer):  # some texts read the same in both scripts
                (title, body, closer), script = converted, "zh-Hant"
        content = body + emoji + closer
        return WrittenReview(title, content, self._rating(rng, sentiment) if rated else None,
                             version, script)

    @staticmethod
    def _rating(rng: random.Random, sentiment: str) -> int:
        if sentiment == "positive":
            return rng.choice((5, 5, 5, 4))
        if sentiment == "negative":
            return rng.choice((1, 1, 1, 2))
        return rng.choice((3, 3, 3, 4, 2))

    def author(self, rng: random.Random) -> str:
        names = self.phrases["authors"]
        if rng.random() < names["plain_share"]:
            return f"用户{rng.randint(1000, 999999)}"
        name = rng.choice(names["first"]) + rng.choice(names["second"])
        return name + str(rng.randint(1, 999)) if rng.random() < 0.3 else name
