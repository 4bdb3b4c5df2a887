"""Issue intake: officers (and their coordinators) create, edit, publish and withdraw issues."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from web.codes import MENUS, MODES, ROLES, SECTORS, STAGES
from web.extensions import db
from web.models import IllegalTransition, Issue, Municipality, User
from web.services import audit
from web.services.errors import ServiceError
from web.services.validation import Checker, InvalidInput

TITLE_MAX, BODY_MAX, CANVAS_MAX, SHORT_MAX, MAX_CO_OWNERS = 80, 4000, 2000, 200, 10
TITLE_MIN, BODY_MIN = 5, 20
EARLY_STAGES = frozenset({"issue_definition", "business_model"})


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
    budget_deadline: str = ""
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


def validate_issue(user: User, data: IssueInput, owner: str | None = None) -> dict[str, object]:
    """Return clean column values for an issue, or raise InvalidInput with every problem at once.

    `owner` is the owning municipality of an existing issue; for a new one it comes from the user.
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
        "budget_deadline": c.text("budget_deadline", "予算と期限", data.budget_deadline, required=False,
                                  max_len=SHORT_MAX),
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


def _apply(issue: Issue, values: dict[str, object]) -> None:
    roles = set(values.pop("wanted_roles"))  # type: ignore[arg-type]
    co_owners = set(values.pop("co_municipality_codes"))  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(issue, name, value)
    issue.wanted_roles.intersection_update(roles)
    issue.wanted_roles.update(roles)
    issue.co_municipality_codes.intersection_update(co_owners)
    issue.co_municipality_codes.update(co_owners)


def create_issue(user: User, data: IssueInput, publish: bool = False) -> Issue:
    """Create a draft (or publish it at once) after validation; flush, never commit."""
    values = validate_issue(user, data)
    issue = Issue(status="draft", created_by_id=user.id)
    _apply(issue, values)
    db.session.add(issue)
    if publish:
        issue.transition_to("open")
    db.session.flush()
    audit.record("issue_created", actor_id=user.id, object_type="issue", object_id=issue.id, status=issue.status)
    return issue


EDITABLE_STATUSES = frozenset({"draft", "open", "matching"})


def update_issue(user: User, issue: Issue, data: IssueInput) -> Issue:
    """Replace the editable fields of an issue the user may write (the owner stays the same)."""
    if issue.status not in EDITABLE_STATUSES:
        raise ServiceError(f"「{issue.status_label}」の課題は編集できません。")
    values = validate_issue(user, data, owner=issue.municipality_code)
    _apply(issue, values)
    db.session.flush()
    audit.record("issue_updated", actor_id=user.id, object_type="issue", object_id=issue.id)
    return issue


def change_issue_status(user: User, issue: Issue, target: str) -> Issue:
    """Publish, withdraw or otherwise move an issue; illegal moves get a Japanese error."""
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
        counterpart=issue.counterpart, co_municipality_codes=sorted(issue.co_municipality_codes),
        municipality_code=issue.municipality_code,
    )


__all__ = [
    "IssueInput", "InvalidInput", "change_issue_status", "create_issue", "issue_input_from", "suggested_roles",
    "update_issue", "validate_issue",
]
