"""Notifications: render reminder and escalation emails, and deliver them.

``render`` turns a :class:`NotificationContext` (which carries no personal data about the child)
into a subject, a plain-text part and an HTML part; the senders deliver an
:class:`OutgoingMessage` once or raise :class:`DeliveryError`.

This package sits beside ``models`` and above ``timescales``: it must not import prefect,
sqlmodel, ``models``, ``tasks``, ``flows`` or ``frontdoor``.
"""

from notifications.render import (
    NotificationContext,
    RenderedMessage,
    TemplateNotFoundError,
    ToldBefore,
    available_templates,
    format_date,
    render,
)
from notifications.senders import (
    ConsoleSender,
    DeliveryError,
    FileSender,
    LocalSmtpServer,
    MaildirSmtpHandler,
    OutgoingMessage,
    Sender,
    SmtpSender,
    build_email,
    start_local_smtp,
)

__all__ = [
    "ConsoleSender",
    "DeliveryError",
    "FileSender",
    "LocalSmtpServer",
    "MaildirSmtpHandler",
    "NotificationContext",
    "OutgoingMessage",
    "RenderedMessage",
    "Sender",
    "SmtpSender",
    "TemplateNotFoundError",
    "ToldBefore",
    "available_templates",
    "build_email",
    "format_date",
    "render",
    "start_local_smtp",
]
