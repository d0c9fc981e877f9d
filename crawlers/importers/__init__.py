"""Importing review files (CSV, JSONL, XLSX) exported by platforms and customer-service systems.

``import_file`` reads every row it can, reports each bad one with its line number and reason,
and enriches and stores the good ones in batches, exactly like crawled reviews (same cleaning,
same ``Review`` ids: the row's id column when present, else a hash of the text, so importing a
file twice updates rather than duplicates).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from zoneinfo import ZoneInfo

from crawlers.cleaning import MAX_TEXT_CHARS
from crawlers.exceptions import ImportFileError
from crawlers.importers.fields import FIELDS, RowError, resolve_columns, to_raw_review
from crawlers.importers.rows import Row, csv_rows, jsonl_rows, read_lines
from crawlers.importers.xlsx import xlsx_rows
from models.review import Review, utcnow

__all__ = ["BadRow", "ImportReport", "import_file"]

BATCH_SIZE = 500
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
           ".xlsx": "xlsx"}


@dataclass(frozen=True, slots=True)
class BadRow:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    path: str
    source: str
    encoding: str = ""
    rows: int = 0  # data rows read, good and bad
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[BadRow] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # review field → column it came from

    @property
    def imported(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        """True when something was imported, or the file had no rows at all."""
        return self.imported > 0 or self.rows == 0

    def summary(self) -> str:
        return (f"rows={self.rows} new={self.new} updated={self.updated} "
                f"unchanged={self.unchanged} bad={len(self.bad)}")

    def column_summary(self) -> str:
        """Which column became which review field, e.g. ``columns: 评价内容→text, 工单号→id``."""
        pairs = ", ".join(f"{column}→{name}" for name, column in self.columns.items())
        return f"columns: {pairs or '(none)'}"


def import_file(runtime, path: str | Path, source_name: str,
                mapping: Mapping[str, str] | None = None, fmt: str | None = None,
                encoding: str | None = None,
                progress: Callable[[int], None] | None = None,
                enricher: Any = None) -> ImportReport:
    """Import ``path`` as reviews of ``source_name``. When that name is a configured ``file``
    source, its ``mapping``, ``entities`` and ``timezone`` apply (``mapping`` given here wins
    per field); otherwise any name is accepted. ``progress`` is called with the size in bytes
    of each line read (for a progress bar); ``enricher`` lets several imports share one
    analyser (default: a new one). Raises ``ImportFileError`` when the file cannot be
    read at all; a failing analyser or store raises its own ``KoubeiError``."""
    from nlp.enrich import Enricher  # here, so that loading the CLI does not load the analyser

    path = Path(path)
    source = next((s for s in runtime.config.sources if s.name == source_name), None)
    file_source = source if source is not None and source.type == "file" else None
    columns_map = {**(file_source.mapping if file_source else {}), **(mapping or {})}
    unknown = sorted(set(columns_map) - set(FIELDS))
    if unknown:
        raise ImportFileError(f"unknown review field(s) {', '.join(unknown)} in the column "
                              f"mapping; known fields: {', '.join(FIELDS)}")
    tz = ZoneInfo(file_source.timezone if file_source else runtime.config.timezone)
    entities = list(source.entities) if source is not None else []
    kind = fmt or FORMATS.get(path.suffix.lower())
    if kind not in ("csv", "jsonl", "xlsx"):
        raise ImportFileError(f"cannot tell the format of {path}; "
                              "pass --format csv, jsonl or xlsx")
    if kind == "xlsx":
        chosen, rows = "xlsx", xlsx_rows(path)
    else:
        chosen, lines = read_lines(path, encoding, progress)
        rows = (csv_rows if kind == "csv" else jsonl_rows)(lines, chosen)
    report = ImportReport(str(path), source_name, encoding=chosen)
    enricher = enricher or Enricher.from_config(runtime.config)
    now = utcnow()
    batch: list[Review] = []
    for row in _checked(rows, columns_map, kind, path):
        report.rows += 1
        try:
            if row.error:
                raise RowError(row.error)
            columns = resolve_columns(row.data, columns_map)
            for name, column in columns.items():
                report.columns.setdefault(name, column)
            raw = to_raw_review(row.data, columns, source_name, tz, now, MAX_TEXT_CHARS)
            review = raw.to_review(entities, crawled_at=now)
        except (RowError, ValueError) as exc:  # one bad row never costs the batch its others
            report.bad.append(BadRow(str(path), row.line, str(exc)))
            continue
        batch.append(review)
        if len(batch) >= BATCH_SIZE:
            _store(runtime, enricher, batch, report)
            batch = []
    _store(runtime, enricher, batch, report)
    return report


def _checked(rows: Iterator[Row], mapping: Mapping[str, str], kind: str,
             path: Path) -> Iterator[Row]:
    """Fail early, once, when a CSV header lacks a mapped column or any text column."""
    for row in rows:
        if kind in ("csv", "xlsx") and row.data is not None:
            missing = sorted(c for c in mapping.values() if c not in row.data)
            if missing:
                raise ImportFileError(f"{path}: no column {', '.join(map(repr, missing))} "
                                      f"(columns: {', '.join(row.data)})")
            if "text" not in resolve_columns(row.data, mapping):
                raise ImportFileError(f"{path}: no review text column (columns: "
                                      f"{', '.join(row.data)}); name it with --map text=COLUMN")
            kind = "checked"
        yield row


def _store(runtime, enricher, batch: list[Review], report: ImportReport) -> None:
    if not batch:
        return
    _keep_stored_times(runtime.store, batch)
    enriched = enricher.enrich(batch)
    result = runtime.store.upsert(enriched)
    runtime.reviews_stored(enriched)  # listeners (a crisis rule) see them at once
    report.new += result.new
    report.updated += result.updated
    report.unchanged += result.unchanged


def _keep_stored_times(store, batch: list[Review]) -> None:
    """A row without a time got the import time; once stored, it keeps its first time, so
    importing the same file again changes nothing."""
    estimated = {r.id: r for r in batch if r.extra.get("published_at_estimated")}
    for review_id, stored in store.get_many(estimated).items():
        estimated[review_id].published_at = stored.published_at
