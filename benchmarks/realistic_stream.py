"""Review streams built from real labelled review texts, for the realistic detection benchmark.

Texts come from ``../shared/data/sentiment`` (every domain of both files: hotels, ten
e-commerce categories, Weibo posts, Amazon China). Calm reviews mix texts by their gold label
(about 75% positive, 12% neutral, 13% negative, as a brand page reads); burst reviews are
gold-negative texts of one review domain (one complaint theme; Weibo posts are calm texts
only). Only the ``dev`` and ``test`` splits are used: texts the model never trained on.
Every text is then labelled by the
shipped model through ``nlp.enrich`` (sentiment, tokens, topics, flags), never by its gold
label, so the model's own mistakes are in the stream as they would be in production.

One stream is ``weeks`` weeks of one brand at about ``per_day`` reviews a day:

- seasonality: hour of day (Beijing) × day of week, each day scaled by a random factor
  (real days vary more than Poisson: lognormal, sd 0.15);
- a product launch in week 2 (every review ×3, fading over two days), a holiday week in week 3
  (×1.6), a declared sale in the last week (two days: volume ×2, negative share ×1.5, declared
  as an event with ``scale: 2``);
- reposted near-duplicates: 3% of calm reviews (25% inside bursts) repeat a recent text with a
  small edit (a prefix, an emoticon, punctuation), as reposts and copy-pasted complaints do;
- ``bursts_per_week`` injected negative bursts a week after the first (baseline) week, one per
  slot of the week so they never overlap, of varied length (15 min to 6 h) and size
  (3-8 × the negatives expected over their length, at least 8 reviews), starting at random.

Everything comes from one seed. ``Stream.expected_negatives(start, end)`` gives the true
negative rate integrated over a period outside bursts (gold-negative share; the model's label
noise is not in it), which the benchmark uses to say when a burst became visible.
"""
from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from models.config import CalendarEvent
from models.review import Review

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"
BEIJING = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, tzinfo=BEIJING).astimezone(timezone.utc)  # a Monday
ENTITY = "brand"
HOUR_WEIGHTS = [0.25, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3,
                1.4, 1.3, 1.2, 1.2, 1.2, 1.3, 1.5, 1.8, 2.0, 1.9, 1.3, 0.6]
DAY_WEIGHTS = [0.9, 0.9, 0.95, 0.95, 1.0, 1.15, 1.15]
_MEAN_WEIGHT = sum(HOUR_WEIGHTS) / 24 * sum(DAY_WEIGHTS) / 7
GOLD_SHARES = {"positive": 0.75, "neutral": 0.12, "negative": 0.13}
REPOST, BURST_REPOST = 0.03, 0.25
SPLITS = ("dev", "test")
SOCIAL = ("weibo", "weibo_emotion")  # posts, not reviews: calm texts only, never a burst
BURST_LENGTHS = [15, 30, 60, 120, 240, 360]   # minutes
DAY_NOISE = 0.15
REPOST_EDITS = ["转发：{}", "{} [怒]", "{}！！", "同感 {}", "{}。。。", "// {}", "{} +1"]


@dataclass
class Burst:
    start: datetime
    end: datetime
    size: int
    domain: str
    ids: tuple[str, ...] = ()
    model_negatives: int = 0      # of its reviews, those the model labels negative (``label``)

    def __hash__(self) -> int:
        return hash((self.start, self.domain))


@dataclass
class Stream:
    per_day: float
    weeks: int
    seed: int
    reviews: list[Review]
    bursts: list[Burst]
    events: list[CalendarEvent]
    start: datetime = START
    _day_noise: dict = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(weeks=self.weeks)

    def expected_negatives(self, start: datetime, end: datetime) -> float:
        """Gold-negative reviews expected over ``[start, end)`` outside bursts."""
        total, at, step = 0.0, start, timedelta(minutes=5)
        while at < end:
            piece = min(step, end - at)
            total += (self.rate(at) * self.negative_share(at) * piece / timedelta(hours=1))
            at += piece
        return total

    def rate(self, at: datetime) -> float:
        """Reviews per hour at ``at`` outside bursts."""
        local = at.astimezone(BEIJING)
        rate = (self.per_day / 24 / _MEAN_WEIGHT * HOUR_WEIGHTS[local.hour]
                * DAY_WEIGHTS[local.weekday()] * self._day_noise.get(local.date(), 1.0))
        launch, holiday, sale = self.launch, self.holiday, self.sale
        if at >= launch:  # ×3 at launch, fading back over two days
            rate *= 1 + 2 * math.exp(-(at - launch) / timedelta(hours=16))
        if holiday[0] <= at < holiday[1]:
            rate *= 1.6
        if sale[0] <= at < sale[1]:
            rate *= 2
        return rate

    def negative_share(self, at: datetime) -> float:
        share = GOLD_SHARES["negative"]
        return share * 1.5 if self.sale[0] <= at < self.sale[1] else share

    @property
    def launch(self) -> datetime:
        return self.start + timedelta(weeks=1, days=2, hours=2)

    @property
    def holiday(self) -> tuple[datetime, datetime]:
        begin = self.start + timedelta(weeks=2, days=2)
        return begin, begin + timedelta(days=7)

    @property
    def sale(self) -> tuple[datetime, datetime]:
        begin = self.start + timedelta(weeks=self.weeks - 1, days=3)
        return begin, begin + timedelta(days=2)


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, list[str]]]:
    """Texts by gold polarity, then by domain, from the ``dev`` and ``test`` splits of both
    labelled files (texts the shipped model was not trained on, so its labels make the
    mistakes they would make on new reviews); the gold label only picks which texts a stream
    uses."""
    out: dict[str, dict[str, list[str]]] = {"positive": {}, "neutral": {}, "negative": {}}
    for name in ("reviews_labeled.csv", "more_domains_labeled.csv"):
        with open(DATA / name, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                label = row.get("label3") or {"1": "positive", "0": "negative"}.get(row["label"])
                text = row["text"].strip()
                if label in out and row["split"] in SPLITS and 4 <= len(text) <= 300:
                    out[label].setdefault(row["domain"], []).append(text)
    return out


def generate(per_day: float, weeks: int = 8, bursts_per_week: int = 5,
             seed: int = 1) -> Stream:
    """The stream (see the module); reviews are not labelled yet (see ``label``)."""
    rng = random.Random(seed * 1_000_003 + int(per_day))
    pool = texts()
    flat = {label: [t for domain in sorted(by) for t in by[domain]]
            for label, by in pool.items()}
    day_noise = {(START.astimezone(BEIJING) + timedelta(days=d)).date():
                 rng.lognormvariate(0, DAY_NOISE) for d in range(weeks * 7 + 1)}
    stream = Stream(per_day, weeks, seed, [], [], [], _day_noise=day_noise)
    sale = stream.sale
    stream.events = [CalendarEvent(name="双11 预热", kind="sale", start=sale[0], end=sale[1],
                                   scale=2)]
    recent: list[str] = []
    hour = stream.start
    while hour < stream.end:
        for _ in range(poisson(rng, stream.rate(hour))):
            at = hour + timedelta(seconds=rng.uniform(0, 3600))
            text = _calm_text(rng, flat, stream.negative_share(at), recent)
            stream.reviews.append(_review(len(stream.reviews), at, text))
        hour += timedelta(hours=1)
    domains = sorted(d for d, t in pool["negative"].items()
                     if len(t) >= 50 and d not in SOCIAL)
    slot = timedelta(weeks=1) / bursts_per_week
    for week in range(1, weeks):
        for k in range(bursts_per_week):
            length = timedelta(minutes=rng.choice(BURST_LENGTHS))
            room = slot - length - timedelta(hours=6)
            start = stream.start + timedelta(weeks=week) + slot * k + room * rng.random()
            expected = stream.expected_negatives(start, start + length)
            size = max(8, round(rng.uniform(3, 8) * expected))
            domain = rng.choice(domains)
            burst = Burst(start, start + length, size, domain)
            stream.bursts.append(burst)
            theme: list[str] = []
            ids = []
            for _ in range(size):
                at = start + length * rng.random()
                if theme and rng.random() < BURST_REPOST:
                    text = _repost(rng, rng.choice(theme))
                else:
                    text = rng.choice(pool["negative"][domain])
                    theme.append(text)
                stream.reviews.append(_review(len(stream.reviews), at, text))
                ids.append(stream.reviews[-1].id)
            burst.ids = tuple(ids)
    stream.reviews.sort(key=lambda r: r.published_at)
    return stream


def label_stream(stream: Stream, enricher) -> None:
    """Label the stream's reviews (``label``) and count each burst's model negatives."""
    label(stream.reviews, enricher)
    negative = {r.id for r in stream.reviews if r.sentiment and r.sentiment.label == "negative"}
    for burst in stream.bursts:
        burst.model_negatives = sum(1 for i in burst.ids if i in negative)


def label(reviews: list[Review], enricher) -> None:
    """Label ``reviews`` in place with ``enricher`` (the shipped model), each distinct text
    analysed once (reposts and reused texts are looked up)."""
    first: dict[str, Review] = {}
    for review in reviews:
        first.setdefault(review.text, review)
    enricher.enrich(list(first.values()))
    for review in reviews:
        done = first[review.text]
        if done is not review:
            review.text_norm, review.script, review.tokens = (done.text_norm, done.script,
                                                              done.tokens)
            review.sentiment, review.topics, review.aspects = (done.sentiment, done.topics,
                                                               done.aspects)
            review.keywords, review.flags = done.keywords, list(done.flags)
            review.entities = list(done.entities)


def _calm_text(rng: random.Random, flat: dict, negative_share: float,
               recent: list[str]) -> str:
    if recent and rng.random() < REPOST:
        return _repost(rng, rng.choice(recent))
    roll = rng.random()
    if roll < negative_share:
        label_ = "negative"
    elif roll < negative_share + GOLD_SHARES["neutral"]:
        label_ = "neutral"
    else:
        label_ = "positive"
    text = rng.choice(flat[label_])
    recent.append(text)
    if len(recent) > 500:
        del recent[:250]
    return text


def _repost(rng: random.Random, text: str) -> str:
    return rng.choice(REPOST_EDITS).format(text)


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:  # normal approximation: Knuth's loop underflows for large rates
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _review(n: int, at: datetime, text: str) -> Review:
    return Review.create("realistic", f"r{n}", text, platform="bench", published_at=at,
                         entities=[ENTITY])
