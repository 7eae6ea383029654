"""Outgoing mail: SMTP settings from the environment and sending UTF-8 plain-text messages.

Settings: TRACKER_SMTP_HOST (unset: mail is off), TRACKER_SMTP_PORT (25), TRACKER_SMTP_USER,
TRACKER_SMTP_PASSWORD, TRACKER_SMTP_FROM (defaults to the user), TRACKER_SMTP_STARTTLS (0/1).
The password is never printed: it is left out of the settings' repr and of every message.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from tracker.errors import TrackerError, ValidationFailed

TIMEOUT_SECONDS = 30
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class MailError(TrackerError):
    """The mail server could not be reached or refused the messages."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = ""
    starttls: bool = False


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """Settings from the environment, or None when TRACKER_SMTP_HOST is not set.

    Raises:
        ValidationFailed: a bad port or STARTTLS flag, or no sender address.
    """
    env = os.environ if env is None else env
    host = env.get("TRACKER_SMTP_HOST", "").strip()
    if not host:
        return None
    problems = []
    port_text = env.get("TRACKER_SMTP_PORT", "").strip() or "25"
    port = int(port_text) if port_text.isdigit() else 0
    if not 1 <= port <= 65535:
        problems.append(f"Cổng máy chủ thư TRACKER_SMTP_PORT “{port_text}” không hợp lệ (1–65535).")
    flag = env.get("TRACKER_SMTP_STARTTLS", "").strip().lower()
    if flag not in _TRUE | _FALSE:
        problems.append(f"TRACKER_SMTP_STARTTLS “{flag}” không hợp lệ: dùng 0 hoặc 1.")
    user = env.get("TRACKER_SMTP_USER", "").strip() or None
    sender = env.get("TRACKER_SMTP_FROM", "").strip() or (user if user and "@" in user else "")
    if not sender:
        problems.append("Chưa cấu hình địa chỉ gửi thư (TRACKER_SMTP_FROM).")
    if problems:
        raise ValidationFailed(problems[0], problems)
    return SmtpSettings(host=host, port=port, user=user, password=env.get("TRACKER_SMTP_PASSWORD") or None,
                        sender=sender, starttls=flag in _TRUE)


def build_message(*, sender: str, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message (subject encoded per RFC 2047 by the email package)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


def send(messages: Iterable[EmailMessage], *, settings: SmtpSettings | None = None) -> dict[str, str]:
    """Send every message over one SMTP connection; return the recipients the server refused.

    Raises:
        MailError: not configured, cannot connect or log in, or a message refused as a whole.
    """
    settings = settings or smtp_settings()
    if settings is None:
        raise MailError("Chưa cấu hình máy chủ thư (TRACKER_SMTP_HOST).")
    refused: dict[str, str] = {}
    where = f"{settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for message in messages:
                failed = smtp.send_message(message)
                for address, (code, reply) in failed.items():
                    refused[address] = f"{code} {reply.decode(errors='replace')}"
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"Máy chủ thư {where} từ chối đăng nhập của “{settings.user}”.") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"Máy chủ thư {where} từ chối mọi người nhận: {', '.join(exc.recipients)}.") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"Không gửi được thư qua {where}: {type(exc).__name__}: {exc}") from None
    return refused
