"""Mail goes out from a worker, never from a web request.

Services call `mail_send_on_commit`: after the transaction commits, one `lotse.mail_send`
task is queued (queue `notify`, in the schema of the client the mail is about; `public` for
the agency), and a worker hands the message to the configured backend (`var/mail/` files in
development and the demo, SMTP from `LOTSE_EMAIL_*` in production). A slow or absent SMTP
server so never holds a request. Temporary failures (the server is away, times out, or
answers 4xx) are retried with a growing pause; permanent refusals (5xx: no such mailbox)
are logged and not retried.

The message, links with their one-time tokens included, travels through the broker (Redis),
as it then travels through the mail server: the broker is as private as the database.
Should the broker itself be away, the mail is sent in the request instead of being lost.
"""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import EmailMessage
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from config.celery import task_send
from config.tenancy import current_schema

logger = logging.getLogger(__name__)

MAIL_QUEUE = "notify"
MAIL_MAX_RETRIES = 8  # pauses of up to 5 s, doubling, at most 10 min (jittered): up to 20 min


class MailTemporaryFailure(Exception):
    """The mail server could not take the message now; the task tries again later."""


def _temporary(error: Exception) -> bool:
    """Whether trying again later may help: no connection, a timeout, a dropped connection,
    or a 4xx answer. 5xx answers (unknown mailbox, refused sender) stay refused."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError)


def mail_deliver(*, subject: str, body: str, to: list[str]) -> bool:
    """Hand one message to the mail backend (in the worker). Returns False when the server
    refused it for good (logged); raises `MailTemporaryFailure` when it may work later."""
    message = EmailMessage(subject=subject, body=body, to=to)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        if _temporary(error):
            raise MailTemporaryFailure(f"{type(error).__name__}: {error}") from error
        logger.error("mail to %d recipient(s) refused for good: %s", len(to), error)
        return False
    return True


def mail_send_on_commit(
    *, subject: str, body: str, to: list[str], schema_name: str | None = None
) -> None:
    """Queue the message for a worker once the current transaction commits (at once outside
    one). `schema_name` is the tenant the mail is about (default: the connection's)."""
    schema = schema_name or current_schema()
    recipients = list(to)

    def queue() -> None:
        try:
            task_send("lotse.mail_send", schema, subject, body, recipients)
        except (KombuError, RedisError, OSError):
            logger.warning("broker away: sending the mail from this process instead")
            try:
                mail_deliver(subject=subject, body=body, to=recipients)
            except MailTemporaryFailure:
                logger.exception("mail lost: neither the broker nor the mail server answered")

    transaction.on_commit(queue, robust=True)
