"""Mail to users (Flask-Mailman), sent only after the unit of work commits.

`send_mail` builds the message at once and queues it on the database session; an ``after_commit`` hook sends
the queue, and the end of a transaction that did not commit (rollback, or a session closed without commit)
drops it. So a request that fails after deciding to send mail sends nothing, and a mail never announces
something the database does not hold. Sending happens after the commit: a failing mail server is logged
(user id and mail kind only, never an address or a body) and never undoes the work or breaks the request.
A savepoint rolled back inside a committed transaction does not drop mail queued inside it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from email.mime.text import MIMEText

from flask_mailman import EmailMessage
from icalendar import Calendar
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from web.extensions import db, mail
from web.models import User

logger = logging.getLogger(__name__)

_OUTBOX_KEY = "mailer.outbox"
ICS_METHODS = frozenset({"REQUEST", "CANCEL"})


@dataclass(frozen=True)
class QueuedMail:
    """A built message and what the log may say about it (ids only)."""

    message: EmailMessage
    user_id: int
    kind: str


def calendar_part(ics: bytes, method: str) -> MIMEText:
    """Return the .ics attachment: text/calendar with `method` equal to the file's METHOD, UTF-8."""
    if method not in ICS_METHODS:
        raise ValueError(f"unknown iCalendar method: {method!r}")
    if str(Calendar.from_ical(ics).get("method", "")) != method:
        raise ValueError("the MIME method must equal the METHOD inside the .ics file")
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def send_mail(to_user: User, subject: str, body: str, *, ics: bytes | None = None, method: str | None = None,
              kind: str = "mail") -> QueuedMail:
    """Queue a Japanese (UTF-8) mail to `to_user`, sent when the current transaction commits.

    `ics` (bytes of a VCALENDAR, e.g. from calendars.visit_ics) goes with `method` (REQUEST or CANCEL).
    `kind` names the mail in the log (e.g. "visit_confirmed").
    """
    if (ics is None) != (method is None):
        raise ValueError("ics and method go together")
    message = EmailMessage(subject=subject, body=body, to=[to_user.email])
    message.encoding = "utf-8"
    if ics is not None and method is not None:
        message.attach(calendar_part(ics, method))
    queued = QueuedMail(message, to_user.id, kind)
    db.session().info.setdefault(_OUTBOX_KEY, []).append(queued)
    return queued


def pending_mail() -> list[QueuedMail]:
    """Return the mail queued in the current transaction (not sent yet)."""
    return list(db.session().info.get(_OUTBOX_KEY, []))


def drop_pending_mail(keep: int = 0) -> int:
    """Drop the mail queued in the current transaction after the first `keep` (the demo seed, which acts through
    the services, sends none); return how many were dropped."""
    queue = db.session().info.get(_OUTBOX_KEY, [])
    dropped = len(queue[keep:])
    del queue[keep:]
    return dropped


def deliver(queue: list[QueuedMail]) -> int:
    """Send each mail on one connection; log failures with ids only; return how many were sent."""
    if not queue:
        return 0
    try:
        connection = mail.get_connection(fail_silently=False)
        connection.open()
    except Exception as error:  # noqa: BLE001 (a mail failure must never break the request)
        for item in queue:
            _log_failure(item, error)
        return 0
    sent = 0
    try:
        for item in queue:
            try:
                item.message.connection = connection
                sent += item.message.send(fail_silently=False)
            except Exception as error:  # noqa: BLE001
                _log_failure(item, error)
    finally:
        try:
            connection.close()
        except Exception as error:  # noqa: BLE001
            logger.warning("mail connection not closed cleanly: error=%s", type(error).__name__)
    return sent


def _log_failure(item: QueuedMail, error: Exception) -> None:
    # The exception text can hold addresses (SMTPRecipientsRefused): log its type only.
    logger.error("mail not sent: kind=%s user_id=%s error=%s", item.kind, item.user_id, type(error).__name__)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    deliver(session.info.pop(_OUTBOX_KEY, []))


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has already taken the queue of a committed transaction; what is left was never committed.
    if transaction.parent is None:
        session.info.pop(_OUTBOX_KEY, None)
