"""The e-mail channel over STARTTLS and implicit SSL with a login, against a real aiosmtpd
server using a certificate made for the test (the channel verifies it against that CA only,
so an unverified server is refused)."""
from __future__ import annotations

import shutil
import ssl
import subprocess
from email import message_from_bytes, policy

import pytest

from alerting.exceptions import DeliveryError
from alerting.respond.channels import EmailChannel
from tests.alerting.test_email import Inbox, mail_config, notice
from tests.support import free_port, require

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult
except ImportError:  # pragma: no cover - aiosmtpd is a test dependency
    Controller = None


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    require(shutil.which("openssl") is not None, "openssl (to make a test certificate)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def client_context(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def logins():
    return []


@pytest.fixture
def tls_server(certificate, logins):
    require(Controller is not None, "aiosmtpd (pip install aiosmtpd)")
    started = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        # STARTTLS sets session.ssl; implicit TLS shows on the transport itself
        encrypted = (session.ssl is not None
                     or server.transport.get_extra_info("ssl_object") is not None)
        logins.append((auth_data.login, encrypted))
        return AuthResult(success=auth_data.password == b"pa55-ok", handled=False)

    def start(mode: str):
        inbox, port = Inbox(), free_port()
        if mode == "starttls":
            controller = Controller(inbox, hostname="127.0.0.1", port=port,
                                    tls_context=server_context(certificate),
                                    require_starttls=True, authenticator=authenticator,
                                    auth_require_tls=True)
        else:
            class ImplicitTLS(Controller):
                def factory(self):
                    return SMTP(self.handler, authenticator=authenticator,
                                auth_require_tls=False, hostname="127.0.0.1")
            controller = ImplicitTLS(inbox, hostname="127.0.0.1", port=port,
                                     ssl_context=server_context(certificate))
        controller.start()
        started.append(controller)
        return inbox, port
    yield start
    for controller in started:
        controller.stop()


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_sends_over_tls_with_a_login(mode, tls_server, certificate, logins, monkeypatch):
    inbox, port = tls_server(mode)
    monkeypatch.setenv("KOUBEI_SMTP_PASSWORD", "pa55-ok")
    channel = EmailChannel(mail_config(port, security=mode, username="koubei",
                                       password_env="KOUBEI_SMTP_PASSWORD"),
                           ssl_context=client_context(certificate))
    assert channel.send(notice()) == 1
    assert logins == [(b"koubei", True)]  # the password only ever crossed an encrypted link
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["care@example.cn", "wang@example.cn"]
    # the subject is RFC 2047-encoded on the wire: decode it rather than accept any
    # encoded header (the recipient "王经理" always is one)
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert "云雀手机" in message["Subject"]


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_unverified_server_is_refused(mode, tls_server, monkeypatch):
    inbox, port = tls_server(mode)
    monkeypatch.setenv("KOUBEI_SMTP_PASSWORD", "pa55-ok")
    channel = EmailChannel(mail_config(port, security=mode, username="koubei",
                                       password_env="KOUBEI_SMTP_PASSWORD"),
                           ssl_context=ssl.create_default_context(), backoff=0.01)
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        channel.send(notice())
    assert inbox.envelopes == []
