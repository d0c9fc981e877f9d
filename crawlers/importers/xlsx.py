"""Rows of an XLSX workbook's first sheet (openpyxl, read-only): the first non-empty row is the
header; ``Row.line`` is the spreadsheet row number, so a bad row is reported as ``FILE:ROW``.
The sheet's stored dimensions are ignored (other tools leave them stale), and a sheet that
breaks off (truncated, corrupt) ends with one bad row naming where; the rows before it stay.

Cell values become text the way people read them: a whole number stored as a float
(``12345.0``, how Excel keeps ids) as ``12345``, a date cell as ``YYYY-MM-DD HH:MM:SS``
(Excel has no timezone: the source's ``timezone`` applies), an empty cell as ``""``.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from crawlers.exceptions import ImportFileError
from crawlers.importers.rows import Row


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook  # here: only XLSX imports need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise ImportFileError(f"cannot read {path} as an XLSX workbook: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the sheet's <dimension>, which other tools leave stale: without
        # this a sheet that says A1:D3 yields 2 rows whatever it holds.
        sheet.reset_dimensions()
        header: list[str] | None = None
        number = 0
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                cells = next(rows, None)
            except Exception as exc:  # a truncated or corrupt sheet: keep what came before
                yield Row(number + 1, error=f"the sheet breaks off after row {number} "
                                            f"({type(exc).__name__}: {exc}); rows from here "
                                            "on were not read")
                return
            if cells is None:
                return
            number += 1
            texts = [_cell_text(cell) for cell in cells]
            if not any(text.strip() for text in texts):
                continue
            if header is None:
                header = [text.strip() for text in texts]
                continue
            yield Row(number, data={name: text for name, text in zip(header, texts) if name})
    finally:
        workbook.close()
