"""The briefing as a PDF (A4, set in the CJK font of ``web.reports.fonts``): a one-page summary
(title, period, key figures against the previous period, the summary in words), then the
charts (sentiment trend, share of voice when the group has several entities, top negative
topics against the previous period, drawn with ReportLab's chart library), the notable negative
reviews (text as written, escaped) and the incidents with their response times.

Crawled text is never markup here: every string goes through ``escape`` before it reaches a
``Paragraph``."""
from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from web.i18n import Label
from web.reports import words
from web.reports.briefing import ALL, Briefing, hours_between
from web.reports.fonts import cjk_font

PDF = "application/pdf"
COLOURS = {"negative": colors.HexColor("#d9534f"), "neutral": colors.HexColor("#9e9e9e"),
           "positive": colors.HexColor("#4caf50")}
PALETTE = [colors.HexColor(c) for c in ("#3f6fb5", "#e0913a", "#5aa469", "#b55a8c", "#8c7ab5",
                                        "#c9b13b", "#4fa3a8", "#a0522d")]
WIDTH = A4[0] - 36 * mm
GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                   ("VALIGN", (0, 0), (-1, -1), "TOP")])


class Styles:
    def __init__(self, font: str):
        base = dict(fontName=font, wordWrap="CJK")
        self.title = ParagraphStyle("title", fontSize=20, leading=26, spaceAfter=6, **base)
        self.h2 = ParagraphStyle("h2", fontSize=14, leading=20, spaceBefore=10, spaceAfter=6,
                                 keepWithNext=1, **base)
        self.body = ParagraphStyle("body", fontSize=10.5, leading=16, **base)
        self.small = ParagraphStyle("small", fontSize=8.5, leading=12, **base)
        self.muted = ParagraphStyle("muted", fontSize=9, leading=13,
                                    textColor=colors.HexColor("#666666"), **base)


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(rows: list[list], widths: list[float], style: ParagraphStyle) -> Table:
    cells = [[c if isinstance(c, Paragraph) else _p(c, style) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def _summary(b: Briefing, label: Label, s: Styles, now: datetime) -> list:
    flow = [_p(words.title(b, label), s.title), _p(words.period_line(b, label), s.body)]
    if not b.complete:
        flow.append(_p(label("report.running").format(now=words.local(now, b)), s.muted))
    flow.append(_p(label("report.generated").format(now=words.local(now, b)), s.muted))
    flow += [_p(label("report.section.key_figures"), s.h2)]
    header = [label("report.kpi.metric"), label("report.kpi.now"),
              words.previous_name(b, label), label("report.kpi.change")]
    flow.append(_table([header, *[list(r) for r in words.key_figures(b, label)]],
                       [WIDTH * 0.34, WIDTH * 0.22, WIDTH * 0.22, WIDTH * 0.22], s.body))
    flow += [_p(label("report.section.summary"), s.h2)]
    flow += [_p("• " + line, s.body) for line in words.sentences(b, label)]
    if len(b.overview) > 2:
        flow += [_p(label("report.section.entities"), s.h2)]
        header = [label("report.col.entity"), label("report.col.total"),
                  label("report.col.negative_share"), label("report.col.net_sentiment"),
                  label("report.col.share_change")]
        rows = [[r.name, r.now.total, words.percent(r.now.negative_share),
                 words.signed(r.now.net_sentiment),
                 words.DASH if r.share_change is None else label("report.points").format(
                     points=f"{r.share_change * 100:+.1f}")] for r in b.overview[1:]]
        flow.append(_table([header, *rows], [WIDTH * 0.32] + [WIDTH * 0.17] * 4, s.small))
    return flow


def _bucket_label(b: Briefing, start: datetime) -> str:
    local = start.astimezone(b.period.tz)
    return local.strftime("%H" if b.period.kind == "daily" else "%m-%d")


def _legend(font: str, pairs: list[tuple], x: float, y: float) -> Legend:
    legend = Legend()
    legend.fontName, legend.fontSize = font, 8
    legend.x, legend.y, legend.alignment = x, y, "right"
    legend.columnMaximum, legend.dx, legend.dy = 1, 8, 8
    legend.colorNamePairs = pairs
    return legend


def trend_chart(b: Briefing, label: Label, font: str) -> Drawing:
    """Stacked bars per bucket: negative, neutral, positive reviews of the whole group."""
    rows = [(start, t) for start, key, t in b.trend if key == ALL]
    drawing = Drawing(WIDTH, 210)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 40, WIDTH - 50, 140
    chart.data = [[t.negative for _, t in rows], [t.neutral for _, t in rows],
                  [t.positive for _, t in rows]]
    chart.categoryAxis.style = "stacked"
    every = max(1, len(rows) // 12)
    chart.categoryAxis.categoryNames = [_bucket_label(b, s) if i % every == 0 else ""
                                        for i, (s, _) in enumerate(rows)]
    for axis in (chart.categoryAxis.labels, chart.valueAxis.labels):
        axis.fontName, axis.fontSize = font, 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True
    chart.barSpacing, chart.groupSpacing = 0, 2
    for i, key in enumerate(("negative", "neutral", "positive")):
        chart.bars[i].fillColor = COLOURS[key]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(_legend(font, [(COLOURS[k], label(f"sentiment.{k}"))
                               for k in ("negative", "neutral", "positive")], WIDTH - 150, 200))
    axis = label("report.chart.hour" if b.period.kind == "daily" else "report.chart.day")
    drawing.add(String(WIDTH / 2, 8, axis, fontName=font, fontSize=8, textAnchor="middle"))
    return drawing


def share_chart(b: Briefing, label: Label, font: str) -> Drawing:
    shares = b.share_of_voice
    drawing = Drawing(WIDTH, 170)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 40, 10, 150, 150
    pie.data = [count for _, count, _ in shares]
    pie.labels = [f"{share:.0%}" for _, _, share in shares]
    pie.slices.fontName, pie.slices.fontSize = font, 8
    pie.slices.strokeColor = colors.white
    for i in range(len(shares)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    legend = _legend(font, [(PALETTE[i % len(PALETTE)], f"{name}（{count}）")
                            for i, (name, count, _) in enumerate(shares)], 240, 150)
    legend.alignment, legend.columnMaximum = "right", 10
    drawing.add(legend)
    return drawing


def topics_chart(b: Briefing, label: Label, font: str, top: list) -> Drawing:
    height = 30 + 26 * len(top)
    drawing = Drawing(WIDTH, height + 20)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, WIDTH - 200, height - 10
    chart.data = [[now for _, now, _ in reversed(top)], [old for _, _, old in reversed(top)]]
    chart.categoryAxis.categoryNames = [t for t, _, _ in reversed(top)]
    for axis in (chart.categoryAxis.labels, chart.valueAxis.labels):
        axis.fontName, axis.fontSize = font, 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor, chart.bars[1].fillColor = COLOURS["negative"], colors.HexColor(
        "#f2b8b5")
    drawing.add(chart)
    drawing.add(_legend(font, [(COLOURS["negative"], label("report.kpi.now")),
                               (colors.HexColor("#f2b8b5"), words.previous_name(b, label))],
                        WIDTH - 150, height + 10))
    return drawing


def _charts(b: Briefing, label: Label, s: Styles, font: str) -> list:
    flow = [_p(label("report.chart.trend"), s.h2), trend_chart(b, label, font)]
    if b.share_of_voice:
        flow += [KeepTogether([_p(label("report.chart.share_of_voice"), s.h2),
                               share_chart(b, label, font)])]
    flow.append(_p(label("report.chart.topics").format(previous=words.previous_name(b, label)),
                   s.h2))
    top = b.topics[:8]
    if not top:
        return flow + [_p(label("report.no_topics"), s.muted)]
    flow.append(topics_chart(b, label, font, top))
    header = [label("report.col.topic"), label("report.kpi.now"),
              words.previous_name(b, label), label("report.col.change")]
    flow.append(_table([header, *[[t, n, o, f"{n - o:+d}"] for t, n, o in top]],
                       [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2], s.small))
    return flow


def _notable(b: Briefing, label: Label, s: Styles) -> list:
    flow = [_p(label("report.section.notable"), s.h2)]
    if not b.notable:
        return flow + [_p(label("report.no_notable"), s.muted)]
    header = [label("report.col.text"), label("report.col.source"),
              label("report.col.engagement")]
    rows = []
    for n in b.notable:
        r = n.review
        text = (f"{r.title}：" if r.title else "") + r.text
        meta = [r.author or label("review.anonymous"), r.platform,
                words.local(r.published_at, b), b.entity_names(r.entities)]
        similar = [label("report.notable.similar").format(count=n.similar)] if n.similar else []
        rows.append([_p(text, s.small),
                     Paragraph("<br/>".join(escape(str(m)) for m in meta), s.small),
                     _p(" · ".join([label("report.likes_replies").format(
                         likes=r.likes, replies=r.replies), *similar]), s.small)])
    return flow + [_table([header, *rows], [WIDTH * 0.6, WIDTH * 0.22, WIDTH * 0.18], s.small)]


def _incidents(b: Briefing, label: Label, s: Styles) -> list:
    flow = [_p(label("report.section.incidents"), s.h2)]
    if not b.incidents:
        return flow + [_p(label("report.words.no_incidents"), s.muted)]
    header = [label("report.col.title"), label("report.col.entities"),
              label("report.col.severity"), label("report.col.status"),
              label("report.col.opened"), label("report.col.tta"), label("report.col.ttr")]
    rows = [[i.title, b.entity_names(i.entities), label(f"incident.severity.{i.severity}"),
             label(f"incident.status.{i.status}"), words.local(i.opened_at, b, "%m-%d %H:%M"),
             words.hours(hours_between(i.opened_at, i.acknowledged_at), label),
             words.hours(hours_between(i.opened_at, i.resolved_at), label)]
            for i in b.incidents]
    widths = [0.28, 0.16, 0.09, 0.1, 0.13, 0.12, 0.12]
    return flow + [_table([header, *rows], [WIDTH * w for w in widths], s.small)]


def to_pdf(briefing: Briefing, label: Label, now: datetime) -> bytes:
    """The briefing as PDF bytes; ``FontMissing`` when no CJK font is installed."""
    font = cjk_font()
    styles = Styles(font)
    buffer = io.BytesIO()

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{words.title(briefing, label)} · "
                               + label("report.page").format(page=doc.page))
        canvas.restoreState()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm,
                            title=words.title(briefing, label), author="Koubei 口碑")
    flow = [*_summary(briefing, label, styles, now), PageBreak(),
            *_charts(briefing, label, styles, font), Spacer(1, 6),
            *_notable(briefing, label, styles), *_incidents(briefing, label, styles)]
    doc.build(flow, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
