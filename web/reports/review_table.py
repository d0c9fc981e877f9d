"""A filtered review list as a table for Excel: CSV (UTF-8 with a BOM) or XLSX.

Every cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheet programs skip before such a sign) is written with a leading apostrophe, so a
crawled review such as ``=HYPERLINK(...)`` is shown as text and never run as a formula
(OWASP "CSV injection"). Numbers stay numbers. Times are local to the display timezone. The
workbook leaves out the characters XLSX cannot hold (control characters crawled text may
carry); the CSV keeps them.
"""
from __future__ import annotations

import csv
import io
import tempfile
from datetime import tzinfo
from typing import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from models.review import Review

COLUMNS = ("id", "published_at", "source", "platform", "entities", "author", "rating",
           "sentiment", "score", "topics", "keywords", "title", "text", "url")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """Strings without the characters an XLSX file cannot hold; other values unchanged."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def neutralised(value: object) -> object:
    """``value``, or for text that a spreadsheet would read as a formula, the same text
    behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(review: Review, tz: tzinfo) -> list:
    s = review.sentiment
    values = [review.id, review.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
              review.source, review.platform, "、".join(review.entities), review.author or "",
              review.rating, s.label if s else "", s.score if s else None,
              "、".join(review.topics), "、".join(review.keywords), review.title or "",
              review.text, review.url or ""]
    return [neutralised(v) for v in values]


def csv_chunks(reviews: Iterable[Review], header: list[str], tz: tzinfo) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks (BOM first), a few hundred rows at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    out.seek(0)
    out.truncate()
    for n, review in enumerate(reviews, 1):
        writer.writerow(["" if v is None else v for v in row(review, tz)])
        if n % 500 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_bytes(reviews: Iterable[Review], header: list[str], tz: tzinfo) -> bytes:
    """The workbook (one sheet), written in openpyxl's streaming mode through a temporary
    file so a long list never sits in memory as cell objects."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("reviews")
    sheet.freeze_panes = "A2"
    sheet.append([WriteOnlyCell(sheet, value=neutralised(h)) for h in header])
    for review in reviews:
        sheet.append([safe_text(v) for v in row(review, tz)])
    with tempfile.TemporaryFile() as handle:
        book.save(handle)
        handle.seek(0)
        return handle.read()
