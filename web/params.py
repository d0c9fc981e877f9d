"""Query-string parameters shared by the pages and the API.

Each reader returns a clean value or raises ``InvalidParameter`` naming the parameter, so a bad
request is answered with what was wrong rather than silently ignored. List parameters may be
repeated (``?source=a&source=b``) or comma-separated (``?source=a,b``).
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from flask import request

from models.review import SENTIMENT_LABELS
from models.store import ReviewQuery
from web.exceptions import InvalidParameter

log = logging.getLogger(__name__)


def listed(name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    values = [part.strip() for raw in request.args.getlist(name) for part in raw.split(",")]
    values = list(dict.fromkeys(v for v in values if v))
    if allowed is not None:
        for value in values:
            _check_allowed(name, value, allowed)
    return tuple(values)


def choice(name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = request.args.get(name, "")
    if value == "":  # an empty form field: not given
        return default
    _check_allowed(name, value, allowed)
    return value


def _check_allowed(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameter(name, f"unknown value {value!r}; expected one of "
                                     f"{', '.join(allowed)}")


SORT_ORDERS = ("newest", "reach")


def sort_order() -> str:
    """``sort``: ``newest`` (default, newest published first) or ``reach`` (``Review.reach``,
    most first, among the newest matching reviews read)."""
    return choice("sort", SORT_ORDERS, "newest")


def by_reach(reviews: list, order: str) -> list:
    """``reviews`` as ``order`` wants them: unchanged for newest, most reach first (then
    newest) for reach."""
    if order != "reach":
        return reviews
    return sorted(reviews, key=lambda r: (-r.reach, -r.published_at.timestamp()))


def bounded_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":  # an empty form field: not given
        return default
    if not re.fullmatch(r"-?[0-9]{1,18}", raw):  # int() would take " 5", "+5", "5_0", "٥"
        raise InvalidParameter(name, f"expected a whole number from {low} to {high}, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidParameter(name, f"expected a whole number from {low} to {high}, got {value}")
    return value


# The times the API takes, exactly (its OpenAPI description states this pattern): a date from
# 2000-01-01 to 2099-12-31, optionally with a time (``T`` or a space) and an offset.
_DAY = (r"20[0-9]{2}-(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
        r"|20[0-9]{2}-(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        r"|20[0-9]{2}-02-(?:0[1-9]|1[0-9]|2[0-8])"
        r"|20(?:[02468][048]|[13579][26])-02-29")
_TIME = r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?"
MOMENT_PATTERN = rf"^(?:{_DAY})(?:{_TIME}{_OFFSET})?$"
MOMENT_OR_EMPTY = rf"^(?:(?:{_DAY})(?:{_TIME}{_OFFSET})?)?$"  # empty: not given
EARLIEST = datetime(1999, 12, 31, tzinfo=timezone.utc)  # any offset of 2000-01-01 is after
LATEST = datetime(2100, 1, 2, tzinfo=timezone.utc)


def moment(name: str, tz: tzinfo, end_of_day: bool = False) -> datetime | None:
    """An ISO-8601 time. Naive times and bare dates are in ``tz``; a bare date means the start
    of that day, or with ``end_of_day`` the start of the next one (so ``until=2026-11-02``
    includes the whole of 2 November)."""
    raw = request.args.get(name, "")
    if raw == "":  # an empty form field: not given
        return None
    if not re.fullmatch(MOMENT_PATTERN, _unmangle(raw)):
        raise InvalidParameter(name, "expected an ISO-8601 date or time from 2000 to 2099 such "
                                     f"as 2026-11-02 or 2026-11-02T08:00:00+08:00, got {raw!r}")
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            value = datetime.combine(day + timedelta(days=int(end_of_day)), time(), tz)
        else:
            value = datetime.fromisoformat(_unmangle(raw))
    except (ValueError, OverflowError):
        raise InvalidParameter(name, "expected an ISO-8601 date or time such as 2026-11-02 or "
                                     f"2026-11-02T08:00:00+08:00, got {raw!r}")
    value = value if value.tzinfo else value.replace(tzinfo=tz)
    if not EARLIEST <= value <= LATEST:  # 9999-12-31 or 0001-01-01 overflow once shifted
        raise InvalidParameter(name, f"expected a time from {EARLIEST:%Y-%m-%d} to "
                                     f"{LATEST:%Y-%m-%d}, got {raw!r}")
    return value


def _unmangle(raw: str) -> str:
    # An unencoded "+08:00" in a URL arrives as " 08:00"; a space may separate date and time.
    if "T" in raw:
        return _LOST_PLUS.sub(r"+\1", raw)
    return raw.replace(" ", "T", 1)


_LOST_PLUS = re.compile(r"\s(\d{2}(?::?\d{2})?)$")


def search_terms(name: str = "q") -> str | None:
    """The search box: the user's words segmented into the store's whitespace-separated
    terms by ``nlp.segment.query_terms``. Empty input, or input with nothing searchable in
    it, means no search."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    return segment_query(raw) or None  # only punctuation: no search, as for empty input


def segment_query(text: str) -> str:
    try:
        from nlp.segment import query_terms
    except ImportError:
        # The NLP package may be absent from a partial install: fall back to the words as
        # typed, which still finds single-term queries.
        log.warning("nlp.segment is unavailable; searching for the query terms as typed")
        return " ".join(text.split())
    return query_terms(text)


MAX_REACH = 10**13  # four counts of at most 10**12 each (crawlers.pipelines.validate)


def min_reach() -> int | None:
    """``min_reach``: keep reviews whose reach (likes + replies + reposts + the author's
    followers) is at least this; not given: any."""
    raw = request.args.get("min_reach", "")
    return None if raw == "" else bounded_int("min_reach", 0, 0, MAX_REACH)


def review_query(tz: tzinfo) -> ReviewQuery:
    """The filters common to every review listing: source, entity, sentiment, topic,
    keyword, q, since, until (``start <= published_at < end``), min_reach."""
    start, end = moment("since", tz), moment("until", tz, end_of_day=True)
    if start is not None and end is not None and end <= start:
        end = start  # an empty window: nothing was published in it
    return ReviewQuery(sources=listed("source"), entities=listed("entity"),
                       sentiments=listed("sentiment", SENTIMENT_LABELS),
                       topics=listed("topic"), keywords=listed("keyword"), q=search_terms(),
                       start=start, end=end, min_reach=min_reach())
