"""Hourly roll-ups of the SQLite review store: pre-aggregated review counts maintained on write,
so that an analytics read over 30 days of a million reviews reads thousands of rows, not a
million.

Each roll-up table (a *cuboid* of the data cube, as OLAP engines call it) holds, per UTC hour,
per **set** of entities and per value of its own few dimensions, how many reviews there are.
Entities and topics are kept as the review's whole set (``set_key``), never exploded: a
review naming brands A and B is one row under ``{A, B}``, so "reviews of A or B" sums the rows
whose set meets {A, B} and counts that review once, exactly as the side tables'
``COUNT(DISTINCT review_id)`` does; grouping by entity expands each set into its members.
Keywords are exploded (one row per keyword), which is what ``keyword_counts`` counts.

The keys of the entity and topic sets seen are listed in ``rollup_sets``: a read turns its
entity filter into the sets that meet it and reads each set's range of hours.

A read is answered from the smallest cuboid holding every dimension it filters or groups on
(``cuboid_for``); the whole hours of its window come from the cuboid, the parts of an hour at
either end from the reviews themselves (``split``), so every answer equals the one counted
over the raw rows. Reads the cuboids cannot answer (full text, aspects, several keywords,
a trend whose buckets are not whole hours from a whole hour) fall back to the raw rows.

Writes: every upsert adds each new review's contribution and, for a review that changed
(re-labelled, late, moved to another hour), subtracts the stored version's first, in the
same transaction as the review rows.
"""
from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterable, Iterator

from models.store.base import ReviewQuery, narrowing_fields, rating_key
from models.store.sqlite.sql import bucket as sql_bucket

HOUR = 3_600_000_000  # microseconds, the unit of ``published_at`` in the SQLite store
DAY = 24 * HOUR
# Each cuboid is kept at two grains: per hour (``rollup_<name>``) and per UTC day
# (``rollup_day_<name>``, its ``hour`` column holding the day's start). A count over a month
# reads the month's whole days from the second and only the hours at its ends from the first.
GRAINS = {"": HOUR, "day_": DAY}
NONE = ""  # stored for a review without a sentiment or rating (key columns are NOT NULL)

# name -> dimensions besides the hour and the entity set; smaller cuboids first, since the
# first one that holds every dimension a read needs answers it.
CUBOIDS: dict[str, tuple[str, ...]] = {
    "sentiment": ("sentiment",),
    "rating": ("rating",),
    "keyword": ("keyword",),
    "source_sentiment": ("source", "sentiment"),
    "source_rating": ("source", "rating"),
    "platform_sentiment": ("platform", "sentiment"),
    "platform_rating": ("platform", "rating"),
    "topics_sentiment": ("topics", "sentiment"),
    "topics_rating": ("topics", "rating"),
}
# The dimension a grouped field needs (entity is in every cuboid).
GROUP_DIMENSIONS = {"entity": None, "topic": "topics", "sentiment": "sentiment",
                    "rating": "rating", "source": "source", "platform": "platform"}

# Keyed by entity set first: a read names its sets (``sets``) and reads, for each, one range
# of hours of the primary key, never the rows of other brands.
TABLE = """
CREATE TABLE IF NOT EXISTS rollup_{grain}{name} (
    entities TEXT NOT NULL, hour INTEGER NOT NULL, {columns}, n INTEGER NOT NULL,
    PRIMARY KEY (entities, hour, {keys})
) WITHOUT ROWID;
"""
SCHEMA = "".join(TABLE.format(grain=grain, name=name, keys=", ".join(dims),
                              columns=", ".join(f"{d} TEXT NOT NULL" for d in dims))
                 for grain in GRAINS for name, dims in CUBOIDS.items()) + """
CREATE TABLE IF NOT EXISTS rollup_sets (
    kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (kind, key)
) WITHOUT ROWID;
"""
ROLLUP_TABLES = [f"rollup_{grain}{name}" for grain in GRAINS for name in CUBOIDS] + [
    "rollup_sets"]


def set_key(values: Iterable[str]) -> str:
    """The stored key of a set of values: ``,"a","b",`` (each value JSON-encoded, sorted),
    ``,`` for none; ``members`` reads it back."""
    return _key_of(tuple(sorted(set(values))))


@functools.lru_cache(maxsize=4096)  # a store sees few distinct sets; ingest asks for each often
def _key_of(members: tuple[str, ...]) -> str:
    return "," + "".join(json.dumps(v, ensure_ascii=False) + "," for v in members)


def members(key: str, cache: dict[str, list[str]]) -> list[str]:
    found = cache.get(key)
    if found is None:
        found = cache[key] = json.loads("[" + key[1:-1] + "]") if key != "," else []
    return found


# -- writes ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Facts:
    """What the cuboids keep of one review."""
    published_at: int
    source: str
    platform: str
    sentiment: str | None
    rating: float | None
    entities: tuple[str, ...]
    topics: tuple[str, ...]
    keywords: tuple[str, ...]

    @classmethod
    def from_body(cls, published_at: int, source: str, platform: str, sentiment: str | None,
                  rating: float | None, body: dict) -> "Facts":
        return cls(published_at, source, platform, sentiment, rating,
                   tuple(body.get("entities") or ()), tuple(body.get("topics") or ()),
                   tuple(body.get("keywords") or ()))

    def rows(self, entities: str, topics: str) -> Iterator[tuple[str, tuple]]:
        """``(cuboid, key)`` of each row this review counts in, once each, given the keys of
        its entity and topic sets."""
        values = {"sentiment": self.sentiment or NONE, "source": self.source,
                  "platform": self.platform, "topics": topics,
                  "rating": rating_key(self.rating) or NONE}
        words = sorted(set(self.keywords))
        for grain, size in GRAINS.items():
            start = self.published_at // size * size
            for name, dims in CUBOIDS.items():
                if dims == ("keyword",):
                    for word in words:
                        yield grain + name, (entities, start, word)
                else:
                    yield grain + name, (entities, start, *(values[d] for d in dims))


class Deltas:
    """Changes to the cuboids' counts, gathered over a batch and written at once."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = {grain + name: Counter() for grain in GRAINS
                                           for name in CUBOIDS}
        self.sets: set[tuple[str, str]] = set()

    def add(self, facts: Facts, sign: int = 1) -> None:
        entities, topics = set_key(facts.entities), set_key(facts.topics)
        for name, key in facts.rows(entities, topics):
            self.counts[name][key] += sign
        if sign > 0:
            self.sets.add(("entities", entities))
            self.sets.add(("topics", topics))

    def write(self, con) -> None:
        con.executemany("INSERT OR IGNORE INTO rollup_sets VALUES (?, ?)", sorted(self.sets))
        for name, dims in ((grain + name, dims) for grain in GRAINS
                           for name, dims in CUBOIDS.items()):
            changes = [(*key, n) for key, n in self.counts[name].items() if n]
            if not changes:
                continue
            keys = ", ".join(("entities", "hour", *dims))
            con.executemany(
                f"INSERT INTO rollup_{name} ({keys}, n) VALUES "
                f"({', '.join('?' * (len(dims) + 3))}) "
                f"ON CONFLICT ({keys}) DO UPDATE SET n = n + excluded.n", changes)
            gone = [key for key, n in self.counts[name].items() if n < 0]
            if gone:
                where = " AND ".join(f"{k} = ?" for k in ("entities", "hour", *dims))
                con.executemany(f"DELETE FROM rollup_{name} WHERE {where} AND n <= 0", gone)


def rebuild(con, batch: int = 50_000) -> None:
    """Recount every cuboid from the stored reviews (the schema upgrade that adds them, and
    after a bulk load that bypassed ``upsert``)."""
    for table in ROLLUP_TABLES:
        con.execute(f"DELETE FROM {table}")
    rows = con.execute("SELECT published_at, source, platform, sentiment, rating, body "
                       "FROM reviews")
    while True:
        chunk = rows.fetchmany(batch)
        if not chunk:
            return
        deltas = Deltas()
        for published, source, platform, sentiment, rating, body in chunk:
            deltas.add(Facts.from_body(published, source, platform, sentiment, rating,
                                       json.loads(body)))
        deltas.write(con)


# -- reads ----------------------------------------------------------------------------------
# the ReviewQuery fields a cuboid read can honour (the window is cut by ``split``)
CUBOID_FILTERS = frozenset({"sources", "entities", "sentiments", "topics", "keywords", "start", "end"})


def cuboid_for(query: ReviewQuery, *fields: str) -> str | None:
    """The smallest cuboid holding every dimension ``query`` filters on and ``fields``
    (``GROUP_FIELDS`` or ``"keyword"``) group on; None when no cuboid can answer: a query
    setting any field the cuboids do not hold (full text, aspects, reach, one added to
    ``ReviewQuery`` later) is answered from the reviews."""
    if len(query.keywords) > 1 or not narrowing_fields(query) <= CUBOID_FILTERS:
        return None
    needed = {d for name, d in (("sources", "source"), ("sentiments", "sentiment"),
                                ("topics", "topics"), ("keywords", "keyword"))
              if getattr(query, name)}
    for field in fields:
        if field == "keyword":
            if query.keywords:
                return None
            needed.add("keyword")
        elif field not in GROUP_DIMENSIONS:
            return None
        elif GROUP_DIMENSIONS[field]:
            needed.add(GROUP_DIMENSIONS[field])
    return next((name for name, dims in CUBOIDS.items() if needed <= set(dims)), None)


@dataclass(frozen=True)
class Split:
    """A window cut into the whole hours ``[first, last)`` the cuboids answer (None: open)
    and the parts of an hour at its ends, read from the reviews (``edges``)."""
    first: int | None
    last: int | None
    edges: list[ReviewQuery]


def split(query: ReviewQuery, micros: Callable[[datetime], int],
          from_micros: Callable[[int], datetime]) -> Split | None:
    """None when the window holds no whole hour (the reviews answer it all)."""
    start = None if query.start is None else micros(query.start)
    end = None if query.end is None else micros(query.end)
    first = None if start is None else -(-start // HOUR) * HOUR
    last = None if end is None else end // HOUR * HOUR
    if first is not None and last is not None and first >= last:
        return None
    edges = []
    if start is not None and start < first:
        edges.append(replace(query, end=from_micros(first)))
    if end is not None and last < end:
        edges.append(replace(query, start=from_micros(last)))
    return Split(first, last, edges)


def sets(con, kind: str, wanted: tuple[str, ...]) -> list[str]:
    """The stored keys of ``kind`` (entities or topics) whose set meets ``wanted`` (every
    key when ``wanted`` is empty)."""
    keys = [k for (k,) in con.execute("SELECT key FROM rollup_sets WHERE kind = ?", (kind,))]
    if not wanted:
        return keys
    cache: dict[str, list[str]] = {}
    return [k for k in keys if not set(members(k, cache)).isdisjoint(wanted)]


def where(con, query: ReviewQuery) -> tuple[list[str], list]:
    """The conditions over a cuboid (alias ``c``) for ``query``'s filters but its window:
    the entity sets it matches (each then read as one range of the primary key)."""
    parts = ["c.entities IN (SELECT value FROM json_each(?))"]
    params: list = [json.dumps(sets(con, "entities", query.entities), ensure_ascii=False)]
    if query.topics:  # the set meets the topics asked for
        parts.append("c.topics IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sets(con, "topics", query.topics), ensure_ascii=False))
    for name, column in (("sources", "source"), ("sentiments", "sentiment")):
        values = getattr(query, name)
        if values:
            parts.append(f"c.{column} IN ({','.join('?' * len(values))})")
            params += list(values)
    if query.keywords:
        parts.append("c.keyword = ?")
        params.append(query.keywords[0])
    return parts, params


def ranges(window: Split, step: int | None,
           offset: int = 0) -> list[tuple[str, int | None, int | None]]:
    """``(grain, first, last)`` ranges covering the window's whole hours: its whole days from
    the daily cuboid when each UTC day falls in one bucket (buckets of whole days starting at
    UTC midnight, or none: ``step`` None), the hours around them from the hourly one."""
    first, last = window.first, window.last
    if step is not None and (step % DAY or offset % DAY):
        return [("", first, last)]
    day_first = None if first is None else -(-first // DAY) * DAY
    day_last = None if last is None else last // DAY * DAY
    if day_first is not None and day_last is not None and day_first >= day_last:
        return [("", first, last)]
    out = [("day_", day_first, day_last)]
    if first is not None and first < day_first:
        out.append(("", first, day_first))
    if last is not None and day_last < last:
        out.append(("", day_last, last))
    return out


def column_of(field: str) -> str:
    return {"entity": "entities", "topic": "topics"}.get(field, field)


def expand(field: str, value: str, restrict: tuple[str, ...] | None,
           cache: dict[str, list[str]]) -> list[str | None]:
    """The group keys a stored value stands for: a set's members (only those of
    ``restrict`` when given), a scalar's value (None for ``NONE``)."""
    if field in ("entity", "topic"):
        found = members(value, cache)
        return [v for v in found if v in restrict] if restrict is not None else found
    return [None if value == NONE and field in ("sentiment", "rating") else value]


def grouped(con, name: str, query: ReviewQuery, window: Split, fields: tuple[str, ...],
            step: int | None, restrict: dict[str, tuple[str, ...]], offset: int = 0) -> Counter:
    """``{(bucket or None, key of each field...): n}`` over the cuboid ``name`` (``ranges``
    of its two grains); buckets of ``step`` from ``offset`` (whole hours, ``sql.bucket``)."""
    conditions, params = where(con, query)
    columns = [f"c.{column_of(f)}" for f in fields]
    bucket, bucket_params = sql_bucket("c.hour", step, offset)
    select = ", ".join([bucket, *columns, "SUM(c.n)"])
    groups = ", ".join(["1", *(str(i + 2) for i in range(len(fields)))])
    out: Counter = Counter()
    cache: dict[str, list[str]] = {}
    for grain, first, last in ranges(window, step, offset):
        parts, bounds = list(conditions), []
        if first is not None:
            parts.append("c.hour >= ?")
            bounds.append(first)
        if last is not None:
            parts.append("c.hour < ?")
            bounds.append(last)
        rows = con.execute(f"SELECT {select} FROM rollup_{grain}{name} c "
                           f"WHERE {' AND '.join(parts)} GROUP BY {groups}",
                           bucket_params + params + bounds)
        for row in rows:
            keys = [()]
            for field, value in zip(fields, row[1:-1]):
                keys = [k + (v,) for k in keys
                        for v in expand(field, value, restrict.get(field), cache)]
            for key in keys:
                out[(row[0], *key)] += row[-1]
    return out
