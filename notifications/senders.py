"""Deliver rendered notifications: SMTP for real mail, files or the console for development.

Senders raise :class:`DeliveryError` and nothing else, with ``transient`` telling the retrying
delivery task whether trying again later can help (connection refused, timeouts, 4xx replies) or
not (5xx replies, bad configuration). The outbox, retries and attempt records live above this
module; a sender only tries once.

``start_local_smtp`` runs a real SMTP server (aiosmtpd) that files mail into a Maildir, for the
demo and the tests.

This module imports only the standard library (and aiosmtpd, lazily): no prefect, sqlmodel or
project layers above it.
"""

from __future__ import annotations

import contextlib
import email.policy
import mailbox
import os
import re
import smtplib
import socket
import ssl
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TextIO, runtime_checkable

__all__ = [
    "MESSAGE_ID_DOMAIN",
    "ConsoleSender",
    "DeliveryError",
    "FileSender",
    "LocalSmtpServer",
    "MaildirSmtpHandler",
    "OutgoingMessage",
    "Sender",
    "SmtpSender",
    "build_email",
    "message_id_header",
    "sanitise_message_id",
    "start_local_smtp",
]

MESSAGE_ID_DOMAIN = "frontdoor.local"

_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]+")


def sanitise_message_id(message_id: str) -> str:
    """Reduce an idempotency key to ``[A-Za-z0-9.-]``, usable in a Message-ID and a file name.

    Runs of other characters become one ``-``; dots are kept but never doubled or at either end
    (RFC 5322 dot-atom).
    """
    cleaned = _NOT_ID_CHARS.sub("-", message_id)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(".")
    if not cleaned.strip("-"):
        raise ValueError(f"message_id {message_id!r} has no usable characters")
    return cleaned


def message_id_header(message_id: str) -> str:
    """The Message-ID header for an idempotency key: ``<{sanitised}@frontdoor.local>``."""
    return f"<{sanitise_message_id(message_id)}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One email ready to send. ``message_id`` is the outbox idempotency key."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    sender: str

    def __post_init__(self) -> None:
        # Header injection guard: these values become headers.
        for name in ("to", "subject", "sender", "message_id"):
            value: str = getattr(self, name)
            if "\r" in value or "\n" in value:
                raise ValueError(f"{name} must be a single line")
        if not self.to.strip() or not self.sender.strip():
            raise ValueError("to and sender are required")
        sanitise_message_id(self.message_id)


class DeliveryError(Exception):
    """A message could not be delivered. ``transient`` says whether a retry later can help."""

    def __init__(self, message: str, *, transient: bool, smtp_code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.smtp_code = smtp_code

    def __repr__(self) -> str:
        return (
            f"DeliveryError({str(self)!r}, transient={self.transient}, smtp_code={self.smtp_code})"
        )


@runtime_checkable
class Sender(Protocol):
    def send(self, msg: OutgoingMessage) -> None:
        """Deliver ``msg`` once or raise :class:`DeliveryError`."""
        ...


def build_email(msg: OutgoingMessage) -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, the HTML part preferred."""
    em = EmailMessage(policy=email.policy.SMTP)
    em["From"] = msg.sender
    em["To"] = msg.to
    em["Subject"] = msg.subject
    em["Date"] = format_datetime(datetime.now(UTC))
    em["Message-ID"] = message_id_header(msg.message_id)
    # RFC 3834: stops out-of-office replies bouncing back into a mailbox nobody reads.
    em["Auto-Submitted"] = "auto-generated"
    em.set_content(msg.text)
    em.add_alternative(msg.html, subtype="html")
    return em


def _reply_text(error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
    return " ".join(text.split())


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


class SmtpSender:
    """Send through an SMTP relay, one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float = 10.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.starttls = starttls
        self.username = username
        self._password = password
        self.local_hostname = local_hostname

    def __repr__(self) -> str:  # never show the password
        return (
            f"SmtpSender(host={self.host!r}, port={self.port}, starttls={self.starttls}, "
            f"username={self.username!r})"
        )

    def send(self, msg: OutgoingMessage) -> None:
        em = build_email(msg)
        where = f"SMTP server {self.host}:{self.port}"
        try:
            with smtplib.SMTP(
                self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
            ) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self._password or "")
                smtp.send_message(em, from_addr=msg.sender, to_addrs=[msg.to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
            raise DeliveryError(
                f"{where} refused recipient {msg.to}: {code} {_reply_text(reply)}",
                transient=_is_transient(code),
                smtp_code=code,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # Sender refused, data refused, authentication failed, HELO refused, ...
            code = exc.smtp_code
            kind = type(exc).__name__.removeprefix("SMTP")
            raise DeliveryError(
                f"{where} rejected the message ({kind}): {code} {_reply_text(exc.smtp_error)}",
                transient=_is_transient(code),
                smtp_code=code,
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib turns a read timeout into "Connection unexpectedly closed: timed out".
            if isinstance(exc.__context__, TimeoutError):
                raise DeliveryError(
                    f"{where} timed out after {self.timeout:g} s", transient=True
                ) from exc
            raise DeliveryError(
                f"{where} closed the connection unexpectedly", transient=True
            ) from exc
        except smtplib.SMTPException as exc:
            # e.g. STARTTLS or AUTH not offered: configuration, retrying will not fix it.
            raise DeliveryError(f"{where}: {exc}", transient=False) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{where}: TLS certificate not trusted ({exc.verify_message})", transient=False
            ) from exc
        except TimeoutError as exc:
            raise DeliveryError(
                f"{where} timed out after {self.timeout:g} s", transient=True
            ) from exc
        except ConnectionRefusedError as exc:
            raise DeliveryError(f"{where} refused the connection", transient=True) from exc
        except OSError as exc:  # DNS failure, unreachable network, reset, TLS errors
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise DeliveryError(f"{where} unreachable: {reason}", transient=True) from exc


class FileSender:
    """Write each message to ``<directory>/<sanitised message_id>.eml`` (development use).

    Writing the same id again replaces the file, as a resend of the same outbox row should.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, msg: OutgoingMessage) -> Path:
        return self.directory / f"{sanitise_message_id(msg.message_id)}.eml"

    def send(self, msg: OutgoingMessage) -> None:
        target = self.path_for(msg)
        data = build_email(msg).as_bytes()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except PermissionError as exc:
            raise DeliveryError(
                f"cannot write {target}: permission denied", transient=False
            ) from exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DeliveryError(f"cannot write {target}: {reason}", transient=True) from exc


class ConsoleSender:
    """Print a short summary of each message (development use); never the body."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, msg: OutgoingMessage) -> None:
        stream = self._stream or sys.stdout
        print(
            f"[frontdoor mail] to={msg.to} id={msg.message_id} subject={msg.subject}", file=stream
        )


# --- A local SMTP server for the demo and the tests -----------------------------------------


class MaildirSmtpHandler:
    """aiosmtpd handler that files every accepted message into a Maildir."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = Path(maildir)
        self._box = _open_maildir(self.maildir)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        with self._lock:
            self._box.add(raw)
        return "250 Message accepted for delivery"


def _open_maildir(path: Path) -> mailbox.Maildir:
    # Maildir(create=True) makes cur/new/tmp only when the directory itself is missing.
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(path, create=False)


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalSmtpServer:
    """A running aiosmtpd server; stop it with :meth:`stop` or use it as a context manager."""

    def __init__(self, controller: Any, handler: Any, maildir: Path, host: str, port: int):
        self._controller = controller
        self.handler = handler
        self.maildir = Path(maildir)
        self.host = host
        self.port = port
        self._running = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> LocalSmtpServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        box = _open_maildir(self.maildir)
        parser = BytesParser(policy=email.policy.default)
        found: list[tuple[float, str, EmailMessage]] = []
        for key in box.iterkeys():  # iterating a Mailbox yields messages
            try:
                raw = box.get_bytes(key)
                delivered = box.get_message(key).get_date()
            except KeyError:  # removed meanwhile
                continue
            parsed = parser.parsebytes(raw)
            assert isinstance(parsed, EmailMessage)
            found.append((delivered, key, parsed))
        found.sort(key=lambda item: (item[0], item[1]))
        return [m for _, _, m in found]

    def clear(self) -> None:
        _open_maildir(self.maildir).clear()


def start_local_smtp(
    maildir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    handler: Any | None = None,
    ready_timeout: float = 5.0,
) -> LocalSmtpServer:
    """Start a real SMTP server on ``host:port`` that stores mail in ``maildir``.

    ``port=0`` picks a free port. ``handler`` replaces the Maildir handler (e.g. one that refuses
    recipients, for tests); messages are then only filed if that handler files them.
    """
    from aiosmtpd.controller import Controller

    _open_maildir(Path(maildir))
    handler = handler if handler is not None else MaildirSmtpHandler(maildir)
    # Controller needs a concrete port, so pick one; another process may take it before we bind,
    # hence the retries.
    attempts = 5 if port == 0 else 1
    last_error: Exception | None = None
    for _ in range(attempts):
        chosen = _free_port(host) if port == 0 else port
        controller = Controller(
            handler,
            hostname=host,
            port=chosen,
            ready_timeout=ready_timeout,
            server_hostname=MESSAGE_ID_DOMAIN,  # skips a reverse-DNS lookup on start
        )
        try:
            controller.start()
        except OSError as exc:
            last_error = exc
            with contextlib.suppress(Exception):
                controller.stop(no_assert=True)
            with contextlib.suppress(Exception):
                controller.loop.close()
            continue
        return LocalSmtpServer(controller, handler, Path(maildir), host, chosen)
    raise RuntimeError(f"could not start a local SMTP server on {host}: {last_error}")
