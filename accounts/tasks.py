"""Celery entry point for mail: every message the web processes queue with
`config.mail.mail_send_on_commit` is handed to the mail backend here, retried while the
server is temporarily away."""

from __future__ import annotations

from config.celery import tenant_task
from config.mail import MAIL_MAX_RETRIES, MAIL_QUEUE, MailTemporaryFailure, mail_deliver


@tenant_task(
    name="lotse.mail_send",
    queue=MAIL_QUEUE,
    autoretry_for=(MailTemporaryFailure,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAIL_MAX_RETRIES,
)
def mail_send_task(subject: str, body: str, to: list[str]) -> bool:
    return mail_deliver(subject=subject, body=body, to=to)
