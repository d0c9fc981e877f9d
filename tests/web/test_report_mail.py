"""Briefings mailed on a schedule: through a real SMTP server (aiosmtpd) on loopback, the PDF
and the workbook attached to a short summary (text and HTML), their cron jobs (daily, weekly)
in the scheduler, and their config checks."""
from __future__ import annotations

import io
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from alerting.exceptions import DeliveryError
from alerting.respond.channels.email import EmailConfig
from alerting.respond.channels.webhook import WebhookConfig
from models.config import ReportConfig
from models.loader import ConfigError, parse_config
from models.runtime import Runtime
from tests.alerting.test_email import smtp_server  # noqa: F401 (a fixture)
from tests.support import free_port
from tests.web.test_weekly_report import SHANGHAI, WEEK, local, week  # noqa: F401 (a fixture)
from web.cli import main
from web.jobs import report_job, scheduler_for
from web.reports.mail import send_report
from web.reports.period import parse_period
from web.runtime import PLUGINS


def with_report(rt, port, **report):
    mail = EmailConfig(name="managers", type="email", host="127.0.0.1", port=port,
                        sender="koubei@example.cn", recipients=["王经理 <wang@example.cn>"],
                        timeout="5s")
    config = rt.config.model_copy(update={
        "channels": [*rt.config.channels, mail],
        "reports": [ReportConfig(name="weekly", channels=["managers"], **report)]})
    return Runtime(config, rt.config_path, rt.home)


def test_mails_last_weeks_briefing_as_pdf_and_workbook(week, smtp_server):  # noqa: F811
    inbox, port = smtp_server()
    rt = with_report(week, port)
    reached = send_report(rt, rt.config.reports[0], now=local(10, 9))  # W46 Tuesday
    assert reached == ["managers"]
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["wang@example.cn"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == f"【口碑周报】全部 {WEEK}：评论 5 条，负面 3 条（60.0%）"
    text = mail.get_body(("plain",)).get_content()
    assert "- 本期评论 5 条，较上周（4 条）增加 1 条（+25.0%）。" in text
    assert "负面话题以「电池续航」最多：2 条（上周 1 条）" in text and "本期事件 2 个" in text
    html = mail.get_body(("html",)).get_content()
    assert "<h2>全部舆情周报</h2>" in html and "<li>本期评论 5 条" in html
    pdf, xlsx = list(mail.iter_attachments())
    assert pdf.get_filename() == f"koubei-weekly-{WEEK}.pdf"
    assert pdf.get_content_type() == "application/pdf"
    first = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "全部舆情周报" in first and "核心指标" in first
    assert xlsx.get_filename() == f"koubei-weekly-{WEEK}.xlsx"
    book = load_workbook(io.BytesIO(xlsx.get_content()))
    assert list(book["概览"].values)[1][:3] == ("全部", 5, 3)


def test_daily_report_sends_yesterday_and_runs_every_day(week, smtp_server):  # noqa: F811
    inbox, port = smtp_server()
    rt = with_report(week, port, type="daily", at="08:15")
    send_report(rt, rt.config.reports[0], now=local(3, 8, 15))  # Tuesday: Monday's briefing
    mail = message_from_bytes(inbox.envelopes[0].content, policy=policy.default)
    assert mail["Subject"] == "【口碑日报】全部 2026-11-02：评论 2 条，负面 1 条（50.0%）"
    [pdf, _] = list(mail.iter_attachments())
    assert pdf.get_filename() == "koubei-daily-2026-11-02.pdf"
    job = {j.id: j for j in scheduler_for(rt, start_crawls=False).get_jobs()}["report:weekly"]
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("*", "8", "15")
    send_report(rt, rt.config.reports[0], now=local(16, 9),
                period=parse_period("2026-11-04", SHANGHAI))
    mail = message_from_bytes(inbox.envelopes[1].content, policy=policy.default)
    assert mail["Subject"].startswith("【口碑日报】全部 2026-11-04：评论 1 条")


def test_only_the_reports_entities_and_a_dead_server_is_an_error(week, smtp_server):  # noqa: F811
    inbox, port = smtp_server()
    rt = with_report(week, port, entities=["huamei"])
    send_report(rt, rt.config.reports[0], now=local(10, 9))
    mail = message_from_bytes(inbox.envelopes[0].content, policy=policy.default)
    assert "评论 1 条，负面 1 条" in mail["Subject"]
    dead = with_report(week, free_port())
    with pytest.raises(DeliveryError, match="weekly"):
        send_report(dead, dead.config.reports[0], now=local(10, 9))


def test_scheduled_weekly_at_local_time_and_sent_by_the_job(week, smtp_server):  # noqa: F811
    inbox, port = smtp_server()
    rt = with_report(week, port, weekday="fri", at="17:30")
    scheduler = scheduler_for(rt, start_crawls=False)
    job = {j.id: j for j in scheduler.get_jobs()}["report:weekly"]
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("fri", "17", "30")
    assert str(job.trigger.timezone) == "Asia/Shanghai" and job.func is report_job
    # the job reads the config file (as the scheduler's process would): the demo config
    # plus the managers' mail channel and the report
    config = rt.home / "koubei.yaml"
    text = week.config_path.read_text(encoding="utf-8").replace("\nchannels:\n", (
        "\nchannels:\n  - {name: managers, type: email, host: 127.0.0.1, port: %d, "
        "sender: koubei@example.cn, recipients: [wang@example.cn], timeout: 5s}\n" % port), 1)
    config.write_text(text + "\nreports:\n  - {name: weekly, channels: [managers]}\n",
                      encoding="utf-8")
    report_job(str(config), str(rt.home), "weekly")
    assert len(inbox.envelopes) == 1
    runner = CliRunner()
    sent = runner.invoke(main, ["report", "send", "weekly", "--period", WEEK,
                                "--config", str(config), "--home", str(rt.home)])
    assert sent.exit_code == 0 and "report weekly sent to managers" in sent.output
    mail = message_from_bytes(inbox.envelopes[1].content, policy=policy.default)
    assert mail["Subject"].startswith(f"【口碑周报】全部 {WEEK}：评论 5 条")
    missing = runner.invoke(main, ["report", "send", "monthly", "--config", str(config),
                                   "--home", str(rt.home)])
    assert missing.exit_code == 2 and "no report 'monthly'" in missing.output


def test_report_config_is_checked(runtime):
    base = runtime.config_path.read_text(encoding="utf-8")
    bad = base + ("\nreports:\n  - {name: weekly, channels: [demo-webhook, nowhere], "
                  "entities: [nope], at: '9am'}\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(bad, PLUGINS, "koubei.yaml")
    message = str(caught.value)
    assert "koubei.yaml: reports[0].at" in message
    webhook = next(c.name for c in runtime.config.channels if isinstance(c, WebhookConfig))
    bad = base + (f"\nreports:\n  - {{name: weekly, channels: [{webhook}, nowhere], "
                  "entities: [nope]}\n")
    with pytest.raises(ConfigError) as caught:
        parse_config(bad, PLUGINS, "koubei.yaml")
    message = str(caught.value)
    assert f"reports[0].channels: channel '{webhook}' is webhook" in message
    assert "reports[0].channels: unknown channel 'nowhere'" in message
    assert "reports[0].entities: unknown entity 'nope'" in message
