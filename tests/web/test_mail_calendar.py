"""Mail after commit, .ics invitations and the private calendar feeds (SQLite and PostgreSQL)."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
import recurring_ical_events
from flask import Flask, current_app
from icalendar import Calendar
from sqlalchemy import select

from tests.web.conftest import PASSWORD
from web.dates import JST
from web.extensions import db
from web.models import AuditEvent, CalendarToken, Engagement, User, Visit
from web.services import calendars
from web.services.calendars import NoInvitation, visit_ics
from web.services.mailer import send_mail
from web.transaction import commit, transaction

MAY_13_1400 = datetime(2026, 5, 13, 14, 0, tzinfo=JST)


@pytest.fixture
def make_visit(make_issue, make_expert):
    def factory(*, issue: Any = None, expert: Any = None, status: str = "confirmed", mode: str = "onsite",
                starts_at: datetime = MAY_13_1400) -> Visit:
        issue = issue or make_issue(status="engaged")
        expert = expert or make_expert()
        engagement = Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 5, 1),
                                end_on=date(2026, 10, 31))
        db.session.add(engagement)
        db.session.flush()
        confirmed_at = starts_at - timedelta(days=7) if status == "confirmed" else None
        visit = Visit(engagement_id=engagement.id, starts_at=starts_at, duration_minutes=120, mode=mode,
                      status=status, fiscal_year=2026, expert_id=expert.id, municipality_code=issue.municipality_code,
                      town_confirmed_at=confirmed_at, expert_confirmed_at=confirmed_at)
        db.session.add(visit)
        db.session.commit()
        return visit

    return factory


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def only_event(ics: bytes) -> Any:
    events = parse(ics).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def outbox() -> list[Any]:
    return list(getattr(current_app.extensions["mailman"], "outbox", []))


# ---------------------------------------------------------------- visit_ics


def test_a_confirmed_visit_at_14_00_jst_reads_back_as_14_00_plus_09_00(make_visit):
    visit = make_visit()
    event = only_event(visit_ics(visit, "REQUEST"))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == MAY_13_1400 and start.utcoffset() == timedelta(hours=9)
    assert start.tzinfo.key == "Asia/Tokyo"
    assert end - start == timedelta(minutes=120)
    assert parse(visit_ics(visit, "REQUEST")).walk("VTIMEZONE")[0]["TZID"] == "Asia/Tokyo"


def test_the_invitation_is_in_japanese_with_the_town_hall_or_online_as_location(make_visit, make_expert):
    onsite = make_visit()
    online = make_visit(mode="online", expert=make_expert())
    event = only_event(visit_ics(onsite, "REQUEST"))
    assert str(event["location"]) == "北海道岩見沢市 庁舎"
    assert str(event["summary"]).startswith("現地訪問: スマート農業の導入")
    assert str(only_event(visit_ics(online, "REQUEST"))["location"]) == "オンライン"


def test_the_uid_is_stable_and_the_sequence_grows_with_every_change(make_visit):
    visit = make_visit(status="proposed")
    assert visit.sequence == 0
    visit.town_confirmed_at = visit.expert_confirmed_at = MAY_13_1400 - timedelta(days=7)
    visit.status = "confirmed"
    db.session.commit()
    first = only_event(visit_ics(visit, "REQUEST"))
    visit.starts_at = MAY_13_1400 + timedelta(days=1)
    db.session.commit()
    visit.status = "confirmed"  # unchanged value: no new sequence
    visit.status = "cancelled"
    db.session.commit()
    cancelled = only_event(visit_ics(visit, "CANCEL"))
    assert first["uid"] == cancelled["uid"] == f"visit-{visit.id}@dx-match.localhost"
    assert (first.decoded("sequence"), cancelled.decoded("sequence")) == (1, 3)


def test_the_method_follows_the_status_and_a_proposed_visit_gets_no_ics(make_visit):
    proposed = make_visit(status="proposed")
    with pytest.raises(NoInvitation):
        visit_ics(proposed, "REQUEST")
    with pytest.raises(NoInvitation):
        visit_ics(proposed, "CANCEL")
    assert calendars.invitation_method(proposed) is None
    proposed.status = "cancelled"
    db.session.commit()
    assert parse(visit_ics(proposed, "CANCEL"))["method"] == "CANCEL"
    assert only_event(visit_ics(proposed, "CANCEL"))["status"] == "CANCELLED"


# ---------------------------------------------------------------- mail


def test_mail_is_sent_after_the_commit_with_the_ics_method_equal_to_the_mime_method(make_visit, make_user):
    visit, officer = make_visit(), make_user("officer")
    with transaction():
        send_mail(officer, "訪問が確定しました", "5月13日（水）14:00 に訪問します。",
                  ics=visit_ics(visit, "REQUEST"), method="REQUEST")
        assert outbox() == []  # nothing leaves before the commit
    [sent] = outbox()
    parsed = message_from_bytes(sent.message().as_bytes())
    assert parsed["To"] == officer.email
    assert str(parsed["Subject"]) != "" and sent.subject == "訪問が確定しました"
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_content_charset() == "utf-8"
    ics = part.get_payload(decode=True)
    assert parse(ics)["method"] == part.get_param("method")
    assert only_event(ics).decoded("dtstart") == MAY_13_1400
    body = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    assert "14:00" in body.get_payload(decode=True).decode(body.get_content_charset())


def test_a_rolled_back_transaction_sends_no_mail(make_user):
    officer = make_user("officer")
    with pytest.raises(RuntimeError), transaction():
        send_mail(officer, "件名", "本文")
        raise RuntimeError("boom")
    commit()  # the next unit of work does not carry the dropped mail along
    assert outbox() == []


def test_mail_of_a_session_closed_without_commit_is_dropped(make_user):
    officer = make_user("officer")
    send_mail(officer, "件名", "本文")
    db.session.close()
    commit()
    assert outbox() == []


def test_the_mime_method_must_match_the_file(make_visit, make_user):
    visit, officer = make_visit(), make_user("officer")
    with pytest.raises(ValueError):
        send_mail(officer, "件名", "本文", ics=visit_ics(visit, "REQUEST"), method="CANCEL")
    with pytest.raises(ValueError):
        send_mail(officer, "件名", "本文", ics=visit_ics(visit, "REQUEST"))


@pytest.mark.app_config(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2)
def test_a_failing_mail_server_is_logged_with_ids_only_and_the_request_still_succeeds(app: Flask, make_user,
                                                                                        caplog):
    officer = make_user("officer", email="secret.person@example.jp")

    @app.route("/_test/notify")
    def notify() -> str:
        with transaction():
            db.session.add(AuditEvent(action="test_notified", actor_id=officer.id))
            send_mail(db.session.get(type(officer), officer.id), "件名", "個人的な本文", kind="test_notice")
        return "ok"

    with caplog.at_level(logging.ERROR, logger="web.services.mailer"):
        response = app.test_client().get("/_test/notify")
    assert response.status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test_notified")) is not None
    [record] = [r for r in caplog.records if r.name == "web.services.mailer"]
    assert f"user_id={officer.id}" in record.getMessage() and "kind=test_notice" in record.getMessage()
    assert "secret.person" not in caplog.text and "個人的" not in caplog.text


# ---------------------------------------------------------------- feeds


def feed_events(client: Any, url: str) -> list[Any]:
    response = client.get(url.removeprefix("http://localhost"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")
    assert "Set-Cookie" not in response.headers
    calendar = parse(response.data)
    return recurring_ical_events.of(calendar).between(datetime(2026, 5, 1, tzinfo=JST), datetime(2026, 6, 1, tzinfo=JST))


def feed_url_of(user: Any) -> str:
    with current_app.test_request_context(), transaction():
        return calendars.feed_url(calendars.ensure_secret(user))


def summaries(events: list[Any]) -> set[str]:
    return {str(e["uid"]) for e in events}


def uid(visit: Visit) -> str:
    return f"visit-{visit.id}@dx-match.localhost"


@pytest.fixture
def town_visits(make_visit, make_issue, make_expert) -> dict[str, Visit]:
    """A visit in Iwamizawa (Hokkaido), in Kushiro as co-owner, and in Sendai (Miyagi) with another expert."""
    expert = make_expert()
    return {
        "iwamizawa": make_visit(expert=expert),
        "kushiro_joint": make_visit(expert=expert, issue=make_issue(municipality_code="012068", status="engaged",
                                                                    co_municipality_codes=("012106",)),
                                    starts_at=MAY_13_1400 + timedelta(days=7), status="proposed"),
        "sendai": make_visit(issue=make_issue(municipality_code="041009", status="engaged"), mode="online"),
    }


def test_each_feed_lists_only_its_users_visits(client, town_visits, make_user):
    v = town_visits
    expert_user = v["iwamizawa"].engagement.expert.user_id
    cases = {
        db.session.get(User, expert_user): {uid(v["iwamizawa"]), uid(v["kushiro_joint"])},
        make_user("officer", municipality_code="012106"): {uid(v["iwamizawa"]), uid(v["kushiro_joint"])},
        make_user("officer", municipality_code="012068"): {uid(v["kushiro_joint"])},
        make_user("officer", municipality_code="041009"): {uid(v["sendai"])},
        make_user("coordinator", prefecture_code="01"): {uid(v["iwamizawa"]), uid(v["kushiro_joint"])},
        make_user("coordinator", prefecture_code="04"): {uid(v["sendai"])},
        make_user("coordinator", prefecture_code="13"): set(),
        make_user("expert"): set(),
        make_user("admin"): set(),
    }
    for user, expected in cases.items():
        assert summaries(feed_events(client, feed_url_of(user))) == expected, user.role


def test_the_feed_shows_times_in_tokyo_proposals_as_tentative_and_leaves_cancelled_out(client, town_visits,
                                                                                       make_user):
    officer = make_user("officer", municipality_code="012106")
    town_visits["iwamizawa"].status = "cancelled"
    db.session.commit()
    [event] = feed_events(client, feed_url_of(officer))
    assert str(event["status"]) == "TENTATIVE"
    assert event.decoded("dtstart") == MAY_13_1400 + timedelta(days=7)
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=9)


def test_an_unknown_or_malformed_token_is_404(client, geo):
    assert client.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_regenerating_kills_the_old_url_and_a_revoked_token_is_404(client, town_visits, make_user):
    officer = make_user("officer")
    old = feed_url_of(officer).removeprefix("http://localhost")
    assert client.get(old).status_code == 200
    with current_app.test_request_context(), transaction():
        new = calendars.feed_url(calendars.regenerate(officer)).removeprefix("http://localhost")
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert db.session.scalar(select(CalendarToken.token_hash).where(CalendarToken.revoked_at.is_(None))) \
        not in new  # only a hash is stored


def test_a_deactivated_users_feed_is_404(client, make_user):
    officer = make_user("officer")
    url = feed_url_of(officer).removeprefix("http://localhost")
    officer.active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_url_is_shown_again_until_secret_key_changes(app: Flask, make_user):
    officer = make_user("officer")
    url = feed_url_of(officer)
    assert feed_url_of(officer) == url
    app.config["SECRET_KEY"] = "another-key"
    assert calendars.current_secret(officer) is None
    assert calendars.find_feed_user(url.rsplit("/", 1)[1].removesuffix(".ics")) is None


# ---------------------------------------------------------------- API and /me page


def test_the_api_creates_the_url_once_and_regenerate_replaces_it(client, make_user):
    officer = make_user("officer")
    token = client.post("/api/v1/auth/token", json={"email": officer.email, "password": PASSWORD}).get_json()
    headers = {"Authorization": "Bearer " + token["token"]}
    first = client.get("/api/v1/me/calendar", headers=headers)
    assert first.status_code == 200
    url = first.get_json()["url"]
    assert url.startswith("http://localhost/calendar/") and url.endswith(".ics")
    assert client.get("/api/v1/me/calendar", headers=headers).get_json()["url"] == url
    fresh = client.post("/api/v1/me/calendar/regenerate", headers=headers)
    assert fresh.status_code == 200 and fresh.get_json()["url"] != url
    assert client.get(url.removeprefix("http://localhost")).status_code == 404
    assert client.get("/api/v1/me/calendar").status_code == 401


@pytest.mark.app_config(PUBLIC_BASE_URL="https://dx.example.jp")
def test_the_url_uses_the_public_base_url_when_set(make_user):
    assert feed_url_of(make_user("officer")).startswith("https://dx.example.jp/calendar/")


def shown_url(page: str) -> str:
    return page.split('id="calendar-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]


def test_the_me_page_issues_shows_and_regenerates_the_url(client, auth, make_user):
    officer = make_user("officer")
    auth.login(officer.email)
    page = client.get("/me").get_data(as_text=True)
    assert "カレンダー配信URLを発行する" in page and "/calendar/" not in page
    page = client.post("/me/calendar", follow_redirects=True).get_data(as_text=True)
    assert '<label for="calendar-url" class="label">' in page and "誰でもあなたの予定を読めます" in page
    assert "URLを発行しました" in page and "以前のURL" not in page.split("<h1")[0]
    first = shown_url(page)
    page = client.post("/me/calendar", follow_redirects=True).get_data(as_text=True)
    assert "再発行しました。以前のURLは使えなくなりました" in page
    second = shown_url(page)
    assert first != second
    assert client.get(first.removeprefix("http://localhost")).status_code == 404
    assert client.get(second.removeprefix("http://localhost")).status_code == 200


def test_mail_falling_back_to_stdout_is_warned_about_but_a_chosen_console_backend_is_not(caplog):
    from flask import Flask

    from web import init_mail

    for defaulted, warned in ((True, True), (False, False)):
        app = Flask("probe")
        app.config.update(MAIL_BACKEND="console", MAIL_BACKEND_DEFAULTED=defaulted)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="web"):
            init_mail(app)
        assert ("MAIL_BACKEND is console" in caplog.text) is warned
