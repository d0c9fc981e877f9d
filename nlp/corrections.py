"""People's corrections of review labels, kept for the next ``koubei train``.

A correction is one line of ``$KOUBEI_HOME/label_corrections.csv``
(``review_id,label,text,corrected_at,by``), appended by ``record_correction`` — from
``koubei label REVIEW_ID LABEL``, or from the web (the review page's form and
``POST /api/reviews/<id>/label``, see ``web.pages.corrections``). The review's text is copied
into the line, so training does not need the review store and a correction survives the
review's deletion. The file is append-only: the latest line for a review wins, so the
history of who said what stays readable.

``read_corrections`` turns the file into training examples; a damaged line is reported as
``file:line: problem`` and skipped, the lines around it are kept.
"""
from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nlp.exceptions import NLPError

FILE_NAME = "label_corrections.csv"
FIELDS = ("review_id", "label", "text", "corrected_at", "by")
LABELS = ("negative", "neutral", "positive")
_lock = threading.Lock()


class CorrectionError(NLPError):
    """A correction that cannot be recorded (unknown label, empty text, unwritable file)."""


@dataclass(frozen=True, slots=True)
class Correction:
    review_id: str
    label: str
    text: str
    corrected_at: str  # ISO-8601 UTC
    by: str


def corrections_path(home: str | Path) -> Path:
    return Path(home) / FILE_NAME


def record_correction(home: str | Path, review_id: str, label: str, text: str,
                      by: str = "cli") -> Correction:
    """Append a correction of review ``review_id`` to ``label``. Raises ``CorrectionError``."""
    if label not in LABELS:
        raise CorrectionError(f"review {review_id}: unknown label {label!r} "
                              f"(expected one of {', '.join(LABELS)})")
    if not text or not text.strip():
        raise CorrectionError(f"review {review_id}: has no text to learn from")
    correction = Correction(review_id, label, text,
                            datetime.now(timezone.utc).isoformat(timespec="seconds"), by)
    path = corrections_path(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, open(path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if handle.tell() == 0:
                writer.writerow(FIELDS)
            writer.writerow([getattr(correction, name) for name in FIELDS])
    except OSError as exc:
        raise CorrectionError(f"{path}: cannot record the correction: {exc}") from exc
    return correction


def read_corrections(home: str | Path) -> tuple[list[Correction], list[str]]:
    """``(latest correction per review in file order, problems)``; no file means none."""
    path = corrections_path(home)
    if not path.is_file():
        return [], []
    latest: dict[str, Correction] = {}
    problems: list[str] = []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                values = {name: (record.get(name) or "").strip() for name in FIELDS}
                if values["label"] not in LABELS:
                    problems.append(f"{path}:{line}: unknown label {values['label']!r}")
                elif not values["review_id"] or not values["text"]:
                    problems.append(f"{path}:{line}: missing review_id or text")
                else:
                    latest.pop(values["review_id"], None)
                    latest[values["review_id"]] = Correction(**values)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{path}: cannot read corrections: {exc}")
    return list(latest.values()), problems


def latest_correction(home: str | Path, review_id: str) -> Correction | None:
    """The latest correction of ``review_id``, or None (damaged lines are ignored here; the
    next ``koubei train`` reports them)."""
    corrections, _ = read_corrections(home)
    return next((c for c in corrections if c.review_id == review_id), None)
