"""E-mail through the standard library (`smtplib`, `email.message`): the alert digests.

The settings `smtp_host` (none: no e-mail at all), `smtp_port`, `smtp_user` and
`smtp_password` (no login without a user), `smtp_from` and `smtp_starttls` say how
(`WHOLESYSTEM_SMTP_*`). A failed send raises `MailError` with one sentence, which the
caller records; it never carries the password.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from wholesystem.errors import UserError
from wholesystem.settings import Settings

TIMEOUT_SECONDS = 20


class MailError(UserError):
    """A message that could not be sent, in one sentence."""


def enabled(settings: Settings) -> bool:
    """Whether e-mail is configured (an SMTP host is set)."""
    return bool(settings.smtp_host)


def message(settings: Settings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A plain-text message with an HTML alternative."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.smtp_from, to, subject
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def send(settings: Settings, to: str, subject: str, text: str, html: str) -> None:
    """Sends one message; raises MailError (one sentence) when it cannot."""
    if not enabled(settings):
        raise MailError("e-mail is off: no SMTP host is set (WHOLESYSTEM_SMTP_HOST)")
    mail = message(settings, to, subject, text, html)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(mail)
    except smtplib.SMTPException as error:
        raise MailError(f"the mail server {where} refused the message ({_reason(error)})") from None
    except OSError as error:  # refused, unreachable, timed out
        raise MailError(f"cannot reach the mail server {where} ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())[:200]
