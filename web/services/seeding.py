"""Load the demo data in seed_data/ (idempotent: existing rows are left as they are)."""
from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from web.extensions import db
from web.models import (
    CandidateCuration,
    ClosureDay,
    ExpertProfile,
    Issue,
    Municipality,
    Prefecture,
    ShortlistEntry,
    SupportProgram,
    User,
)
from web.models.base import utcnow
from web.models.geo import is_valid_municipality_code
from web.services.accounts import find_user_by_email
from web.services.business_days import replace_closure_days
from web.services.validation import find_unstorable, normalise_email

CONSENT_NOTICE_VERSION = "2026-11"


@dataclass
class SeedReport:
    """How many rows of each kind the run inserted."""

    inserted: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        if not self.inserted:
            return "変更なし（すべて登録済み）"
        return "、".join(f"{kind} {n}件" for kind, n in sorted(self.inserted.items())) + " を追加しました"


def _storable(path: Path, rows: list[Any]) -> list[Any]:
    """Refuse a seed file with NUL or a lone surrogate anywhere (the input boundary of the loader)."""
    unstorable = find_unstorable(rows)
    if unstorable:
        raise ValueError(f"{path.name}: NUL or a lone surrogate at {', '.join(unstorable[:5])}")
    return rows


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return _storable(path, list(csv.DictReader(fh)))


def _read_json(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: a JSON array is expected")
    return _storable(path, data)


def _float(value: str | float | None) -> float | None:
    return None if value in (None, "") else float(value)


def load_seed(directory: str | Path | None = None) -> SeedReport:
    """Insert every seed row that is not in the database yet; flush, never commit."""
    root = Path(directory or current_app.config["SEED_DATA_DIR"])
    report = SeedReport()
    _seed_prefectures(root, report)
    _seed_municipalities(root, report)
    _seed_closure_days(root, report)
    _seed_programs(root, report)
    _seed_accounts(root, report)
    _seed_experts(root, report)
    _seed_issues(root, report)
    _seed_curations(root, report)
    _seed_bookings(root, report)
    db.session.flush()
    return report


def _seed_prefectures(root: Path, report: SeedReport) -> None:
    for row in _read_csv(root / "prefectures.csv"):
        if db.session.get(Prefecture, row["code"]) is None:
            db.session.add(Prefecture(code=row["code"], name=row["name"], kana=row["kana"], region=row["region"],
                                      lat=_float(row.get("lat")), lon=_float(row.get("lon"))))
            report.inserted["prefecture"] += 1
    db.session.flush()


def _seed_municipalities(root: Path, report: SeedReport) -> None:
    subprefectures = {row["name"] for row in _read_csv(root / "subprefectures.csv")}
    for row in _read_csv(root / "municipalities.csv"):
        if not is_valid_municipality_code(row["code"]):
            raise ValueError(f"municipalities.csv: invalid code {row['code']} ({row['name']})")
        if row.get("subprefecture") and row["subprefecture"] not in subprefectures:
            raise ValueError(f"municipalities.csv: unknown subprefecture {row['subprefecture']}")
        if db.session.get(Municipality, row["code"]) is None:
            db.session.add(Municipality(
                code=row["code"], name=row["name"], kana=row["kana"], prefecture_code=row["prefecture_code"],
                subprefecture=row.get("subprefecture") or None,
                lat=_float(row.get("lat")), lon=_float(row.get("lon")),
            ))
            report.inserted["municipality"] += 1
    db.session.flush()


def _seed_closure_days(root: Path, report: SeedReport) -> None:
    """Give a town its own closure days, unless it already has some (its rule is replaced as a whole or not at all)."""
    towns = set(db.session.scalars(select(ClosureDay.municipality_code).distinct()))
    for row in _read_json(root / "closure_days.json"):
        if row["municipality_code"] not in towns:
            days = [(d["month"], d["day"], d["label"]) for d in row["days"]]
            replace_closure_days(row["municipality_code"], days)
            report.inserted["closure_day"] += len(days)


def _seed_programs(root: Path, report: SeedReport) -> None:
    existing = set(db.session.scalars(select(SupportProgram.code)))
    for row in _read_json(root / "programs.json"):
        if row["code"] not in existing:
            db.session.add(SupportProgram(**{k: row.get(k) for k in (
                "code", "name", "owner_prefecture_code", "description", "max_onsite_visits_per_fy",
                "max_online_hours_per_fy", "max_months", "visits_per_month")}))
            report.inserted["support_program"] += 1


def _new_user(row: dict[str, Any], role: str, display_name: str) -> User:
    user = User(email=normalise_email(row["email"]), role=role, display_name=display_name,
                municipality_code=row.get("municipality_code") if role == "officer" else None,
                prefecture_code=row.get("prefecture_code") if role == "coordinator" else None)
    user.set_password(row["password"], method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    return user


def _seed_accounts(root: Path, report: SeedReport) -> None:
    for row in _read_json(root / "accounts.json"):
        if find_user_by_email(row["email"]) is None:
            _new_user(row, row["role"], row["display_name"])
            report.inserted["user"] += 1
    db.session.flush()


def _seed_experts(root: Path, report: SeedReport) -> None:
    for row in _read_json(root / "experts.json"):
        if find_user_by_email(row["email"]) is not None:
            continue
        user = _new_user(row, "expert", row["display_name"])
        db.session.flush()
        profile = ExpertProfile(
            user_id=user.id, display_name=row["display_name"], bio=row["bio"], skills=list(row["skills"]),
            certifications=list(row.get("certifications", [])), prefecture_code=row["prefecture_code"],
            home_label=row.get("home_label", ""), lat=row.get("lat"), lon=row.get("lon"),
            travel_range=row["travel_range"], monthly_capacity=row["monthly_capacity"],
            contact_email=row.get("contact", {}).get("email"), contact_phone=row.get("contact", {}).get("phone"),
        )
        profile.roles.update(row["roles"])
        profile.sectors.update(row["sectors"])
        profile.modes.update(row["modes"])
        profile.record_contact_consent(bool(row.get("contact_consent")), CONSENT_NOTICE_VERSION, utcnow())
        db.session.add(profile)
        report.inserted["expert_profile"] += 1
        report.inserted["user"] += 1
    db.session.flush()


def _seed_issues(root: Path, report: SeedReport) -> None:
    existing = {(code, title) for code, title in db.session.execute(select(Issue.municipality_code, Issue.title))}
    officers = _first_officer_by_town()
    for row in _read_json(root / "issues.json"):
        if (row["municipality_code"], row["title"]) in existing:
            continue
        issue = Issue(**{k: row[k] for k in (
            "municipality_code", "title", "body", "sector", "stage", "menu", "mode", "months", "status")})
        issue.created_by_id = officers.get(row["municipality_code"])  # the town's demo officer posted it
        issue.budget_deadline = row.get("budget_deadline", "")
        issue.deadline = date.fromisoformat(row["deadline"]) if row.get("deadline") else None
        if row["status"] != "draft":
            issue.published_at = utcnow()
        issue.wanted_roles.update(row["wanted_roles"])
        issue.co_municipality_codes.update(row.get("co_municipality_codes", []))
        db.session.add(issue)
        report.inserted["issue"] += 1


def _seed_curations(root: Path, report: SeedReport) -> None:
    """Load a coordinator's pins and exclusions and a town's shortlist (issues and experts by their seed keys)."""
    path = root / "curations.json"
    if not path.exists():
        return
    issues, experts = _issues_by_key(root), _experts_by_key(root)
    for row in _read_json(path):
        issue, expert = issues.get(row["issue"]), experts.get(row["expert"])
        if issue is None or expert is None:
            raise ValueError(f"{path.name}: unknown issue {row['issue']!r} or expert {row['expert']!r}")
        kind = "shortlist_entry" if row["action"] == "shortlist" else "candidate_curation"
        if _add_curation(issue, expert, row):
            report.inserted[kind] += 1


def _seed_bookings(root: Path, report: SeedReport) -> None:
    """Load the booking demo data: requests, engagements, visits and reports (web/services/seeding_bookings.py)."""
    path = root / "bookings.json"
    if not path.exists():
        return
    from web.services.seeding_bookings import load_bookings, read_rows

    load_bookings(read_rows(path, _read_json), _issues_by_key(root), _experts_by_key(root), report.inserted)


def _add_curation(issue: Issue, expert: ExpertProfile, row: dict[str, Any]) -> bool:
    """Add one pin, exclusion or shortlist entry unless it is there already; return whether it was added."""
    if row["action"] == "shortlist":
        if db.session.get(ShortlistEntry, (issue.id, expert.id)) is not None:
            return False
        db.session.add(ShortlistEntry(issue_id=issue.id, expert_id=expert.id, added_by_id=issue.created_by_id))
        return True
    if db.session.get(CandidateCuration, (issue.id, expert.id)) is not None:
        return False
    coordinator = db.session.scalar(select(User.id).where(
        User.role == "coordinator", User.prefecture_code == issue.municipality.prefecture_code).order_by(User.id))
    db.session.add(CandidateCuration(issue_id=issue.id, expert_id=expert.id, action=row["action"],
                                     reason=row["reason"], curated_by_id=coordinator))
    return True


def _issues_by_key(root: Path) -> dict[str, Issue]:
    db.session.flush()
    by_title = {(i.municipality_code, i.title): i for i in db.session.scalars(select(Issue))}
    return {row["key"]: by_title[(row["municipality_code"], row["title"])]
            for row in _read_json(root / "issues.json") if (row["municipality_code"], row["title"]) in by_title}


def _experts_by_key(root: Path) -> dict[str, ExpertProfile]:
    by_email = {u.email: p for p, u in db.session.execute(
        select(ExpertProfile, User).join(User, User.id == ExpertProfile.user_id))}
    return {row["key"]: by_email[normalise_email(row["email"])]
            for row in _read_json(root / "experts.json") if normalise_email(row["email"]) in by_email}


def _first_officer_by_town() -> dict[str, int]:
    """Return each municipality's first officer account id (the registrant of its demo issues)."""
    rows = db.session.execute(select(User.municipality_code, User.id).where(User.role == "officer")
                              .order_by(User.id.desc()))
    return {code: user_id for code, user_id in rows}


def describe_demo_logins(directory: str | Path | None = None, experts_shown: int = 3) -> str:
    """Return a printable table of the demo accounts (demo database only)."""
    root = Path(directory or current_app.config["SEED_DATA_DIR"])
    rows = [(a["role"], a["email"], a["password"], a["display_name"]) for a in _read_json(root / "accounts.json")]
    experts = _read_json(root / "experts.json")[:experts_shown]
    rows += [("expert", e["email"], e["password"], e["display_name"]) for e in experts]
    width = max(len(r[1]) for r in rows)
    lines = ["デモ用アカウント（デモデータベース専用）:"]
    lines += [f"  {role:<12} {email:<{width}}  {password}  {name}" for role, email, password, name in rows]
    return "\n".join(lines)
