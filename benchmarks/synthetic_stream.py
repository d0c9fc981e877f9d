"""A synthetic eight-week review stream with known truth, for the detection benchmark.

Volume per hour is a Poisson draw around ``BASE_RATE`` × hour-of-day (Beijing) × day-of-week
× shifts, each day also scaled by a random factor (real days are noisier than Poisson):

- volume shifts: a product launch (week 3: all reviews ×3, fading over two days), the National
  Day holiday (week 4: ×1.6 for a week), a declared 双11-style sale in week 7 (all reviews ×2
  and complaints about delivery ×2 more: negatives ×4 — the config declares it with
  ``scale: 2``, the rest is volume);
- injected negative bursts: ``BURSTS_PER_WEEK`` a week after the first (baseline) week, of
  varied length (10 minutes-3 hours) and intensity (15-60 negative reviews an hour, at least
  8 reviews: 8-180 in all), at random times, about one of several defects (own terms).

Everything comes from one seed, so a run is repeatable. ``Stream.intensity(at)`` gives the
true negative rate per hour outside bursts, so a benchmark can tell when a burst became
statistically visible.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from models.config import CalendarEvent
from models.review import Review, Sentiment

BEIJING = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, tzinfo=BEIJING).astimezone(timezone.utc)  # a Monday
WEEKS = 8
BASE_RATE = 20.0         # reviews per hour at weight 1
NEGATIVE_SHARE = 0.15
BURSTS_PER_WEEK = 4
HOUR_WEIGHTS = [0.25, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3,
                1.4, 1.3, 1.2, 1.2, 1.2, 1.3, 1.5, 1.8, 2.0, 1.9, 1.3, 0.6]
DAY_WEIGHTS = [0.9, 0.9, 0.95, 0.95, 1.0, 1.3, 1.3]
CALM = ["手机", "拍照", "不错", "续航", "一般", "价格", "便宜", "屏幕", "清晰", "物流", "很快"]
DEFECTS = [["发热", "烫手", "降频"], ["闪退", "卡死", "更新"], ["断轴", "异响"],
           ["扣费", "退款", "客服"], ["爆胶", "开胶", "做工"], ["信号", "断流", "基带"]]


@dataclass(frozen=True)
class Burst:
    start: datetime
    end: datetime
    size: int
    terms: tuple[str, ...]


@dataclass
class Stream:
    reviews: list[Review]
    bursts: list[Burst]
    events: list[CalendarEvent]
    start: datetime = START
    end: datetime = START + timedelta(weeks=WEEKS)
    _day_noise: dict = field(default_factory=dict)

    def intensity(self, at: datetime) -> float:
        """True negative reviews per hour at ``at``, outside bursts."""
        return volume(at, self._day_noise) * _negative_share(at)


LAUNCH = START + timedelta(weeks=2, days=2, hours=2)
HOLIDAY = (datetime(2026, 10, 1, tzinfo=BEIJING), datetime(2026, 10, 8, tzinfo=BEIJING))
SALE = (START + timedelta(weeks=6, days=3), START + timedelta(weeks=6, days=5))


def volume(at: datetime, day_noise: dict) -> float:
    local = at.astimezone(BEIJING)
    rate = BASE_RATE * HOUR_WEIGHTS[local.hour] * DAY_WEIGHTS[local.weekday()]
    rate *= day_noise.get(local.date(), 1.0)
    if at >= LAUNCH:  # ×3 at launch, fading back over two days
        rate *= 1 + 2 * math.exp(-(at - LAUNCH) / timedelta(hours=16))
    if HOLIDAY[0] <= at < HOLIDAY[1]:
        rate *= 1.6
    if SALE[0] <= at < SALE[1]:
        rate *= 2
    return rate


def _negative_share(at: datetime) -> float:
    return NEGATIVE_SHARE * (2 if SALE[0] <= at < SALE[1] else 1)


def generate(seed: int = 11) -> Stream:
    rng = random.Random(seed)
    day_noise = {(START.astimezone(BEIJING) + timedelta(days=d)).date():
                 rng.lognormvariate(0, 0.12) for d in range(WEEKS * 7 + 1)}
    reviews: list[Review] = []
    hour = START
    while hour < START + timedelta(weeks=WEEKS):
        rate = volume(hour, day_noise)
        for _ in range(_poisson(rng, rate)):
            at = hour + timedelta(seconds=rng.uniform(0, 3600))
            negative = rng.random() < _negative_share(hour)
            reviews.append(_review(rng, len(reviews), at, negative, CALM))
        hour += timedelta(hours=1)
    bursts = []
    for week in range(1, WEEKS):
        for _ in range(BURSTS_PER_WEEK):
            start = START + timedelta(weeks=week, seconds=rng.uniform(0, 7 * 86400 - 4 * 3600))
            length = timedelta(minutes=rng.choice([10, 20, 30, 60, 90, 120, 180]))
            size = max(8, round(rng.uniform(15, 60) * length / timedelta(hours=1)))
            terms = tuple(rng.choice(DEFECTS))
            bursts.append(Burst(start, start + length, size, terms))
            for _ in range(size):
                at = start + length * rng.random()
                reviews.append(_review(rng, len(reviews), at, True, list(terms) + CALM[:3]))
    events = [CalendarEvent(name="双11 预热", kind="sale", start=SALE[0], end=SALE[1], scale=2)]
    return Stream(reviews, sorted(bursts, key=lambda b: b.start), events,
                  _day_noise=day_noise)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method is fine for the small rates of one hour.
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _review(rng: random.Random, n: int, at: datetime, negative: bool,
            words: list[str]) -> Review:
    tokens = rng.sample(words, min(4, len(words)))
    label = "negative" if negative else rng.choice(["positive", "positive", "neutral"])
    return Review.create("synthetic", f"s{n}", "".join(tokens) + f"#{n}", platform="bench",
                         published_at=at, entities=["brand"], tokens=tokens,
                         rating=1.0 if negative else 5.0, topics=["产品质量"],
                         sentiment=Sentiment(label, -0.8 if negative else 0.6, "bench"))
