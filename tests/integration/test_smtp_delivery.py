"""Delivery over real SMTP: a local aiosmtpd server on 127.0.0.1, and the file sender.

No Prefect here: these tests need no harness, only sockets.
"""

from __future__ import annotations

import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from notifications.render import NotificationContext, ToldBefore, render
from notifications.senders import (
    DeliveryError,
    FileSender,
    LocalSmtpServer,
    OutgoingMessage,
    Sender,
    SmtpSender,
    message_id_header,
    start_local_smtp,
)

HOST = "127.0.0.1"


def make_message(**overrides: Any) -> OutgoingMessage:
    ctx = NotificationContext(
        journey_ref="J-7F3K2Q",
        gate_id="icpc_from_strategy",
        gate_title="Initial child protection conference <held>",
        gate_basis="Working Together 2023 ch.4 - ICPC within 15 working days",
        gate_kind="statutory",
        kind="escalation",
        level=1,
        started_on=date(2022, 5, 27),
        due_on=date(2022, 6, 21),
        working_days_late=1,
        working_days_left=0,
        team="North Assessment",
        recipient_name="Siân Jones",
        recipient_role="team_manager",
        told_before=(
            ToldBefore("Sam Patel", "allocated_worker", "reminder", 2, date(2022, 6, 21)),
        ),
    )
    rendered = render("escalation", ctx)
    values: dict[str, Any] = {
        "to": "tm.north@example.gov.uk",
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "message_id": "J-7F3K2Q:icpc_from_strategy:escalation:1",
        "sender": "frontdoor@example.gov.uk",
    }
    values.update(overrides)
    return OutgoingMessage(**values)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[LocalSmtpServer]:
    with start_local_smtp(tmp_path / "maildir", host=HOST) as server:
        yield server


class RefusingHandler:
    """Refuses every recipient with the given reply."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        return self.reply


# --- delivery ------------------------------------------------------------------------------


def test_smtp_sender_delivers_a_multipart_message(smtp_server: LocalSmtpServer) -> None:
    msg = make_message()
    sender = SmtpSender(smtp_server.host, smtp_server.port, timeout=5)
    assert isinstance(sender, Sender)

    sender.send(msg)

    received = smtp_server.messages()
    assert len(received) == 1
    got = received[0]
    assert got["Subject"] == msg.subject
    assert got["To"] == "tm.north@example.gov.uk"
    assert got["From"] == "frontdoor@example.gov.uk"
    assert got["Message-ID"] == "<J-7F3K2Q-icpc-from-strategy-escalation-1@frontdoor.local>"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got.get_content_type() == "multipart/alternative"

    plain = got.get_body(preferencelist=("plain",))
    html = got.get_body(preferencelist=("html",))
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    assert normalise(plain.get_content()) == msg.text
    assert normalise(html.get_content()) == msg.html
    assert "Dear Siân Jones," in plain.get_content()
    assert "Initial child protection conference &lt;held&gt;" in html.get_content()
    assert "Sam Patel (Allocated worker): reminder level 2, sent Tue 21 Jun 2022" in (
        plain.get_content()
    )


def test_each_message_arrives_once_with_its_own_message_id(
    smtp_server: LocalSmtpServer,
) -> None:
    sender = SmtpSender(smtp_server.host, smtp_server.port, timeout=5)
    ids = [f"J-7F3K2Q:gate:reminder:{level}" for level in (1, 2)]
    for message_id in ids:
        sender.send(make_message(message_id=message_id))

    received = smtp_server.messages()
    assert [m["Message-ID"] for m in received] == [message_id_header(i) for i in ids]


def test_message_id_is_sanitised() -> None:
    assert message_id_header("J-7F3K2Q/icpc: esc..1.") == "<J-7F3K2Q-icpc-esc.1@frontdoor.local>"
    with pytest.raises(ValueError, match="message_id"):
        make_message(message_id="::")


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="single line"):
        make_message(subject="Hello\r\nBcc: everyone@example.gov.uk")
    with pytest.raises(ValueError, match="single line"):
        make_message(to="a@example.gov.uk\nb@example.gov.uk")


# --- failures ------------------------------------------------------------------------------


def test_closed_port_is_a_transient_failure() -> None:
    sender = SmtpSender(HOST, unused_port(), timeout=5)
    with pytest.raises(DeliveryError, match="refused the connection") as info:
        sender.send(make_message())
    assert info.value.transient is True
    assert info.value.smtp_code is None
    assert "Traceback" not in str(info.value)


def test_a_server_that_never_answers_times_out_transiently() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        sender = SmtpSender(HOST, port, timeout=0.5)
        with pytest.raises(DeliveryError, match="timed out") as info:
            sender.send(make_message())
    assert info.value.transient is True


def test_recipient_refused_with_550_is_permanent(tmp_path: Path) -> None:
    handler = RefusingHandler("550 no such user")
    with start_local_smtp(tmp_path / "maildir", host=HOST, handler=handler) as server:
        sender = SmtpSender(server.host, server.port, timeout=5)
        with pytest.raises(DeliveryError) as info:
            sender.send(make_message())
        assert server.messages() == []
    error = info.value
    assert error.transient is False
    assert error.smtp_code == 550
    assert "tm.north@example.gov.uk" in str(error)
    assert "550 no such user" in str(error)


def test_recipient_deferred_with_451_is_transient(tmp_path: Path) -> None:
    handler = RefusingHandler("451 try again later")
    with start_local_smtp(tmp_path / "maildir", host=HOST, handler=handler) as server:
        sender = SmtpSender(server.host, server.port, timeout=5)
        with pytest.raises(DeliveryError) as info:
            sender.send(make_message())
    assert info.value.transient is True
    assert info.value.smtp_code == 451


def test_starttls_not_offered_is_a_permanent_configuration_error(
    smtp_server: LocalSmtpServer,
) -> None:
    sender = SmtpSender(smtp_server.host, smtp_server.port, timeout=5, starttls=True)
    with pytest.raises(DeliveryError, match="STARTTLS") as info:
        sender.send(make_message())
    assert info.value.transient is False


def test_password_is_not_shown() -> None:
    sender = SmtpSender(HOST, 25, username="frontdoor", password="s3cret-pw")
    assert "s3cret-pw" not in repr(sender)


# --- the local server itself ---------------------------------------------------------------


def test_local_server_picks_free_ports_and_stops(tmp_path: Path) -> None:
    one = start_local_smtp(tmp_path / "one", host=HOST)
    two = start_local_smtp(tmp_path / "two", host=HOST)
    try:
        assert one.port != two.port
        assert one.port > 0
        assert two.port > 0
    finally:
        one.stop()
        two.stop()
    one.stop()  # stopping twice is harmless
    with pytest.raises(DeliveryError) as info:
        SmtpSender(HOST, one.port, timeout=2).send(make_message())
    assert info.value.transient is True


def test_local_server_accepts_concurrent_senders(smtp_server: LocalSmtpServer) -> None:
    errors: list[BaseException] = []

    def send(level: int) -> None:
        try:
            SmtpSender(smtp_server.host, smtp_server.port, timeout=5).send(
                make_message(message_id=f"J-1:g:reminder:{level}")
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m["Message-ID"] for m in smtp_server.messages()) == sorted(
        message_id_header(f"J-1:g:reminder:{n}") for n in range(8)
    )


# --- file sender ---------------------------------------------------------------------------


def test_file_sender_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    sender = FileSender(outbox)
    msg = make_message(message_id="J-7F3K2Q:icpc:escalation:1")

    sender.send(msg)
    sender.send(make_message(message_id=msg.message_id, subject="Resent"))  # same id: replaced

    files = sorted(p.name for p in outbox.iterdir())
    assert files == ["J-7F3K2Q-icpc-escalation-1.eml"]
    parsed = BytesParser(policy=email.policy.default).parsebytes((outbox / files[0]).read_bytes())
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Resent"
    assert parsed["Message-ID"] == "<J-7F3K2Q-icpc-escalation-1@frontdoor.local>"
    html = parsed.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    assert normalise(html.get_content()) == msg.html


def test_file_sender_failure_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(DeliveryError, match="cannot write"):
        FileSender(blocker / "outbox").send(make_message())
