"""The demo data loads completely and idempotently."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from web.dates import fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    Base,
    CandidateCuration,
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    Issue,
    Municipality,
    Notification,
    ShortlistEntry,
    SupportProgram,
    UnavailableDay,
    User,
    Visit,
    VisitReport,
)
from web.services.mailer import pending_mail
from web.services.seeding import load_seed

SEED = Path(__file__).resolve().parents[2] / "seed_data"


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (except password hashes' salts, which differ per hash)."""
    rows = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name != "password_hash"]
        rows[table.name] = sorted(map(tuple, db.session.execute(select(*columns)).all()), key=repr)
    return rows


@pytest.fixture
def seeded(app_ctx):
    report = load_seed(SEED)
    db.session.commit()
    return report


def test_seed_loads_the_whole_demo_data(seeded):
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Municipality, ExpertProfile, Issue, SupportProgram, User)}
    assert counts["ExpertProfile"] >= 60 and counts["Issue"] >= 40 and counts["SupportProgram"] >= 2
    assert counts["User"] == counts["ExpertProfile"] + len(json.loads((SEED / "accounts.json").read_text()))


def test_seeding_twice_changes_nothing(seeded):
    before = _snapshot()
    report = load_seed(SEED)
    db.session.commit()
    assert not report.inserted and str(report) == "変更なし（すべて登録済み）"
    assert _snapshot() == before


def test_seed_covers_hokkaidos_fourteen_subprefectures(seeded):
    names = db.session.scalars(select(Municipality.subprefecture).distinct().where(
        Municipality.prefecture_code == "01")).all()
    assert len(set(names)) == 14


def test_seed_covers_every_sector_and_role(seeded):
    from web.codes import ROLES, SECTORS
    issues = db.session.scalars(select(Issue)).all()
    experts = db.session.scalars(select(ExpertProfile)).all()
    assert {i.sector for i in issues} == set(SECTORS)
    assert set().union(*(e.roles for e in experts)) == set(ROLES)


def test_mic_advisor_program_caps_are_data(seeded):
    mic = db.session.scalar(select(SupportProgram).where(SupportProgram.code == "mic_advisor"))
    assert (mic.max_onsite_visits_per_fy, mic.max_online_hours_per_fy) == (3, 10)


def test_demo_accounts_can_log_in(seeded, client):
    response = client.post("/auth/login", data={"email": "iwamizawa@demo.example.jp", "password": "dx-demo-2026"})
    assert response.status_code == 302


def test_seed_refuses_a_wrong_check_digit(app_ctx, tmp_path):
    for name in ("prefectures.csv", "subprefectures.csv"):
        (tmp_path / name).write_text((SEED / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "municipalities.csv").write_text(
        "code,name,kana,prefecture_code,subprefecture,lat,lon\n012105,岩見沢市,いわみざわし,01,,43.2,141.8\n",
        encoding="utf-8")
    with pytest.raises(ValueError, match="invalid code 012105"):
        load_seed(tmp_path)


def test_demo_issues_are_registered_by_their_towns_officer(seeded):
    issue = db.session.scalars(select(Issue).where(Issue.municipality_code == "012106")).first()
    assert issue.created_by is not None and issue.created_by.municipality_code == "012106"


def test_seed_gives_one_village_its_own_new_year_closure(seeded):
    from datetime import date

    from web.services.business_days import current_calendar
    calendar = current_calendar()
    assert calendar.is_business_day(date(2026, 12, 29), "053686")
    assert not calendar.is_business_day(date(2027, 1, 4), "053686")
    assert not calendar.is_business_day(date(2026, 12, 29), "052019")


def test_demo_data_shows_a_deadline_a_pin_an_exclusion_and_a_shortlist(seeded):
    first = db.session.scalars(select(Issue).where(Issue.municipality_code == "012106").order_by(Issue.id)).first()
    assert first.deadline is not None
    issue = db.session.scalars(select(Issue).where(Issue.municipality_code == "014281")).first()  # 長沼町
    actions = sorted(db.session.scalars(select(CandidateCuration.action).where(CandidateCuration.issue_id == issue.id)))
    assert actions == ["exclude", "pin"]
    assert db.session.scalar(select(func.count()).select_from(ShortlistEntry)) == 2


# ---------------------------------------------------------------- booking demo data (seed_data/bookings.json)

BOOKING_MODELS = (EngagementRequest, Engagement, Visit, VisitReport, CapLedger, ExpertLoad, UnavailableDay)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _all(model):
    return db.session.scalars(select(model)).all()


def test_seeding_bookings_twice_adds_no_request_engagement_visit_or_report(seeded):
    before = {model.__name__: _count(model) for model in BOOKING_MODELS}
    assert before["EngagementRequest"] >= 25 and before["Visit"] >= 80 and before["VisitReport"] >= 30
    assert not load_seed(SEED).inserted
    db.session.commit()
    assert {model.__name__: _count(model) for model in BOOKING_MODELS} == before
    pairs = Counter((r.issue_id, r.expert_id) for r in _all(EngagementRequest))
    assert max(pairs.values()) == 1


def test_seeding_queues_no_mail_but_leaves_in_app_notifications(app_ctx):
    load_seed(SEED)
    assert pending_mail() == []
    assert _count(Notification) > 0
    db.session.rollback()


@pytest.mark.parametrize("moment", ["2027-04-01 09:00:00+09:00", "2027-01-04 10:00:00+09:00"])
def test_the_booking_seed_loads_on_other_days_too(app_ctx, moment):
    from freezegun import freeze_time
    with freeze_time(moment):
        report = load_seed(SEED)
        db.session.flush()
        assert report.inserted["visit"] >= 80
        mic = db.session.scalar(select(SupportProgram).where(SupportProgram.code == "mic_advisor"))
        assert any(row.onsite_used + row.onsite_reserved == 3 for row in _all(CapLedger)
                   if row.program_id == mic.id and row.fiscal_year == fiscal_year_of(today_jst()))
    db.session.rollback()
