"""Reading an import file into numbered rows, keeping every good row when some are bad.

Encodings: UTF-8 (with or without BOM) and GB18030, which is what Chinese exports come in. The
file is decoded line by line with the encoding that fails on fewer lines (UTF-8 wins ties), so
one line of broken bytes becomes one bad row instead of a failed import. An explicit encoding
skips the guess.

``read_rows`` yields ``Row`` values: ``line`` is the 1-based physical line where the record
starts, and either ``data`` (column → value) or ``error`` (why the row cannot be used).
"""
from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from crawlers.exceptions import ImportFileError

GUESSES = ("utf-8-sig", "gb18030")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    data: dict[str, object] | None = None
    error: str | None = None


def pick_encoding(lines: list[bytes]) -> str:
    def failures(encoding: str) -> int:
        return sum(1 for raw in lines if _decode(raw, encoding) is None)
    return min(GUESSES, key=failures)  # min keeps the first (UTF-8) on a tie


def _decode(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def read_lines(path: Path, encoding: str | None = None,
               progress: Callable[[int], None] | None = None,
               ) -> tuple[str, Iterator[tuple[int, str | None]]]:
    """Return the encoding used and an iterator of ``(line number, text)``; ``text`` is None
    for a line that cannot be decoded. ``progress`` is called with the bytes of each line."""
    try:
        raw_lines = path.read_bytes().splitlines(keepends=True)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportFileError(f"unknown encoding {encoding!r}") from exc
    chosen = encoding or pick_encoding(raw_lines)

    def lines() -> Iterator[tuple[int, str | None]]:
        for number, raw in enumerate(raw_lines, start=1):
            text = _decode(raw, chosen)
            if text is not None and number == 1:
                text = text.removeprefix("\ufeff")
            if progress:
                progress(len(raw))
            yield number, text
    return chosen, lines()


def csv_rows(lines: Iterator[tuple[int, str | None]], encoding: str) -> Iterator[Row]:
    """Rows of a CSV file whose first record is the header."""
    bad: dict[int, str] = {}

    def texts() -> Iterator[str]:
        for number, text in lines:
            if text is None:
                bad[number] = f"cannot decode the line as {encoding}"
                text = "\n"  # keeps csv's line count in step; the row is reported below
            yield text

    reader = csv.reader(texts())
    header: list[str] | None = None
    start = 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if line in bad:
            yield Row(line, error=bad.pop(line))
            continue
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            continue
        if len(record) != len(header):
            yield Row(line, error=f"expected {len(header)} columns, found {len(record)}")
            continue
        yield Row(line, data=dict(zip(header, record)))
    for line, error in sorted(bad.items()):  # broken bytes inside a quoted multi-line record
        yield Row(line, error=error)


def jsonl_rows(lines: Iterator[tuple[int, str | None]], encoding: str) -> Iterator[Row]:
    """Rows of a JSON Lines file: one JSON object per non-blank line."""
    for number, text in lines:
        if text is None:
            yield Row(number, error=f"cannot decode the line as {encoding}")
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Row(number, error=f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            yield Row(number, error=f"expected a JSON object, found {type(data).__name__}")
            continue
        yield Row(number, data=data)
