"""iCalendar for visits: the .ics of one visit for mail, and each user's private feed behind a secret URL.

Times are written in Asia/Tokyo with its VTIMEZONE; each visit keeps one UID (visit-<id>@CALENDAR_UID_DOMAIN)
and its SEQUENCE (`Visit.sequence`), so a calendar updates the same entry when a visit moves or is cancelled.

Feed tokens: the secret is derived from SECRET_KEY and a random nonce (so the URL can be shown again on the
account page); the database keeps the nonce and the SHA-256 of the secret, never the secret. Without
SECRET_KEY a copy of the database reveals no feed URL. Changing SECRET_KEY or regenerating revokes the old URL.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app, url_for
from icalendar import Calendar, Event
from sqlalchemy import Select, false, select
from sqlalchemy.orm import selectinload

from web.dates import JST
from web.extensions import db
from web.models import (
    CalendarToken,
    Engagement,
    Issue,
    Municipality,
    User,
    Visit,
)
from web.models.base import utcnow
from web.security import hash_token
from web.services import audit

PRODID = "-//DX Match//visits//JA"
# The feed shows visits from this long ago on (and every later one).
FEED_PAST = timedelta(days=365)
_EVENT_STATUS = {"proposed": "TENTATIVE", "confirmed": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}
_METHOD_FOR_STATUS = {"confirmed": "REQUEST", "cancelled": "CANCEL"}
MODE_LABELS = {"onsite": "現地訪問", "online": "オンライン"}


class NoInvitation(ValueError):
    """A visit in this state gets no .ics with this method (e.g. an unconfirmed proposal)."""


def visit_uid(visit: Visit) -> str:
    """Return the visit's iCalendar UID, the same for its whole life."""
    return f"visit-{visit.id}@{current_app.config['CALENDAR_UID_DOMAIN']}"


def _location(visit: Visit) -> str:
    if visit.mode == "online":
        return f"オンライン {visit.meeting_url}".strip()
    if visit.place:
        return visit.place
    town = visit.engagement.issue.municipality
    return f"{town.full_name} 庁舎"


def _event(visit: Visit) -> Event:
    engagement = visit.engagement
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("sequence", visit.sequence)
    event.add("dtstamp", utcnow())
    start = visit.starts_at.astimezone(JST)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=visit.duration_minutes))
    mode = MODE_LABELS.get(visit.mode, visit.mode)
    event.add("summary", f"{mode}: {engagement.issue.title}（{engagement.expert.display_name}）")
    event.add("location", _location(visit))
    event.add("status", _EVENT_STATUS[visit.status])
    return event


def _calendar(method: str | None, events: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def visit_ics(visit: Visit, method: str) -> bytes:
    """Return the .ics of one visit: REQUEST for a confirmed visit, CANCEL for a cancelled one.

    A proposed (unconfirmed) or finished visit gets none: `NoInvitation`.
    """
    if _METHOD_FOR_STATUS.get(visit.status) != method:
        raise NoInvitation(f"no {method} invitation for a {visit.status} visit")
    event = _event(visit)
    sender = parseaddr(str(current_app.config.get("MAIL_DEFAULT_SENDER") or ""))[1]
    if sender:
        event.add("organizer", f"mailto:{sender}")
    return _calendar(method, [event])


def invitation_method(visit: Visit) -> str | None:
    """Return the method a mail about this visit carries (REQUEST/CANCEL), or None (no .ics)."""
    return _METHOD_FOR_STATUS.get(visit.status)


# ---------------------------------------------------------------- whose visits

def visible_visits(user: User) -> Select[tuple[Visit]]:
    """The visits on `user`'s calendar: an expert's own, an officer's town's, a coordinator's prefecture's
    (the booking flow's one visibility rule for visits; an admin's feed is empty)."""
    from web.services.booking.access import visits_query

    if user.role not in ("expert", "officer", "coordinator"):
        return select(Visit).where(false())
    return visits_query(user)


def feed_ics(user: User) -> bytes:
    """Return `user`'s feed: visits from a year ago on, proposed ones TENTATIVE, cancelled ones left out."""
    query = (visible_visits(user)
             .where(Visit.status != "cancelled", Visit.starts_at >= utcnow() - FEED_PAST)
             .order_by(Visit.starts_at, Visit.id)
             .options(selectinload(Visit.engagement).selectinload(Engagement.issue).selectinload(Issue.municipality)
                      .selectinload(Municipality.prefecture),
                      selectinload(Visit.engagement).selectinload(Engagement.expert)))
    return _calendar(None, [_event(visit) for visit in db.session.scalars(query)])


# ---------------------------------------------------------------- feed tokens

def _derive(nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"calendar-feed:{nonce}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def _live_token(user: User) -> CalendarToken | None:
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                         CalendarToken.revoked_at.is_(None)))


def _usable(row: CalendarToken) -> bool:
    return hmac.compare_digest(hash_token(_derive(row.nonce)), row.token_hash)


def _new_token(user: User) -> str:
    nonce = secrets.token_hex(16)
    secret = _derive(nonce)
    row = CalendarToken(user_id=user.id, nonce=nonce, token_hash=hash_token(secret))
    db.session.add(row)
    db.session.flush()
    audit.record("calendar_feed_issued", actor_id=user.id, object_type="calendar_token", object_id=row.id)
    return secret


def regenerate(user: User) -> str:
    """Revoke `user`'s feed URL (if any) and return the secret of a new one."""
    live = _live_token(user)
    if live is not None:
        live.revoked_at = utcnow()
        db.session.flush()
    return _new_token(user)


def current_secret(user: User) -> str | None:
    """Return the secret of `user`'s live feed URL, or None when there is none (or SECRET_KEY changed)."""
    live = _live_token(user)
    if live is None or not _usable(live):
        return None
    return _derive(live.nonce)


def ensure_secret(user: User) -> str:
    """Return the live secret, creating one on first use (or after a SECRET_KEY change)."""
    return current_secret(user) or regenerate(user)


def feed_url(secret: str) -> str:
    """Return the absolute feed URL for a secret (PUBLIC_BASE_URL when set, else the request's host)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:  # also outside a request (jobs, CLI)
        return f"{base}/calendar/{secret}.ics"
    return url_for("calendar.feed", token=secret, _external=True)


def find_feed_user(secret: str) -> User | None:
    """Return the active user whose live feed URL has this secret, else None."""
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == hash_token(secret),
                                                        CalendarToken.revoked_at.is_(None)))
    if row is None or not _usable(row) or not row.user.active:
        return None
    return row.user
