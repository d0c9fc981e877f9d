"""What a review's page shows of a complaint (黑猫投诉): the company complained about, the
complainant's demands, the status, the status changes seen and the progress steps, read from
``Review.extra`` as the crawler stored it. ``extra`` is site data kept as JSON: a value of an
unexpected shape is left out, never an error."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from web.explanation import aware_time

MAX_SHOWN_STEPS = 30


@dataclass(frozen=True, slots=True)
class Step:
    step: str
    by: str | None
    at: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    company: str | None
    demands: str | None
    status: str | None
    changes: list[tuple[str, str, datetime | None]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def complaint_facts(extra: dict[str, Any]) -> ComplaintFacts | None:
    """The complaint details in ``extra``, or None when it holds none (not a complaint)."""
    facts = ComplaintFacts(_text(extra.get("company")), _text(extra.get("demands")),
                           _text(extra.get("status")), _changes(extra.get("status_updates")),
                           _steps(extra.get("progress")))
    if not (facts.company or facts.demands or facts.status or facts.steps):
        return None
    return facts


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _changes(value: Any) -> list[tuple[str, str, datetime | None]]:
    rows = value if isinstance(value, list) else []
    return [(_text(row.get("from")) or "—", _text(row.get("to")) or "—", aware_time(row.get("seen_at")))
            for row in rows if isinstance(row, dict)]


def _steps(value: Any) -> list[Step]:
    rows = value if isinstance(value, list) else []
    return [Step(_text(row.get("step")) or "—", _text(row.get("by")), aware_time(row.get("at")),
                 _text(row.get("text")) or "")
            for row in rows[:MAX_SHOWN_STEPS] if isinstance(row, dict)]
