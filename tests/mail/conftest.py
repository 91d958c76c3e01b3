"""A real SMTP server (aiosmtpd) on a free loopback port, and the app sending to it."""

import email.policy
import threading
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from tests.harness.devidp import free_port
from webapp.mail import delivery


class SmtpServer:
    """Catches every mail sent to 127.0.0.1:``port``; ``start()`` and ``stop()`` make an outage."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """A port where the mail server will come up later (``start()``); refused until then."""
    server = SmtpServer()
    yield server
    server.stop()


def mail_config(server: SmtpServer) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "MAIL_RETRY_BASE_SECONDS": 0,
            "BASE_URL": "http://localhost"}


@pytest.fixture
def mail_app(make_app, smtp, seeded):
    return make_app(**mail_config(smtp))


def deliver(app) -> delivery.Pass:
    with app.app_context():
        return delivery.deliver_due()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def subject_of(message) -> str:
    # A long subject is folded onto a continuation line; a mail client shows it unfolded.
    return " ".join(str(message["Subject"]).split())
