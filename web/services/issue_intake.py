"""Issue intake: officers (and their coordinators) create, edit, publish and withdraw issues."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import delete, select

from web.codes import MENUS, MODES, ROLES, SECTORS, STAGES
from web.dates import format_date, today_jst
from web.extensions import db
from web.models import IllegalTransition, Issue, IssueCoOwner, IssueRole, Municipality, User
from web.services import audit
from web.services.errors import Conflict, ServiceError
from web.services.validation import Checker, InvalidInput
from web.transaction import insert

TITLE_MAX, BODY_MAX, CANVAS_MAX, SHORT_MAX, MAX_CO_OWNERS = 80, 4000, 2000, 200, 10
TITLE_MIN, BODY_MIN = 5, 20
EARLY_STAGES = frozenset({"issue_definition", "business_model"})
DEADLINE_YEARS_AHEAD = 10
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateParts(NamedTuple):
    """A date as typed into the three inputs 年・月・日 (any may be empty or wrong; the service decides)."""

    year: str = ""
    month: str = ""
    day: str = ""


@dataclass
class IssueInput:
    """What a user may set on an issue; everything else (owner, status, dates) is decided here."""

    title: str = ""
    body: str = ""
    sector: str = ""
    stage: str = ""
    wanted_roles: list[str] = field(default_factory=list)
    menu: str = "accompaniment"
    mode: str = "hybrid"
    months: object = 6
    goal: str = ""
    constraints: str = ""
    budget_deadline: str = ""  # 予算 (free text; the name is the column's first one)
    #: 期限: a date, the API's "YYYY-MM-DD" text, the form's 年・月・日, or None/"" for none.
    deadline: date | str | DateParts | None = None
    counterpart: str = ""
    co_municipality_codes: list[str] = field(default_factory=list)
    municipality_code: str | None = None


def suggested_roles(stage: str) -> list[str]:
    """Return the roles the skill standard suggests for a DX stage (X人材 early, D人材 from iii on)."""
    if stage in EARLY_STAGES:
        return ["producer", "project_manager"]
    if stage == "product_planning":
        return ["project_manager", "service_designer"]
    return ["engineer", "project_manager"]


def _owner_code(user: User, data: IssueInput, checker: Checker) -> str:
    if user.role == "officer":
        if data.municipality_code and data.municipality_code != user.municipality_code:
            checker.add("municipality_code", "自分の市町村の課題だけを登録できます。")
        return user.municipality_code or ""
    if user.role == "coordinator":
        town = db.session.get(Municipality, data.municipality_code or "")
        if town is None or town.prefecture_code != user.prefecture_code:
            checker.add("municipality_code", "都道府県内の市町村の団体コード（半角数字6桁）を指定してください。")
        return data.municipality_code or ""
    raise ServiceError("課題を登録できるのは市町村職員とコーディネーターです。")


def _check_co_owners(owner_code: str, codes: list[str], checker: Checker) -> list[str]:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if len(codes) > MAX_CO_OWNERS:
        checker.add("co_municipality_codes", f"共同で取り組む市町村は{MAX_CO_OWNERS}まで選べます。")
        return codes
    owner = db.session.get(Municipality, owner_code)
    found = {m.code: m for m in db.session.scalars(select(Municipality).where(Municipality.code.in_(codes)))}
    for code in codes:
        town = found.get(code)
        if code == owner_code:
            checker.add("co_municipality_codes", "自分の市町村は共同の市町村に含めません。")
        elif town is None:
            checker.add("co_municipality_codes", f"団体コード「{code}」の市町村は登録されていません。半角数字6桁で指定してください。")
        elif owner is not None and town.prefecture_code != owner.prefecture_code:
            checker.add("co_municipality_codes", f"{town.name}は別の都道府県です。同じ都道府県内の市町村を選んでください。")
    return codes


def _deadline_parts(checker: Checker, value: str | DateParts) -> DateParts | None:
    """Return the three parts as ASCII digits (full-width digits accepted), or None after adding the error."""
    if isinstance(value, str):  # the API: an ISO 8601 calendar date
        if not _ISO_DATE.fullmatch(value):
            checker.add("deadline", "期限（deadline）は「2027-03-31」のように、西暦の年-月-日で指定してください。")
            return None
        return DateParts(*value.split("-"))
    parts = DateParts(*(unicodedata.normalize("NFKC", part or "").strip() for part in value))
    if not all(parts):
        checker.add("deadline", "期限は年・月・日をすべて入力してください。期限がない場合は、3つとも空欄にしてください。")
        return None
    if not all(part.isascii() and part.isdigit() for part in parts) or len(parts.year) != 4 \
            or len(parts.month) > 2 or len(parts.day) > 2:
        checker.add("deadline", "期限は、年を西暦の4桁、月と日を1〜2桁の数字で入力してください。例）2027年3月31日")
        return None
    return parts


def _check_deadline(checker: Checker, value: date | str | DateParts | None, saved: date | None) -> date | None:
    """Return the deadline as a date (None for none): a real day, from today to 10 years ahead.

    A saved deadline that has passed since may stay as it is, so an old issue can still be edited.
    """
    if value is None or value == "" or (isinstance(value, DateParts) and not "".join(value).strip()):
        return None
    if isinstance(value, date):
        deadline = value
    else:
        parts = _deadline_parts(checker, value)
        if parts is None:
            return None
        try:
            deadline = date(int(parts.year), int(parts.month), int(parts.day))
        except ValueError:
            checker.add("deadline", f"期限の{int(parts.year)}年{int(parts.month)}月{int(parts.day)}日は存在しない日付です。"
                                    "月は1〜12、日はその月にある日で入力してください。")
            return None
    today = today_jst()
    if deadline < today and deadline != saved:
        checker.add("deadline", f"期限には今日（{format_date(today)}）以降の日付を入力してください。")
    elif deadline.year > today.year + DEADLINE_YEARS_AHEAD:
        checker.add("deadline", f"期限は{DEADLINE_YEARS_AHEAD}年以内の日付を入力してください。")
    return deadline


def validate_issue(user: User, data: IssueInput, owner: str | None = None, *,
                   saved_deadline: date | None = None) -> dict[str, object]:
    """Return clean column values for an issue, or raise InvalidInput with every problem at once.

    `owner` is the owning municipality of an existing issue; for a new one it comes from the user.
    `saved_deadline` is the existing issue's deadline, which may stay even if it has passed.
    """
    c = Checker()
    data = c.screen(data)  # NUL / lone surrogates in any text or code field: refused, never looked up
    if owner is None:
        owner = _owner_code(user, data, c)
    values: dict[str, object] = {
        "municipality_code": owner,
        "title": c.text("title", "課題名", data.title, min_len=TITLE_MIN, max_len=TITLE_MAX),
        "body": c.text("body", "現状と困っていること", data.body, min_len=BODY_MIN, max_len=BODY_MAX),
        "goal": c.text("goal", "目指す姿", data.goal, required=False, max_len=CANVAS_MAX),
        "constraints": c.text("constraints", "制約・前提", data.constraints, required=False, max_len=CANVAS_MAX),
        "budget_deadline": c.text("budget_deadline", "予算", data.budget_deadline, required=False,
                                  max_len=SHORT_MAX),
        "deadline": _check_deadline(c, data.deadline, saved_deadline),
        "counterpart": c.text("counterpart", "庁内の担当", data.counterpart, required=False, max_len=SHORT_MAX),
        "sector": c.choice("sector", "分野", data.sector, SECTORS),
        "stage": c.choice("stage", "DXの段階", data.stage, STAGES),
        "menu": c.choice("menu", "支援メニュー", data.menu, MENUS),
        "mode": c.choice("mode", "希望する支援の形態", data.mode, MODES),
        "months": c.integer("months", "支援期間（月数）", data.months, 1, 12),
        "wanted_roles": c.choices("wanted_roles", "求める人材の役割", data.wanted_roles, ROLES),
        "co_municipality_codes": _check_co_owners(owner, data.co_municipality_codes, c),
    }
    if values["menu"] == "spot" and values["months"] != 1 and "months" not in c.errors:
        c.add("months", "スポット相談の期間は1か月です。支援期間に1を入力してください。")
    if values["menu"] == "joint" and not values["co_municipality_codes"]:
        c.add("co_municipality_codes", "連携プロジェクトでは、共同で取り組む市町村を1つ以上選んでください。")
    c.raise_if_any()
    return values


def _apply(issue: Issue, values: dict[str, object]) -> tuple[set[str], set[str]]:
    """Set the issue's columns; return the wanted roles and co-owner codes, which live in their own rows."""
    roles = set(values.pop("wanted_roles"))  # type: ignore[arg-type]
    co_owners = set(values.pop("co_municipality_codes"))  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(issue, name, value)
    return roles, co_owners


def _replace_rows(issue: Issue, model: type[IssueRole | IssueCoOwner], column: str, wanted: set[str]) -> None:
    """Make the issue's rows of `model` exactly `wanted`: delete the others, insert the missing ones.

    INSERT … ON CONFLICT DO NOTHING: an identical save at the same moment never collides on the primary key.
    """
    values = getattr(model, column)
    db.session.execute(delete(model).where(model.issue_id == issue.id, values.not_in(wanted))
                       .execution_options(synchronize_session=False))
    if wanted:
        rows = [{"issue_id": issue.id, column: value} for value in sorted(wanted)]
        db.session.execute(insert(model).values(rows).on_conflict_do_nothing())


def lock_issue(issue: Issue) -> None:
    """Reload the issue under a row lock (SELECT … FOR UPDATE) held until commit.

    Writers of the same issue then take turns, and a status read after the lock stays true until commit.
    """
    db.session.refresh(issue, with_for_update=True)


def create_issue(user: User, data: IssueInput, publish: bool = False) -> Issue:
    """Create a draft (or publish it at once) after validation; flush, never commit."""
    values = validate_issue(user, data)
    issue = Issue(status="draft", created_by_id=user.id)
    roles, co_owners = _apply(issue, values)
    issue.wanted_roles.update(roles)
    issue.co_municipality_codes.update(co_owners)
    db.session.add(issue)
    if publish:
        issue.transition_to("open")
    db.session.flush()
    audit.record("issue_created", actor_id=user.id, object_type="issue", object_id=issue.id, status=issue.status)
    return issue


EDITABLE_STATUSES = frozenset({"draft", "open", "matching"})


def update_issue(user: User, issue: Issue, data: IssueInput) -> Issue:
    """Replace the editable fields of an issue the user may write (the owner stays the same)."""
    lock_issue(issue)
    if issue.status not in EDITABLE_STATUSES:
        raise ServiceError(f"「{issue.status_label}」の課題は編集できません。")
    values = validate_issue(user, data, owner=issue.municipality_code, saved_deadline=issue.deadline)
    roles, co_owners = _apply(issue, values)
    _replace_rows(issue, IssueRole, "role", roles)
    _replace_rows(issue, IssueCoOwner, "municipality_code", co_owners)
    db.session.expire(issue, ["role_rows", "co_owner_rows"])
    db.session.flush()
    audit.record("issue_updated", actor_id=user.id, object_type="issue", object_id=issue.id)
    return issue


def change_issue_status(user: User, issue: Issue, target: str) -> Issue:
    """Publish, withdraw or otherwise move an issue; illegal moves get a Japanese error.

    The status is read again under the row lock: of five tabs publishing one draft, one publishes and the
    others are told it is already published (Conflict), with one audit record.
    """
    lock_issue(issue)
    if issue.status == target:
        raise Conflict(f"この課題はすでに「{issue.status_label}」です。画面を再読み込みして、現在の状態を確かめてください。")
    try:
        issue.transition_to(target)
    except IllegalTransition as error:
        raise ServiceError(str(error)) from error
    db.session.flush()
    audit.record("issue_status", actor_id=user.id, object_type="issue", object_id=issue.id, status=target)
    return issue


def issue_input_from(issue: Issue) -> IssueInput:
    """Return the editable fields of an existing issue (for pre-filling forms and PATCH)."""
    return IssueInput(
        title=issue.title, body=issue.body, sector=issue.sector, stage=issue.stage,
        wanted_roles=sorted(issue.wanted_roles), menu=issue.menu, mode=issue.mode, months=issue.months,
        goal=issue.goal, constraints=issue.constraints, budget_deadline=issue.budget_deadline,
        deadline=issue.deadline, counterpart=issue.counterpart, co_municipality_codes=sorted(issue.co_municipality_codes),
        municipality_code=issue.municipality_code,
    )


__all__ = [
    "DateParts", "IssueInput", "InvalidInput", "change_issue_status", "create_issue", "issue_input_from", "suggested_roles",
    "update_issue", "validate_issue",
]
