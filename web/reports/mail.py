"""Mailing a briefing (config ``reports:``): a daily report sends yesterday's briefing, a
weekly one last week's (local time), as a PDF and an Excel workbook attached to a short
summary (plain text and HTML) in the config's language, to each of the report's e-mail
channels with the channels' own retries. Run by the scheduler's report job and by
``koubei report send NAME``."""
from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from alerting.exceptions import DeliveryError
from alerting.respond.channels.email import EmailChannel
from alerting.respond.channels.email_message import compose_with_attachments
from models.config import ReportConfig
from models.runtime import Runtime
from web.i18n import Label
from web.reports import words
from web.reports.briefing import Briefing
from web.reports.export import XLSX, filename
from web.reports.offline import runtime_briefing, workbook
from web.reports.pdf import PDF, to_pdf
from web.reports.period import Period, last_complete

log = logging.getLogger(__name__)


def subject(b: Briefing, label: Label) -> str:
    every = b.total.now
    return label(f"report.mail.subject.{b.period.kind}").format(
        group=b.group, period=b.period.key, total=every.total, negative=every.negative,
        share=words.percent(every.negative_share))


def summary(b: Briefing, label: Label) -> tuple[str, str, str]:
    """``(subject, text, html)`` of the mail: the PDF's summary sentences."""
    title, lines = subject(b, label), words.sentences(b, label)
    text = "\n".join([words.title(b, label), words.period_line(b, label), "",
                      *(f"- {line}" for line in lines), "", label("report.mail.attached")])
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    html = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body>'
            f"<h2>{escape(words.title(b, label))}</h2>"
            f"<p>{escape(words.period_line(b, label))}</p><ul>{items}</ul>"
            f"<p>{escape(label('report.mail.attached'))}</p></body></html>")
    return title, text + "\n", html


def send_report(runtime: Runtime, report_config: ReportConfig, now: datetime,
                period: Period | None = None) -> list[str]:
    """Build and mail ``report_config``'s briefing (default: the last complete day or week);
    returns the channels it reached. A channel that fails is logged and the others still get
    it; raises ``DeliveryError`` when none did."""
    config = runtime.config
    period = period or last_complete(report_config.type, now, ZoneInfo(config.timezone))
    briefing, label = runtime_briefing(runtime, period, report_config.entities, now)
    attachments = [(filename(briefing, "pdf"), to_pdf(briefing, label, now), PDF),
                   (filename(briefing, "xlsx"), workbook(runtime, briefing, label), XLSX)]
    title, text, html = summary(briefing, label)
    reached, failures = [], []
    for name in report_config.channels:
        channel = EmailChannel(config.channel(name))
        c = channel.config
        message = compose_with_attachments(title, text, html, c.sender, c.recipients,
                                           attachments)
        try:
            channel.send_mail(message)
            reached.append(name)
        except DeliveryError as exc:
            log.error("report %s: %s", report_config.name, exc)
            failures.append(str(exc))
        finally:
            channel.close()
    if failures and not reached:
        raise DeliveryError(report_config.name, "; ".join(failures))
    return reached
