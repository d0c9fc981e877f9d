"""Mailing the weekly report (config ``reports:``): the last complete week's workbook, attached
to a short summary in the config's language, sent to each of the report's e-mail channels
with the channels' own retries. Run by the scheduler's report job and by
``koubei report send NAME``."""
from __future__ import annotations

import logging
from datetime import datetime

from alerting.exceptions import DeliveryError
from alerting.respond.channels.email import EmailChannel
from alerting.respond.channels.email_message import compose_with_attachment
from models.config import ReportConfig
from models.runtime import Runtime
from web.i18n import Label
from web.reports.export import XLSX, filename
from web.reports.offline import runtime_report, workbook
from web.reports.weekly import WeeklyReport

log = logging.getLogger(__name__)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary(report: WeeklyReport, label: Label) -> tuple[str, str]:
    """``(subject, text)`` of the mail."""
    every = report.overview[0].week
    title = label("report.mail.subject").format(
        week=report.week, total=every.total, negative=every.negative,
        share=_percent(every.negative_share))
    lines = [title, ""]
    for row in report.overview:
        lines.append(label("report.mail.entity").format(
            name=row.name, total=row.week.total, negative=row.week.negative,
            share=_percent(row.week.negative_share),
            before=_percent(row.previous.negative_share)))
    if report.topics:
        lines += ["", label("report.mail.topics") + "、".join(
            f"{topic}（{now}）" for topic, now, _ in report.topics[:5])]
    lines += ["", label("report.mail.incidents").format(count=len(report.incidents)),
              "", label("report.mail.attached")]
    return title, "\n".join(lines) + "\n"


def send_weekly_report(runtime: Runtime, report_config: ReportConfig, now: datetime,
                       week: str | None = None) -> list[str]:
    """Build and mail ``report_config``'s report (default: the last complete week); returns
    the channels it reached. A channel that fails is logged and the others still get it;
    raises ``DeliveryError`` when none did."""
    config = runtime.config
    report, label = runtime_report(runtime, week, report_config.entities, now)
    attachment = workbook(runtime, report, label)
    title, text = summary(report, label)
    reached, failures = [], []
    for name in report_config.channels:
        channel = EmailChannel(config.channel(name))
        c = channel.config
        message = compose_with_attachment(title, text, c.sender, c.recipients,
                                          filename(report, "xlsx"), attachment, XLSX)
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
