"""The e-mail channel against a real SMTP server (aiosmtpd) on loopback."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from alerting.detect.tick import run_detection
from alerting.exceptions import ChannelConfigError, DeliveryError
from alerting.respond.channels import EmailChannel
from alerting.respond.channels.email import EmailConfig
from alerting.respond.notice import Notice
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, spike_rule
from tests.support import free_port, require

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:  # pragma: no cover - aiosmtpd is a test dependency
    Controller = None


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """``smtp_server(**aiosmtpd_options)`` → (inbox, port)."""
    require(Controller is not None, "aiosmtpd (pip install aiosmtpd)")
    controllers = []

    def start(**options):
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port
    yield start
    for controller in controllers:
        controller.stop()


def mail_config(port, **values):
    return EmailConfig(**{"name": "ops-mail", "type": "email", "host": "127.0.0.1",
                          "port": port, "sender": "koubei@example.cn",
                          "recipients": ["care@example.cn", "王经理 <wang@example.cn>"],
                          "timeout": "5s", **values})


def test_sends_a_chinese_multipart_alert(configure, smtp_server):
    inbox, port = smtp_server()
    mail = mail_config(port)
    rt = configure(rules=[spike_rule(channels=["ops-mail"])], channels=[mail])
    add_burst(rt.store, 9)
    report = run_detection(rt, now=NOW)
    assert report.changes[0].notified == ["ops-mail"]

    [envelope] = inbox.envelopes
    assert envelope.mail_from == "koubei@example.cn"
    assert envelope.rcpt_tos == ["care@example.cn", "wang@example.cn"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == "care@example.cn, 王经理 <wang@example.cn>"
    assert message["Subject"] == "【口碑告警】云雀手机 负面评论激增"
    with rt.state.session() as session:
        incident = session.scalars(select(Incident)).one()
    link = f"http://127.0.0.1:8080/incidents/{incident.id}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert link in body
        assert "近 3 分钟负面评论 9 条，基线预期 0.1 条（约 90 倍）" in body
        assert "发热" in body and "屏幕发热严重，烫手[怒]" in body
        assert "开始时间：2026-11-02 20:00（Asia/Shanghai）" in body


def test_logs_in_with_the_password_from_the_environment(smtp_server, monkeypatch):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        ok = auth_data.password == b"pa55-ok"
        return AuthResult(success=ok, handled=False)  # handled=False: send the 535 reply

    inbox, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setenv("KOUBEI_SMTP_PASSWORD", "pa55-ok")
    channel = EmailChannel(mail_config(port, username="koubei",
                                       password_env="KOUBEI_SMTP_PASSWORD"))
    assert channel.send(notice()) == 1
    assert logins == [(b"koubei", b"pa55-ok")]
    assert len(inbox.envelopes) == 1

    monkeypatch.setenv("KOUBEI_SMTP_PASSWORD", "wrong")
    refused = EmailChannel(mail_config(port, username="koubei",
                                       password_env="KOUBEI_SMTP_PASSWORD"), backoff=0.01)
    with pytest.raises(DeliveryError, match="'ops-mail': SMTP 127.0.0.1:.*535"):
        refused.send(notice())
    assert len(inbox.envelopes) == 1


def test_a_missing_password_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("KOUBEI_NO_PASSWORD", raising=False)
    with pytest.raises(ChannelConfigError, match="password_env .*'KOUBEI_NO_PASSWORD'"):
        EmailChannel(mail_config(25, username="u", password_env="KOUBEI_NO_PASSWORD"))
    with pytest.raises(ChannelConfigError, match="username is set but password_env is not"):
        EmailChannel(mail_config(25, username="u"))
    monkeypatch.setenv("KOUBEI_SMTP_PASSWORD", "密码")
    with pytest.raises(ChannelConfigError, match="must be ASCII"):
        EmailChannel(mail_config(25, username="u", password_env="KOUBEI_SMTP_PASSWORD"))


def test_an_unreachable_server_fails_after_bounded_retries():
    channel = EmailChannel(mail_config(free_port()), backoff=0.01)
    with pytest.raises(DeliveryError, match="gave up after 3 tries: SMTP 127.0.0.1:"):
        channel.send(notice())


def notice():
    return Notice(incident_id=7, rule="negative-spike", group_key="", title="云雀手机 负面评论激增",
                  status="open", severity="warning", opened_at=NOW, metric=9, baseline=0.1,
                  link="http://127.0.0.1:8080/incidents/7",
                  explanation={"summary": "近 3 分钟负面评论 9 条"})
