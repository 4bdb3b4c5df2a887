"""Request and response schemas of the booking API (requests, engagements, visits, reports).

Shapes, types and ranges are checked here (so the OpenAPI document says them); what depends on stored data
(an issue's status, a program's max_months, a month in the past, a town's business days) is checked by the
booking services, with the same Japanese messages the pages show.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Range, Validator

from web.api.fields import (
    Items,
    RealNumber,
    StrictSchema,
    Text,
    WholeNumber,
    item_count,
    required,
    text_length,
)
from web.api.schemas import MUNICIPALITY_CODE, _enum
from web.codes import (
    DECLINE_REASONS,
    ENGAGEMENT_OUTCOMES,
    ENGAGEMENT_STATUSES,
    MENUS,
    REQUEST_STATUSES,
    STAGES,
    VISIT_MODES,
    VISIT_STATUSES,
)
from web.dates import JST
from web.services.booking.engagements import COMMENT_MAX, REASON_MAX
from web.services.booking.reports import HOURS_MAX, HOURS_MESSAGE, QUESTION_MAX, TEXT_MAX
from web.services.booking.requests import MAX_MESSAGE, MAX_SLOTS

MAX_ID = 2_147_483_647
#: Times the services can place on a calendar (a year outside this range is refused before any arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2099
MONTH_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])$"
START_TIME_PATTERN = "^(0[89]|1[0-8]):(00|15|30|45)$"


def row_id(label: str, field: str, *, is_required: bool = True, **kwargs: Any) -> WholeNumber:
    """A row id: a JSON integer from 1 to the largest PostgreSQL integer."""
    validate = Range(min=1, max=MAX_ID, error=f"{label}（{field}）は1から{MAX_ID}までの整数で指定してください。")
    extra = required(label, field) if is_required else {}
    return WholeNumber(validate=validate, **extra, **kwargs)


class Pattern(Validator):
    """Refuse a string that does not match `pattern` (the same pattern the document states)."""

    def __init__(self, pattern: str, error: str) -> None:
        self._pattern, self.error = re.compile(pattern), error

    def __call__(self, value: str) -> str:
        if not self._pattern.match(value):
            raise ValidationError(self.error)
        return value


MOMENT_PATTERN = "^20[0-9]{2}-"


class Moment(fields.AwareDateTime):
    """An ISO 8601 date and time WITH an offset (e.g. 2026-05-13T14:00:00+09:00) in the years 2000 to 2099.

    Impossible dates such as 2026-02-30 are refused in Japanese; a time without offset is refused (the API does
    not guess a time zone); the year range keeps every later conversion on the calendar.
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": "2026-05-13T14:00:00+09:00", "pattern": MOMENT_PATTERN,
                    **(kwargs.pop("metadata", None) or {})}
        messages = {
            "invalid": "日時はISO 8601の形式で、時差を付けて指定してください（例: 2026-05-13T14:00:00+09:00）。"
                       "存在しない日付（2月30日など）は指定できません。",
            "invalid_awareness": "日時には時差（+09:00 など）を付けてください（例: 2026-05-13T14:00:00+09:00）。",
            "required": "必須の項目です。", "null": "null は指定できません。",
        }
        messages.update(kwargs.pop("error_messages", {}))
        super().__init__(format="iso", metadata=metadata, error_messages=messages, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        if not re.match(MOMENT_PATTERN, value):
            raise ValidationError(f"日時は{FIRST_YEAR}年から{LAST_YEAR}年までの範囲で指定してください"
                                  "（例: 2026-05-13T14:00:00+09:00）。")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


class JapanTime(fields.DateTime):
    """A stored (UTC) time written as ISO 8601 in Japan time, e.g. 2026-05-13T14:00:00+09:00."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": "2026-05-13T14:00:00+09:00", **(kwargs.pop("metadata", None) or {})}
        super().__init__(format="iso", metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(JST).isoformat()  # type: ignore[no-any-return]


class MonthText(fields.String):
    """A month as "YYYY-MM" (dumped from the first day of the month)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else f"{value.year:04d}-{value.month:02d}"


# ---------------------------------------------------------------- requests


_NOT_SPOT = {"properties": {"menu": {"not": {"enum": ["spot"]}}}}
_SPOT = {"required": ["menu"], "properties": {"menu": {"enum": ["spot"]}}}


class RequestCreateSchema(StrictSchema):
    """A new request to an expert. An accompaniment or joint plan (one visit a month, on-site in
    onsite_months and online otherwise) needs a program, first_month and months; a spot consultation
    (menu=spot) offers one to three slots instead and lasts 60 to 120 minutes."""

    OPENAPI_RULES = (
        {"anyOf": [_SPOT, {"required": ["program_id", "first_month", "months"],
                           "properties": {"program_id": {"type": "integer"}}}],
         "description": "伴走支援・連携プロジェクトでは program_id・first_month・months を指定します"},
        {"anyOf": [_NOT_SPOT, {"required": ["slots"], "properties": {"slots": {"minItems": 1}}}],
         "description": "スポット相談（menu=spot）では候補日時（slots）を1〜3つ指定します"},
        {"anyOf": [_NOT_SPOT, {"properties": {"duration_minutes": {"maximum": 120}}}],
         "description": "スポット相談の1回の時間は60〜120分です"},
    )

    issue_id = row_id("課題", "issue_id")
    expert_id = row_id("外部人材", "expert_id")
    menu = Text(**required("支援メニュー", "menu"), metadata=_enum(MENUS, "支援メニュー"))
    program_id = row_id("支援制度", "program_id", is_required=False, allow_none=True, load_default=None,
                        metadata={"description": "支援制度（GET /api/v1/programs の id）。スポット相談では省略可"})
    first_month = Text(load_default="", validate=Pattern(MONTH_PATTERN, "開始月を「2026-05」の形で入力してください。"),
                       metadata={"pattern": MONTH_PATTERN, "example": "2026-05",
                                 "description": "開始月（YYYY-MM、今月から2年以内）。スポット相談では使いません"})
    months = WholeNumber(load_default=None, allow_none=True, validate=Range(
        min=1, max=36, error="月数は1から36の間で指定してください。"), metadata={
        "description": "月数（支援制度の max_months まで）。スポット相談では使いません"})
    onsite_months = Items(WholeNumber(validate=Range(min=1, max=36, error="現地訪問の月は1から36の間で指定してください。")),
                          allow_none=True, load_default=None, validate=item_count("現地訪問の月", maximum=36),
                          metadata={"description": "現地訪問にする計画の月（1 = 開始月）。省略・null で初月と以後3か月ごと。"
                                                   "ほかの月はオンライン"})
    weekdays = Items(WholeNumber(validate=Range(min=0, max=4, error="希望曜日は0（月曜日）から4（金曜日）で指定してください。")),
                     load_default=list, validate=item_count("希望曜日", maximum=5),
                     metadata={"description": "希望曜日（0 = 月曜日 … 4 = 金曜日）"})
    start_time = Text(load_default="14:00", validate=Pattern(
        START_TIME_PATTERN, "開始時刻は8:00から18:45の間で、15分単位で指定してください（例: 14:00）。"),
        metadata={"pattern": START_TIME_PATTERN, "example": "14:00",
                  "description": "希望の開始時刻（日本時間、HH:MM、08:00〜18:45 の15分単位）"})
    duration_minutes = WholeNumber(load_default=120, validate=Range(
        min=60, max=240, error="1回の時間は60から240分の間で指定してください。"),
        metadata={"description": "1回の時間（分）。スポット相談は60〜120分"})
    slots = Items(Moment(), load_default=list, validate=item_count("候補日時", maximum=MAX_SLOTS),
                  metadata={"description": "スポット相談の候補日時（これからの日時、時差付き）"})
    message = Text(load_default="", validate=text_length("メッセージ", maximum=MAX_MESSAGE),
                   metadata={"description": f"外部人材へのメッセージ（{MAX_MESSAGE}文字以内、HTMLタグ不可）"})


class RequestListArgsSchema(StrictSchema):
    status = Text(metadata=_enum(REQUEST_STATUSES, "状態で絞り込む"))

    @validates_schema
    def _known_status(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "status" in data and data["status"] not in REQUEST_STATUSES:
            raise ValidationError({"status": [f"status は {', '.join(REQUEST_STATUSES)} のいずれかで指定してください。"]})


class PlanItemSchema(Schema):
    month = MonthText(metadata={"example": "2026-05", "description": "訪問の月（YYYY-MM）"})
    mode = fields.String(metadata=_enum(VISIT_MODES, "形態"))


class CapLineSchema(Schema):
    """What the plan adds to one town's count of one kind in one fiscal year."""

    fiscal_year = fields.Integer(metadata={"description": "年度の始まる年（例: 2026 は令和8年度）"})
    fiscal_year_label = fields.String(metadata={"example": "令和8年度（2026年度）"})
    municipality_code = fields.String(metadata=MUNICIPALITY_CODE)
    kind = fields.String(metadata=_enum({"onsite": "現地訪問（回）", "online": "オンライン（時間）"}, "種類"))
    unit = fields.String(metadata=_enum({"visits": "回", "hours": "時間"}, "数の単位"))
    allowed = fields.Float(allow_none=True, metadata={"description": "上限。null は上限なし"})
    used = fields.Float(metadata={"description": "実施済み（報告済み）"})
    reserved = fields.Float(metadata={"description": "予定（承諾済みで未報告）"})
    planned = fields.Float(metadata={"description": "この計画で加わる分"})
    excess = fields.Float(metadata={"description": "上限を超える分（0 なら上限内）"})
    message = fields.String(allow_none=True, metadata={"description": "上限を超えるときの説明（日本語）。上限内なら null"})


class CapCheckSchema(Schema):
    ok = fields.Boolean(metadata={"description": "計画が支援制度の上限内か"})
    lines = fields.List(fields.Nested(CapLineSchema), metadata={"description": "年度・市町村・種類ごとの内訳"})
    messages = fields.List(fields.String(), metadata={"description": "上限を超える行の説明（日本語）"})


class RequestSchema(Schema):
    """A request as both sides see it; times are ISO 8601 in Japan time (+09:00)."""

    id = fields.Integer()
    status = fields.String(metadata=_enum(REQUEST_STATUSES, "状態"))
    issue_id = fields.Integer()
    expert_id = fields.Integer()
    program_id = fields.Integer(allow_none=True)
    menu = fields.String(metadata=_enum(MENUS, "支援メニュー"))
    first_month = MonthText(metadata={"example": "2026-05"})
    months = fields.Integer()
    onsite_months = fields.List(fields.Integer())
    weekdays = fields.List(fields.Integer())
    start_time = fields.String(metadata={"example": "14:00"})
    duration_minutes = fields.Integer()
    slots = fields.Function(
        lambda request: [datetime.fromisoformat(slot).astimezone(JST).isoformat() for slot in request.slots],
        metadata={"type": "array", "items": {"type": "string", "format": "date-time"},
                  "description": "スポット相談の候補日時（日本時間）"})
    message = fields.String()
    plan = fields.List(fields.Nested(PlanItemSchema), metadata={"description": "月ごとの訪問計画"})
    created_at = JapanTime()
    expires_at = JapanTime(metadata={"description": "回答期限（この時刻に期限切れになります）"})
    responded_at = JapanTime(allow_none=True)
    decline_reason = fields.String(allow_none=True, metadata=_enum(DECLINE_REASONS, "辞退の理由"))
    decline_note = fields.String(attribute="response_note", metadata={"description": "辞退の補足"})
    engagement_id = fields.Integer(allow_none=True, metadata={"description": "承諾で始まった支援。ほかは null"})


class RequestCreatedSchema(RequestSchema):
    cap_check = fields.Nested(CapCheckSchema, allow_none=True, metadata={
        "description": "送信時の支援制度の上限の確認（支援制度のないスポット相談では null）"})


class AcceptSchema(StrictSchema):
    """Optional: a spot consultation needs slot_index or proposed_start; meeting_url is the online link."""

    slot_index = WholeNumber(allow_none=True, load_default=None, validate=Range(
        min=0, max=MAX_SLOTS - 1, error=f"slot_index は0から{MAX_SLOTS - 1}で指定してください。"), metadata={
        "description": "スポット相談: 選ぶ候補日時（slots の0始まりの番号）"})
    proposed_start = Moment(allow_none=True, load_default=None, metadata={
        "description": "スポット相談: 候補日時の代わりに提案する日時（時差付き）"})
    meeting_url = Text(load_default="", validate=text_length("オンライン会議のURL", maximum=300),
                       metadata={"description": "オンライン会議のURL（https://…）。空でもかまいません"})


class DeclineSchema(StrictSchema):
    OPENAPI_RULES = (
        {"anyOf": [{"properties": {"reason": {"not": {"enum": ["other"]}}}},
                   {"required": ["note"], "properties": {"note": {"minLength": 1, "pattern": "[^\\s]"}}}],
         "description": "理由が「その他」（reason=other）なら補足（note）を書いてください"},
    )

    reason = Text(**required("辞退の理由", "reason"), metadata=_enum(DECLINE_REASONS, "辞退の理由"))
    note = Text(load_default="", validate=text_length("補足", maximum=1000), metadata={"description": "補足（1000文字以内）"})


class EngagementAnswerSchema(Schema):
    engagement_id = fields.Integer()


# ---------------------------------------------------------------- engagements and visits


class VisitSchema(Schema):
    """A visit; starts_at and ends_at are ISO 8601 in Japan time (+09:00)."""

    id = fields.Integer()
    engagement_id = fields.Integer()
    starts_at = JapanTime()
    ends_at = JapanTime()
    duration_minutes = fields.Integer()
    mode = fields.String(metadata=_enum(VISIT_MODES, "形態"))
    status = fields.String(metadata=_enum(VISIT_STATUSES, "状態"))
    place = fields.String(metadata={"description": "現地訪問の場所（役場の住所など）"})
    meeting_url = fields.String(metadata={"description": "オンラインの接続先"})
    proposed_by = fields.String(metadata=_enum({"system": "自動の計画", "town": "市町村", "expert": "外部人材"},
                                               "今の日時を提案した側"))
    town_confirmed = fields.Function(lambda visit: visit.town_confirmed_at is not None, metadata={"type": "boolean"})
    expert_confirmed = fields.Function(lambda visit: visit.expert_confirmed_at is not None,
                                       metadata={"type": "boolean"})
    note = fields.String(metadata={"description": "日時を提案した側のメッセージ"})
    cancel_reason = fields.String()
    report_id = fields.Function(lambda visit: visit.report.id if visit.report is not None else None,
                                metadata={"type": "integer", "nullable": True})


class EngagementSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer(allow_none=True)
    issue_id = fields.Integer()
    expert_id = fields.Integer()
    program_id = fields.Integer(allow_none=True)
    menu = fields.String(metadata=_enum(MENUS, "支援メニュー"))
    status = fields.String(metadata=_enum(ENGAGEMENT_STATUSES, "状態"))
    start_on = fields.Date()
    end_on = fields.Date()
    outcome = fields.String(allow_none=True, metadata=_enum(ENGAGEMENT_OUTCOMES, "成果（完了したとき）"))
    rating = fields.Integer(allow_none=True, metadata={"description": "市町村の評価（1〜5、完了したとき）"})
    town_comment = fields.String()
    cancel_reason = fields.String()
    meeting_url = fields.String()
    visits = fields.List(fields.Nested(VisitSchema), metadata={"description": "日時の早い順（中止も含む）"})


class EngagementListArgsSchema(StrictSchema):
    status = Text(metadata=_enum(ENGAGEMENT_STATUSES, "状態で絞り込む"))

    @validates_schema
    def _known_status(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "status" in data and data["status"] not in ENGAGEMENT_STATUSES:
            raise ValidationError({"status": [
                f"status は {', '.join(ENGAGEMENT_STATUSES)} のいずれかで指定してください。"]})


_MOVE_FIELDS = ("note", "duration_minutes", "meeting_url", "place")


def _present(*names: str) -> dict[str, Any]:
    return {"anyOf": [{"required": [name]} for name in names]}


class VisitPatchSchema(StrictSchema):
    """One change to a visit, in one of three forms:

    - confirm: `{"action": "confirm"}`: the caller's side agrees to the proposed time (both agreed = confirmed);
    - reschedule: `{"starts_at": "2026-06-10T14:00:00+09:00", "note": "..."}` (optionally duration_minutes,
      meeting_url, place): propose another time; the other side must confirm it again;
    - cancel: `{"status": "cancelled", "reason": "..."}`.
    """

    OPENAPI_RULES = (
        {"oneOf": [{"required": ["action"]}, {"required": ["starts_at"]}, {"required": ["status"]}],
         "description": "action（確認）、starts_at（日時の変更）、status（中止）のどれか1つを指定します"},
        {"anyOf": [{"not": {"required": ["status"]}},
                   {"required": ["reason"], "properties": {"reason": {"pattern": "\\S"}}}],
         "description": "中止（status=cancelled）には理由（reason、空白だけは不可）が必要です"},
        {"anyOf": [{"required": ["starts_at"]}, {"not": _present(*_MOVE_FIELDS)}],
         "description": "note・duration_minutes・meeting_url・place は日時の変更（starts_at）と一緒に指定します"},
        {"anyOf": [{"required": ["status"]}, {"not": {"required": ["reason"]}}],
         "description": "reason は中止（status=cancelled）と一緒に指定します"},
    )

    action = Text(metadata=_enum({"confirm": "日時を確認する"}, "操作"))
    starts_at = Moment(metadata={"description": "新しい開始日時（これから先の、役場の営業日。時差付き）"})
    note = Text(validate=text_length("メッセージ", maximum=1000), metadata={"description": "相手へのメッセージ"})
    duration_minutes = WholeNumber(validate=Range(min=15, max=600, error="所要時間は15から600分の間で指定してください。"),
                                   metadata={"description": "所要時間（分）。省略で今のまま"})
    meeting_url = Text(validate=text_length("会議のURL", maximum=300), metadata={"description": "オンラインの接続先（https://…）"})
    place = Text(validate=text_length("場所", maximum=200), metadata={"description": "現地訪問の場所"})
    status = Text(metadata=_enum({"cancelled": "中止する"}, "新しい状態"))
    reason = Text(validate=text_length("中止の理由", 1, 1000), metadata={"description": "中止の理由"})

    @validates_schema
    def _one_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [name for name in ("action", "starts_at", "status") if name in data]
        if len(given) != 1:
            raise ValidationError("action（確認）、starts_at（日時の変更）、status（中止）のどれか1つを指定してください。",
                                  "body")
        errors: dict[str, list[str]] = {}
        if "action" in data and data["action"] != "confirm":
            errors["action"] = ["action は confirm を指定してください。"]
        if "status" in data and data["status"] != "cancelled":
            errors["status"] = ["status は cancelled（中止）を指定してください。"]
        if "status" in data and "reason" not in data:
            errors["reason"] = ["中止の理由（reason）を指定してください。"]
        if "status" not in data and "reason" in data:
            errors["reason"] = ["reason は中止（status=cancelled）と一緒に指定してください。"]
        for name in _MOVE_FIELDS:
            if name in data and "starts_at" not in data:
                errors[name] = [f"{name} は日時の変更（starts_at）と一緒に指定してください。"]
        if errors:
            raise ValidationError(errors)


class ReportCreateSchema(StrictSchema):
    summary = Text(**required("実施内容", "summary"), validate=text_length("実施内容", 1, TEXT_MAX),
                   metadata={"description": f"実施内容（{TEXT_MAX}文字以内）"})
    decisions = Text(load_default="", validate=text_length("決まったこと", maximum=TEXT_MAX))
    next_actions = Text(load_default="", validate=text_length("次の作業", maximum=TEXT_MAX))
    hours = RealNumber(allow_none=True, load_default=None, validate=Range(
        min=0, min_inclusive=False, max=HOURS_MAX, error=HOURS_MESSAGE), metadata={
        "exclusiveMinimum": True, "description": f"かかった時間（0より大きく{HOURS_MAX}以下、例: 1.5）"})
    stage = Text(allow_none=True, load_default=None, metadata={
        "enum": [*STAGES, None], "nullable": True, "description": "今のDXの段階。省略・null で記録しない"})


def _not_blank(field: str, label: str) -> dict[str, Any]:
    """A rule for OPENAPI_RULES: the field holds more than white space (its own pattern is PLAIN_TEXT)."""
    return {"properties": {field: {"pattern": "\\S"}}, "description": f"{label}（{field}）は空白だけにはできません"}


class NotBlank(Validator):
    def __init__(self, label: str) -> None:
        self.error = f"{label}を入力してください。"

    def __call__(self, value: str) -> str:
        if not value.strip():
            raise ValidationError(self.error)
        return value


class EngagementCompleteSchema(StrictSchema):
    outcome = Text(**required("成果", "outcome"), metadata=_enum(ENGAGEMENT_OUTCOMES, "成果"))
    rating = WholeNumber(allow_none=True, load_default=None, validate=Range(
        min=1, max=5, error="評価は1から5の整数で指定してください。"), metadata={"description": "市町村の評価（1〜5）。省略可"})
    comment = Text(load_default="", validate=text_length("コメント", maximum=COMMENT_MAX),
                   metadata={"description": f"コメント（{COMMENT_MAX}文字以内）"})


class EngagementCancelSchema(StrictSchema):
    OPENAPI_RULES = (_not_blank("reason", "中止の理由"),)

    reason = Text(**required("中止の理由", "reason"),
                  validate=[text_length("中止の理由", 1, REASON_MAX), NotBlank("中止の理由")],
                  metadata={"description": f"中止の理由（{REASON_MAX}文字以内）"})


class ReportQuestionSchema(StrictSchema):
    OPENAPI_RULES = (_not_blank("question", "質問"),)

    question = Text(**required("質問", "question"), validate=[text_length("質問", 1, QUESTION_MAX), NotBlank("質問")],
                    metadata={"description": f"報告への質問（{QUESTION_MAX}文字以内）。外部人材は報告を更新して答えます"})


class ReportSchema(Schema):
    id = fields.Integer()
    visit_id = fields.Integer()
    summary = fields.String()
    decisions = fields.String()
    next_actions = fields.String()
    hours = fields.Float(allow_none=True)
    stage = fields.String(allow_none=True, metadata=_enum(STAGES, "DXの段階"))
    acknowledged_at = JapanTime(allow_none=True, metadata={"description": "市町村が確認した日時。未確認なら null"})
    question = fields.String(metadata={"description": "市町村からの質問（なければ空）"})
    created_at = JapanTime()

