"""The briefing in words and headline figures, in the reader's language: the summary sentences
(each change against the previous period said in words and in numbers), the key-figure rows,
titles and the period line. Shared by the PDF, the workbook and the mail."""
from __future__ import annotations

from datetime import datetime

from web.formats import DASH, percent, signed
from web.i18n import Label
from web.reports.briefing import Briefing, hours_between


def hours(value: float | None, label: Label) -> str:
    return DASH if value is None else label("report.hours").format(hours=f"{value:.1f}")


def mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known else None


def local(at: datetime, briefing: Briefing, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(briefing.period.tz).strftime(fmt)


def title(briefing: Briefing, label: Label) -> str:
    return label(f"report.title.{briefing.period.kind}").format(group=briefing.group)


def period_line(briefing: Briefing, label: Label) -> str:
    p = briefing.period
    return label("report.period").format(key=p.key, first=p.first.isoformat(),
                                         last=p.last.isoformat(), tz=str(p.tz))


def previous_name(briefing: Briefing, label: Label) -> str:
    return label(f"report.previous.{briefing.period.kind}")


def response_hours(briefing: Briefing) -> tuple[float | None, float | None]:
    """Mean hours to acknowledge and to resolve over the period's incidents."""
    incidents = briefing.incidents
    return (mean([hours_between(i.opened_at, i.acknowledged_at) for i in incidents]),
            mean([hours_between(i.opened_at, i.resolved_at) for i in incidents]))


def _direction(delta: float, tolerance: float = 0.0) -> str:
    return "up" if delta > tolerance else "down" if delta < -tolerance else "same"


def sentences(briefing: Briefing, label: Label) -> list[str]:
    """The summary: volume, negative share, net sentiment, satisfaction, top negative topic,
    incidents; each against the previous period."""
    row, previous = briefing.total, previous_name(briefing, label)
    now, before = row.now, row.previous
    if not now.total:
        lines = [label("report.words.empty").format(previous=previous, before=before.total)]
    elif not before.total:
        lines = [label("report.words.volume.new").format(total=now.total, previous=previous)]
    else:
        delta = now.total - before.total
        lines = [label(f"report.words.volume.{_direction(delta)}").format(
            total=now.total, delta=abs(delta), previous=previous, before=before.total,
            ratio=f"{delta / before.total:+.1%}")]
    if now.total:
        change = row.share_change
        key = "none" if change is None else _direction(change, 0.0005)
        lines.append(label(f"report.words.share.{key}").format(
            negative=now.negative, share=percent(now.negative_share), previous=previous,
            points=f"{abs(change or 0) * 100:.1f}"))
        lines.append(label("report.words.net").format(
            net=signed(now.net_sentiment), previous=previous,
            before=signed(before.net_sentiment)))
    csat_now, csat_before = briefing.csat
    if csat_now.rated:
        lines.append(label("report.words.csat").format(
            csat=percent(csat_now.value), rated=csat_now.rated, previous=previous,
            before=percent(csat_before.value)))
    else:
        lines.append(label("report.words.no_csat"))
    if briefing.topics:
        topic, count, old = briefing.topics[0]
        lines.append(label("report.words.topic").format(topic=topic, now=count,
                                                        previous=previous, before=old))
    if briefing.incidents:
        tta, ttr = response_hours(briefing)
        lines.append(label("report.words.incidents").format(
            count=len(briefing.incidents), tta=hours(tta, label), ttr=hours(ttr, label)))
    else:
        lines.append(label("report.words.no_incidents"))
    return lines


def key_figures(briefing: Briefing, label: Label) -> list[tuple[str, str, str, str]]:
    """``(figure, this period, previous period, change)`` rows, as text."""
    now, before = briefing.total.now, briefing.total.previous
    csat_now, csat_before = briefing.csat

    def points(a: float | None, b: float | None) -> str:
        return DASH if a is None or b is None else label("report.points").format(
            points=f"{(a - b) * 100:+.1f}")

    def count(a: int, b: int) -> str:
        return f"{a - b:+d}" + (f" ({(a - b) / b:+.0%})" if b else "")
    return [
        (label("report.kpi.total"), str(now.total), str(before.total),
         count(now.total, before.total)),
        (label("report.kpi.negative"), str(now.negative), str(before.negative),
         count(now.negative, before.negative)),
        (label("report.kpi.negative_share"), percent(now.negative_share),
         percent(before.negative_share), points(now.negative_share, before.negative_share)),
        (label("report.kpi.net_sentiment"), signed(now.net_sentiment),
         signed(before.net_sentiment), DASH if now.net_sentiment is None or
         before.net_sentiment is None else f"{now.net_sentiment - before.net_sentiment:+.2f}"),
        (label("report.kpi.csat"), percent(csat_now.value), percent(csat_before.value),
         points(csat_now.value, csat_before.value)),
    ]
