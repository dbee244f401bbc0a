"""notify's mail sender on a server that demands STARTTLS before login (SMTP_STARTTLS,
SMTP_USERNAME, SMTP_PASSWORD): the login and the message go only inside TLS, to a server whose
certificate verifies; otherwise nothing is sent, the password included.

The server is aiosmtpd with a certificate of a CA made for the run; the sender trusts that CA
through SSL_CERT_FILE, as it would a deployment's own CA bundle.
"""

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notify.adapters.senders import EmailContent, SmtpSender
from tests.security.test_kafka_tls import make_tls_material

USER, PASSWORD = "ilteo-notify", "smtp-password-of-this-run"
MAIL = EmailContent(
    message_id="<n-1@jobs.seoul.example>",
    to="citizen@example.com",
    subject="[서울시 일자리] 안내",
    text="본문",
    html="<p>본문</p>",
)


@dataclass
class Relay:
    """What the server saw: each login attempt (was it inside TLS?) and each message."""

    logins: list[tuple[bytes, bool]] = field(default_factory=list)
    delivered: list[tuple[bool, Any]] = field(default_factory=list)

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, session.ssl is not None))
        ok = data.login == USER.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append((session.ssl is not None, session.authenticated))
        return "250 OK"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_tls_material(Path(tmp_path_factory.mktemp("smtp-tls")))


@pytest.fixture
def relay(tls_files: tuple[Path, Path]) -> Iterator[tuple[Relay, int]]:
    from deploy.local.stack import free_port

    server_pem, _ = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server_pem)
    relay = Relay()
    port = free_port()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=relay.authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield relay, port
    finally:
        controller.stop()


def sender(port: int, *, starttls: bool) -> SmtpSender:
    return SmtpSender(
        "127.0.0.1",
        port,
        "noreply@jobs.seoul.example",
        username=USER,
        password=PASSWORD,
        starttls=starttls,
        timeout_seconds=5,
    )


async def test_with_starttls_the_login_and_the_message_go_inside_tls(
    relay: tuple[Relay, int], tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = relay
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[1]))
    reply = await sender(port, starttls=True).send(MAIL)
    assert reply.code == 250, reply
    assert server.logins == [(USER.encode(), True)]
    assert server.delivered == [(True, True)]


async def test_without_starttls_nothing_is_sent_and_the_password_never_leaves(
    relay: tuple[Relay, int], tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = relay
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[1]))
    reply = await sender(port, starttls=False).send(MAIL)
    assert reply.code != 250, reply
    assert server.logins == []
    assert server.delivered == []


async def test_a_server_certificate_that_does_not_verify_gets_neither_login_nor_message(
    relay: tuple[Relay, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, port = relay
    other_ca = make_tls_material(tmp_path)[1]  # a CA that never signed the server's certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    reply = await sender(port, starttls=True).send(MAIL)
    assert reply.code is None, reply
    assert server.logins == []
    assert server.delivered == []
