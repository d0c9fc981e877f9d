"""The embedded review store: one SQLite file (WAL) with an FTS5 index over segmented tokens.

Each thread gets its own connection; writes take ``BEGIN IMMEDIATE`` so that several processes
(the web app, the scheduler, crawl child processes) can write the same file safely. The feed
order is a sequence number that every insert and every real change advances.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

from models.exceptions import StoreError
from models.review import Review
from models.sqlite_wal import enable_wal
from models.store.base import (
    ReviewPage,
    ReviewQuery,
    ReviewStore,
    StoreStats,
    TrendPoint,
    UpsertResult,
    aspect_keys,
    batches_by_id,
    bucket_steps,
    group_field,
    relabel_batches,
    stable_json,
)
from models.store.cursors import decode_cursor, encode_cursor
from models.store.highlight import highlights
from models.store.sqlite import rollup, sql


class SQLiteReviewStore(ReviewStore):
    def __init__(self, home: Path, path: str = "reviews.db", batch_size: int = 500):
        self.path = Path(home) / path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate()

    # -- connections --------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                      check_same_thread=False)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open review store {self.path}: {exc}") from exc
            enable_wal(con)
            con.execute("PRAGMA synchronous=NORMAL")
            # The random review-id keys make index inserts scattered: a larger page cache
            # keeps the hot parts of the indexes in memory (SQLite's default is 2 MB).
            con.execute("PRAGMA cache_size=-65536")
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _migrate(self) -> None:
        con = self._con()
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version >= sql.SCHEMA_VERSION:
            return
        with self._write():
            # Another process may have upgraded the file while this one waited for the lock.
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version >= sql.SCHEMA_VERSION:
                return
            columns = {row[1] for row in con.execute("PRAGMA table_info(reviews)")}
            if columns and "rating" not in columns:
                for statement in sql.ADD_RATING:
                    con.execute(statement)
            facets_stale = version < sql.FACETS_VERSION
            script = (sql.MIGRATE_FACETS if facets_stale else "") + sql.SCHEMA + rollup.SCHEMA
            for statement in sql.statements(script):
                con.execute(statement)  # idempotent DDL, inside the write transaction
            if facets_stale:
                for backfill in sql.BACKFILL_FACETS.values():
                    con.execute(backfill)
            rollup.rebuild(con)
            con.execute(f"PRAGMA user_version={sql.SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction around several statements (a roll-up read and its edges),
        so a write committed between them is seen by all or none."""
        con = self._con()
        if con.in_transaction:
            yield con
            return
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("COMMIT")

    def rebuild_rollups(self) -> None:
        """Recount the roll-ups from the stored reviews (``rollup.rebuild``)."""
        with self._write() as con:
            rollup.rebuild(con)

    # -- writes -------------------------------------------------------------------------
    def upsert(self, reviews: Iterable[Review]) -> UpsertResult:
        result = UpsertResult()
        for batch in batches_by_id(reviews, self.batch_size):
            result += self._write_batch(batch)
        return result

    def relabel(self, reviews: Iterable[tuple[str, Review]]) -> UpsertResult:
        result = UpsertResult()
        for batch, expected in relabel_batches(reviews, self.batch_size):
            result += self._write_batch(batch, expected)
        return result

    def _write_batch(self, batch: dict[str, Review],
                     expected: dict[str, str] | None = None) -> UpsertResult:
        """Write ``batch``; with ``expected`` (``relabel``), only the reviews whose stored
        content hash is still the expected one, each keeping its feed ``seq``."""
        bodies = {rid: r.to_dict() for rid, r in batch.items()}
        hashes = {rid: stable_json(body)[1] for rid, body in bodies.items()}
        ids = list(batch)
        with self._write() as con:
            held = {rid: (content_hash, seq) for rid, content_hash, seq in con.execute(
                "SELECT id, content_hash, seq FROM reviews "
                f"WHERE id IN ({','.join('?' * len(ids))})", ids)}
            stored = {rid: content_hash for rid, (content_hash, _) in held.items()}
            changed = [rid for rid in ids if stored.get(rid) != hashes[rid]]
            if expected is not None:
                changed = [rid for rid in changed
                           if rid in stored and stored[rid] == expected[rid]]
            deltas = rollup.Deltas()
            replaced = [rid for rid in changed if rid in stored]
            for i in range(0, len(replaced), 500):
                chunk = replaced[i:i + 500]
                for published, source, platform, sentiment, rating, body in con.execute(
                        "SELECT published_at, source, platform, sentiment, rating, body "
                        f"FROM reviews WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                    deltas.add(rollup.Facts.from_body(published, source, platform, sentiment,
                                                      rating, json.loads(body)), -1)
            seq = con.execute("SELECT COALESCE(MAX(seq), 0) FROM reviews").fetchone()[0]
            rows = []
            for offset, rid in enumerate(changed, start=1):
                review, body = batch[rid], bodies[rid]
                place = held[rid][1] if expected is not None else seq + offset
                rows.append((rid, place, review.source, review.platform,
                             sql.micros(review.published_at),
                             review.sentiment.label if review.sentiment else None,
                             " ".join(t for t in review.tokens if t.strip()),
                             review.fingerprint(), hashes[rid],
                             json.dumps(body, ensure_ascii=False), review.rating))
            con.executemany(sql.UPSERT, rows)
            for row in rows:
                deltas.add(rollup.Facts.from_body(row[4], row[2], row[3], row[5], row[10],
                                                  bodies[row[0]]))
            deltas.write(con)
            updated = [rid for rid in changed if rid in stored]
            for table, _ in sql.FACETS.values():
                con.executemany(f"DELETE FROM {table} WHERE review_id = ?",
                                [(rid,) for rid in updated])
            for field, values in (("entities", lambda r: r.entities),
                                  ("topics", lambda r: r.topics),
                                  ("aspects", lambda r: aspect_keys(r.aspects)),
                                  ("keywords", lambda r: r.keywords)):
                con.executemany(sql.FACET_INSERT[field], [
                    (value, rid, row[4], row[5], row[2], row[10])
                    for rid, row in zip(changed, rows) for value in values(batch[rid])])
        return UpsertResult(new=len(changed) - len(updated), updated=len(updated),
                            unchanged=len(ids) - len(changed))

    # -- reads --------------------------------------------------------------------------
    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        ids, found = list(ids), {}
        for i in range(0, len(ids), self.batch_size):
            chunk = ids[i:i + self.batch_size]
            found.update(self._con().execute(
                f"SELECT id, fingerprint FROM reviews WHERE id IN ({','.join('?' * len(chunk))})",
                chunk))
        return found

    def get(self, review_id: str) -> Review | None:
        row = self._con().execute("SELECT body FROM reviews WHERE id = ?", (review_id,)).fetchone()
        return _review(row[0]) if row else None

    def get_many(self, review_ids: Iterable[str]) -> dict[str, Review]:
        ids, bodies = list(dict.fromkeys(review_ids)), {}
        for i in range(0, len(ids), self.batch_size):
            chunk = ids[i:i + self.batch_size]
            bodies.update(self._con().execute(
                f"SELECT id, body FROM reviews WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return {rid: _review(bodies[rid]) for rid in ids if rid in bodies}

    def search(self, query: ReviewQuery = ReviewQuery(), limit: int = 50,
               cursor: str | None = None) -> ReviewPage:
        where, params = sql.where_clause(query)
        if cursor is not None:
            published, rid = decode_cursor("search", cursor, 2, (int, str))
            where += " AND (r.published_at < ? OR (r.published_at = ? AND r.id < ?))"
            params += [published, published, rid]
        rows = self._con().execute(
            f"SELECT r.body, r.published_at, r.id FROM reviews r WHERE {where} "
            "ORDER BY r.published_at DESC, r.id DESC LIMIT ?", params + [limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor("search", rows[-1][1], rows[-1][2]) if more and rows else None
        reviews = [_review(row[0]) for row in rows]
        return ReviewPage(reviews, next_cursor, highlights(reviews, query.q))

    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        where, params = sql.where_clause(query)
        con = self._con()
        if cursor is None:
            head = con.execute("SELECT COALESCE(MAX(seq), 0) FROM reviews").fetchone()[0]
            rows = con.execute(f"SELECT r.body FROM reviews r WHERE {where} AND r.seq <= ? "
                               "ORDER BY r.seq DESC LIMIT ?", params + [head, limit]).fetchall()
            return ReviewPage([_review(row[0]) for row in rows], encode_cursor("feed", head))
        (after,) = decode_cursor("feed", cursor, 1, (int,))
        rows = con.execute(f"SELECT r.body, r.seq FROM reviews r WHERE {where} AND r.seq > ? "
                           "ORDER BY r.seq LIMIT ?", params + [after, limit]).fetchall()
        last = rows[-1][1] if rows else after
        return ReviewPage([_review(row[0]) for row in rows], encode_cursor("feed", last))

    def _rolled(self, query: ReviewQuery, fields: tuple[str, ...], step: int | None,
                edge: Callable[[ReviewQuery], Iterable[tuple[tuple, int]]],
                restrict: dict[str, tuple[str, ...]] | None = None,
                offset: int = 0) -> Counter | None:
        """``{(bucket or None, key of each of fields...): n}`` from the roll-ups for the
        window's whole hours plus ``edge(part)`` (``(key, n)`` pairs counted from the
        reviews) for the parts of an hour at its ends; None when the roll-ups cannot answer
        (``rollup.cuboid_for``, ``rollup.split``)."""
        name = rollup.cuboid_for(query, *fields)
        window = None if name is None else rollup.split(query, sql.micros, sql.from_micros)
        if window is None:
            return None
        with self._snapshot() as con:
            out = rollup.grouped(con, name, query, window, fields, step, restrict or {},
                                 offset)
            for part in window.edges:
                for key, n in edge(part):
                    out[key] += n
        return +out  # without keys whose count is zero

    def count(self, query: ReviewQuery = ReviewQuery(),
              group_by: str | None = None) -> dict[str | None, int]:
        if group_by is not None:
            _group(group_by)
        rolled = self._rolled(query, (group_by,) if group_by else (), None, lambda part: (
            ((None, *((key,) if group_by else ())), n)
            for key, n in self.count(part, group_by).items()))
        if rolled is not None:
            if group_by is None:
                return {None: rolled.get((None,), 0)}
            return {key[1]: n for key, n in rolled.items()}
        facet = sql.facet_from(query, group_by)
        if facet is not None:
            table, where, params, counted = facet
            if group_by is None:
                n = self._con().execute(f"SELECT {counted} FROM {table} f WHERE {where}", params)
                return {None: n.fetchone()[0]}
            key = sql.FACET_GROUPS[group_by]
            rows = self._con().execute(
                f"SELECT {key}, {counted} FROM {table} f WHERE {where} GROUP BY {key}", params)
            return dict(rows.fetchall())
        grouped = self._by_own_values(query, group_by, None)
        if grouped is not None:
            return {k: n for _, k, n in grouped}
        where, params = sql.where_clause(query)
        if group_by is None:
            n = self._con().execute(f"SELECT COUNT(*) FROM reviews r WHERE {where}", params)
            return {None: n.fetchone()[0]}
        join, key = _group(group_by)
        rows = self._con().execute(
            f"SELECT {key}, COUNT(*) FROM reviews r {join} WHERE {where} GROUP BY {key}", params)
        return dict(rows.fetchall())

    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        if rows == columns:
            raise ValueError(f"cross_count needs two different fields, got {rows!r} twice")
        _group(rows), _group(columns)
        restrict = {name: getattr(query, sql.MULTI_GROUPS[name][0]) for name in (rows, columns)
                    if name in sql.MULTI_GROUPS and getattr(query, sql.MULTI_GROUPS[name][0])}
        rolled = self._rolled(query, (rows, columns), None, lambda part: (
            ((None, *pair), n) for pair, n in self.cross_count(part, rows, columns).items()),
            restrict)
        if rolled is not None:
            return {(a, b): n for (_, a, b), n in rolled.items()}
        source, where, params, keys, counted = self._pair_source(query, rows, columns)
        text = (f"SELECT {keys[rows]}, {keys[columns]}, {counted} FROM {source} "
                f"WHERE {where} GROUP BY 1, 2")
        return {(a, b): n for a, b, n in self._con().execute(text, params).fetchall()}

    def _pair_source(self, query: ReviewQuery,
                     *fields: str) -> tuple[str, str, list, dict[str, str], str]:
        """``(FROM, WHERE, params, {field: key expression}, count)`` counting each review
        once per pair of values of ``fields``. Driven by the side table (alias ``f``) of a
        grouped multi-valued field the query filters on, else of the query's first
        multi-valued filter, through its (value, time, sentiment, source, rating) index;
        by the reviews table when the query has no such filter."""
        grouped = {sql.MULTI_GROUPS[f][0]: f for f in fields if f in sql.MULTI_GROUPS}
        filtered = [name for name in sql.FACETS if getattr(query, name)]
        driver = next((name for name in filtered if name in grouped), None) or \
            next(iter(filtered), None)
        keys: dict[str, str] = {}
        counted = "COUNT(*)"
        if driver is not None:
            table, column = sql.FACETS[driver]
            values = getattr(query, driver)
            parts, params = sql.facet_filters(query, driver)
            joins, owner = [f"{table} f"], "f.review_id"
            if driver in grouped:
                keys[grouped[driver]] = f"f.{column}"
            elif len(values) > 1:  # a review with two of the values has two rows in f
                counted = "COUNT(DISTINCT f.review_id)"
            if query.q is not None or any(f not in sql.FACET_GROUPS and f not in keys
                                          and f not in sql.MULTI_GROUPS for f in fields):
                joins.append("JOIN reviews r ON r.id = f.review_id")
                if query.q is not None:
                    text_where, text_params = sql.where_clause(ReviewQuery(q=query.q))
                    parts.append(text_where)
                    params += text_params
        else:
            where, params = sql.where_clause(query)
            parts, joins, owner = [where], ["reviews r"], "r.id"
        for name in fields:
            if name in keys:
                continue
            if name in sql.MULTI_GROUPS:
                field, table, column = sql.MULTI_GROUPS[name]
                alias = f"g_{name}"
                joins.append(f"JOIN {table} {alias} ON {alias}.review_id = {owner}")
                keys[name] = f"{alias}.{column}"
                values = getattr(query, field)
                if values:
                    parts.append(f"{alias}.{column} IN ({','.join('?' * len(values))})")
                    params += list(values)
            elif driver is not None and name in sql.FACET_GROUPS:
                keys[name] = sql.FACET_GROUPS[name]
            else:
                keys[name] = sql.GROUP_KEYS[name][1]
        if counted != "COUNT(*)" and any(k.startswith("g_") for k in keys.values()):
            counted = "COUNT(DISTINCT f.review_id || ' ' || " + " || ' ' || ".join(
                k for k in keys.values() if k.startswith("g_")) + ")"
        return " ".join(joins), " AND ".join(parts) or "1", params, keys, counted

    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        wanted = list(dict.fromkeys(terms)) if terms is not None else None
        if wanted == []:
            return {}
        rolled = self._rolled(query, ("keyword",), None, lambda part: (
            ((None, word), n) for word, n in self.keyword_counts(part, sql.MAX_LIMIT,
                                                                  wanted).items()))
        if rolled is not None:
            found = [(word, n) for (_, word), n in rolled.items()
                     if wanted is None or word in wanted]
            found.sort(key=lambda pair: (-pair[1], pair[0]))
            return dict(found if wanted is not None else found[:limit])
        facet = sql.facet_from(query, None)
        if facet is not None:  # driven by the side table of the query's entity/topic filter
            table, where, params, counted = facet
            source, review_id = f"{table} f", "f.review_id"
            counted = "COUNT(*)" if counted == "COUNT(*)" else "COUNT(DISTINCT k.review_id)"
        else:
            (where, params), source, review_id = sql.where_clause(query), "reviews r", "r.id"
            counted = "COUNT(*)"
        text = (f"SELECT k.keyword, {counted} FROM {source} "
                f"JOIN review_keywords k ON k.review_id = {review_id} WHERE {where}")
        if wanted is not None:
            text += f" AND k.keyword IN ({','.join('?' * len(wanted))})"
            params = params + wanted
        text += " GROUP BY k.keyword ORDER BY 2 DESC, k.keyword"
        if wanted is None:
            text += " LIMIT ?"
            params = params + [limit]
        return dict(self._con().execute(text, params).fetchall())

    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None = None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        if query.start is None or query.end is None:
            raise ValueError("trend needs query.start and query.end")
        step, shift = bucket_steps(interval, offset)
        if group_by is not None:
            _group(group_by)
        if step % rollup.HOUR == 0 and shift % rollup.HOUR == 0:
            rolled = self._rolled(query, (group_by,) if group_by else (), step, lambda part: (
                ((sql.micros(p.bucket), *((p.key,) if group_by else ())), p.count)
                for p in self.trend(part, interval, group_by, offset)), offset=shift)
            if rolled is not None:
                points = [TrendPoint(sql.from_micros(key[0]), key[1] if group_by else None, n)
                          for key, n in rolled.items()]
                points.sort(key=lambda p: (p.bucket, p.key is not None, p.key or ""))
                return points
        lo, hi = sql.micros(query.start), sql.micros(query.end)
        if group_by is None and query.q is None and (hi - lo) // step < sql.BUCKET_LIMIT:
            return self._bucket_counts(query, lo, hi, step, shift)
        facet = sql.facet_from(query, group_by)
        if facet is not None:
            table, where, params, counted = facet
            key = sql.FACET_GROUPS[group_by] if group_by else "NULL"
            bucket, bucket_params = sql.bucket("f.published_at", step, shift)
            rows = self._con().execute(
                f"SELECT {bucket} AS bucket, {key}, {counted} FROM {table} f "
                f"WHERE {where} GROUP BY bucket, {key} ORDER BY bucket", bucket_params + params)
            return [TrendPoint(sql.from_micros(b), k, n) for b, k, n in rows.fetchall()]
        grouped = self._by_own_values(query, group_by, step, shift)
        if grouped is not None:
            return [TrendPoint(sql.from_micros(b), k, n) for b, k, n in grouped]
        where, params = sql.where_clause(query)
        join, key = _group(group_by) if group_by else ("", "NULL")
        bucket, bucket_params = sql.bucket("r.published_at", step, shift)
        rows = self._con().execute(
            f"SELECT {bucket} AS bucket, {key}, COUNT(*) FROM reviews r {join} "
            f"WHERE {where} GROUP BY bucket, {key} ORDER BY bucket", bucket_params + params)
        return [TrendPoint(sql.from_micros(b), k, n) for b, k, n in rows.fetchall()]

    def _by_own_values(self, query: ReviewQuery, group_by: str | None,
                       step: int | None, offset: int = 0) -> list[tuple] | None:
        """Counts grouped by a multi-valued field the query also filters on (reviews of
        brand A grouped by entity), as ``(bucket or None, value, n)``: driven by that side
        table's (value, time) index, joined to every value of each matching review. None
        when the query or grouping is not of that kind."""
        if group_by not in sql.MULTI_GROUPS or query.q is not None:
            return None
        field, table, column = sql.MULTI_GROUPS[group_by]
        values = getattr(query, field)
        if not values:
            return None
        parts, params = sql.facet_filters(query, field)
        counted = "COUNT(*)" if len(values) == 1 else "COUNT(DISTINCT g.review_id)"
        bucket, bucket_params = sql.bucket("f.published_at", step, offset)
        text = (f"SELECT {bucket} AS bucket, g.{column}, {counted} FROM {table} f "
                f"JOIN {table} g ON g.review_id = f.review_id WHERE {' AND '.join(parts)} "
                f"GROUP BY bucket, g.{column} ORDER BY bucket")
        return self._con().execute(text, bucket_params + params).fetchall()

    def _bucket_counts(self, query: ReviewQuery, lo: int, hi: int,
                       step: int, offset: int) -> list[TrendPoint]:
        """An ungrouped trend counted bucket by bucket (see ``sql.BUCKET_COUNTS``)."""
        unbounded = replace(query, start=None, end=None)
        facet = sql.facet_from(unbounded, None)
        if facet is not None:
            table, where, params, counted = facet
            alias = "f"
        else:
            (where, params), table, alias, counted = (sql.where_clause(unbounded), "reviews",
                                                      "r", "COUNT(*)")
        first, first_params = sql.bucket("?", step, offset)
        text = sql.BUCKET_COUNTS.format(first=first, counted=counted, table=table, alias=alias,
                                        where=where)
        rows = self._con().execute(text, [lo, *first_params, step, step, hi] + params
                                   + [lo, step, hi])
        return [TrendPoint(sql.from_micros(b), None, n) for b, n in rows.fetchall()]

    def iter_reviews(self, query: ReviewQuery = ReviewQuery(),
                     batch_size: int = 500) -> Iterator[Review]:
        where, params = sql.where_clause(query)
        after: tuple[int, str] | None = None
        while True:
            extra, extra_params = "", []
            if after is not None:
                extra = " AND (r.published_at > ? OR (r.published_at = ? AND r.id > ?))"
                extra_params = [after[0], after[0], after[1]]
            rows = self._con().execute(
                f"SELECT r.body, r.published_at, r.id FROM reviews r WHERE {where}{extra} "
                "ORDER BY r.published_at, r.id LIMIT ?",
                params + extra_params + [batch_size]).fetchall()
            yield from (_review(row[0]) for row in rows)
            if len(rows) < batch_size:
                return
            after = (rows[-1][1], rows[-1][2])

    def stats(self) -> StoreStats:
        n = self._con().execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        size = self.path.stat().st_size if self.path.exists() else 0
        return StoreStats(reviews=n, details={"backend": "sqlite", "path": str(self.path),
                                              "bytes": size})


def _group(group_by: str) -> tuple[str, str]:
    return sql.GROUP_KEYS[group_field(group_by)]


def _review(body: str) -> Review:
    return Review.from_dict(json.loads(body))
