"""Request and response schemas of the API (they generate the OpenAPI document).

Codes are documented as enums/patterns but checked by the services, so every refusal of a value comes with
the same Japanese message the web forms show.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from apispec import BasePlugin
from marshmallow import Schema, fields
from marshmallow.validate import OneOf, Range

from web.api.fields import (
    TAG_TEXT,
    Digits,
    Flag,
    Items,
    Object,
    QueryNumber,
    RealNumber,
    Secret,
    SortedList,
    StrictSchema,
    TagText,
    Text,
    WholeNumber,
    item_count,
    required,
    text_length,
)
from web.codes import ISSUE_STATUSES, MENUS, MODES, ROLES, SECTORS, STAGES, TRAVEL_RANGES
from web.models import ExpertProfile
from web.services.issue_intake import (
    BODY_MAX,
    BODY_MIN,
    CANVAS_MAX,
    MAX_CO_OWNERS,
    SHORT_MAX,
    TITLE_MAX,
    TITLE_MIN,
)

MUNICIPALITY_CODE = {"pattern": "^[0-9]{6}$", "description": "全国地方公共団体コード（6桁）", "example": "012106"}
PREFECTURE_CODE = {"pattern": "^[0-9]{2}$", "description": "都道府県コード（JIS X 0401、2桁）", "example": "01"}
# What the request schemas check themselves, so the document states it (the services check it again).
TOWN_CODE = Digits(6, "団体コードは半角数字6桁で指定してください（例: 012106）。")
TITLE = text_length("課題名", TITLE_MIN, TITLE_MAX)
BODY = text_length("現状と困っていること", BODY_MIN, BODY_MAX)
WANTED_ROLES = item_count("求める人材の役割", minimum=1)


def _enum(codes: Any, description: str) -> dict[str, Any]:
    return {"enum": list(codes), "description": description}


_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}
_NULL_ONLY = {"nullable": True, "enum": [None]}


def _null_only(self: Any, field: fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A nullable object field is its schema or null (apispec writes "its schema or any object" for OpenAPI 3.0)."""
    branches = ret.get("anyOf")
    if not branches or _ANY_OBJECT_OR_NULL not in branches:
        return {}
    return {"anyOf": [_NULL_ONLY if branch == _ANY_OBJECT_OR_NULL else branch for branch in branches]}


class DocumentRules(BasePlugin):
    """An apispec plugin so the document says what the API enforces.

    A request schema's OPENAPI_RULES (rules between fields) become the allOf of its component, and a nullable
    object field admits its schema or null only.
    """

    def init_spec(self, spec: Any) -> None:
        for plugin in spec.plugins:
            converter = getattr(plugin, "converter", None)
            if converter is not None:
                converter.add_attribute_function(_null_only)

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        rules = getattr(schema if isinstance(schema, type) else type(schema), "OPENAPI_RULES", None)
        return {"allOf": [dict(rule) for rule in rules]} if rules else None


# ---------------------------------------------------------------- errors and auth


class ProblemSchema(Schema):
    """RFC 9457 problem details (documentation only: errors.problem() writes them)."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"description": "問題の種類（日本語）"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "この発生についての説明と直し方（日本語）"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "入力エラー（422のみ）: 項目名 → メッセージの一覧"})
    rule = fields.String(metadata={"description": "409のとき、守られなかった規則の名前（例: program_cap, expert_capacity, "
                                                  "expert_overlap, already_answered）"})


class TokenRequestSchema(StrictSchema):
    email = Text(**required("メールアドレス", "email"), metadata={"example": "taro@example.jp"})
    password = Secret(**required("パスワード", "password"), load_only=True)


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "Authorization: Bearer で送る秘密の値（一度だけ表示）"})
    expires_at = fields.DateTime(format="iso")


# ---------------------------------------------------------------- issues


class IssueSchema(Schema):
    """An issue as the API shows it; lists are sorted."""

    id = fields.Integer()
    municipality_code = fields.String(metadata=MUNICIPALITY_CODE)
    co_municipality_codes = SortedList(fields.String(metadata=MUNICIPALITY_CODE))
    title = fields.String()
    body = fields.String()
    goal = fields.String()
    constraints = fields.String()
    budget_deadline = fields.String(metadata={"description": "予算（自由記述。項目名は互換のため budget_deadline のまま）"})
    deadline = fields.Date(allow_none=True, metadata={"description": "期限（西暦の年-月-日）。なければ null"})
    counterpart = fields.String()
    sector = fields.String(metadata=_enum(SECTORS, "分野"))
    stage = fields.String(metadata=_enum(STAGES, "DXの段階"))
    wanted_roles = SortedList(fields.String(metadata=_enum(ROLES, "求める人材の役割")))
    menu = fields.String(metadata=_enum(MENUS, "支援メニュー"))
    mode = fields.String(metadata=_enum(MODES, "支援の形態"))
    months = fields.Integer(metadata={"minimum": 1, "maximum": 12})
    status = fields.String(metadata=_enum(ISSUE_STATUSES, "状態（読み取り専用: 公開は POST .../publish）"))


class IssuePatchSchema(StrictSchema):
    """The editable fields of an issue; in PATCH every field is optional and the rest stays as it is."""

    title = Text(validate=TITLE, metadata={"description": "課題名（前後の空白を除いて5〜80文字、HTMLタグ不可）"})
    body = Text(validate=BODY, metadata={"description": "現状と困っていること（前後の空白を除いて20〜4000文字）"})
    goal = Text(validate=text_length("目指す姿", maximum=CANVAS_MAX), metadata={"description": "目指す姿"})
    constraints = Text(validate=text_length("制約・前提", maximum=CANVAS_MAX), metadata={"description": "制約・前提"})
    budget_deadline = Text(validate=text_length("予算", maximum=SHORT_MAX),
                           metadata={"description": "予算（自由記述）。期限は deadline で指定します"})
    deadline = Text(allow_none=True, metadata={
        "format": "date", "example": "2027-03-31",
        "description": "期限（西暦の年-月-日、例: 2027-03-31）。今日から10年以内の実在する日付。null または空文字で期限なし。"
                       "すでに過ぎた期限は、保存済みの値のままなら残せます"})
    counterpart = Text(validate=text_length("庁内の担当", maximum=SHORT_MAX), metadata={"description": "庁内の担当"})
    sector = Text(metadata=_enum(SECTORS, "分野"))
    stage = Text(metadata=_enum(STAGES, "DXの段階"))
    wanted_roles = Items(Text(metadata=_enum(ROLES, "役割")), validate=WANTED_ROLES,
                         metadata={"description": "求める人材の役割（1つ以上）"})
    menu = Text(metadata=_enum(MENUS, "支援メニュー（spot は months=1）"))
    mode = Text(metadata=_enum(MODES, "支援の形態"))
    months = WholeNumber(metadata={"minimum": 1, "maximum": 12, "description": "支援期間（月数）。JSONの整数のみ"})
    co_municipality_codes = Items(Text(validate=TOWN_CODE, metadata={**MUNICIPALITY_CODE, "example": "012068"}),
                                  validate=item_count("共同で取り組む市町村", maximum=MAX_CO_OWNERS),
                                  metadata={"description": "共同で取り組む同じ都道府県の市町村（joint では必須）"})


class IssueCreateSchema(IssuePatchSchema):
    """A new issue (created as a draft; publish it with POST /issues/{id}/publish)."""

    #: The rules between fields, in the document as allOf (see DocumentRules); the service checks them.
    OPENAPI_RULES = (
        {"anyOf": [{"properties": {"menu": {"not": {"enum": ["spot"]}}}},
                   {"required": ["months"], "properties": {"months": {"enum": [1]}}}],
         "description": "スポット相談（menu=spot）の支援期間は1か月です（months=1）"},
        {"anyOf": [{"properties": {"menu": {"not": {"enum": ["joint"]}}}},
                   {"required": ["co_municipality_codes"], "properties": {"co_municipality_codes": {"minItems": 1}}}],
         "description": "連携プロジェクト（menu=joint）では共同で取り組む市町村を1つ以上指定します"},
    )

    title = Text(**required("課題名", "title"), validate=TITLE,
                 metadata={"description": "課題名（前後の空白を除いて5〜80文字、HTMLタグ不可）"})
    body = Text(**required("現状と困っていること", "body"), validate=BODY,
                metadata={"description": "前後の空白を除いて20〜4000文字"})
    sector = Text(**required("分野", "sector"), metadata=_enum(SECTORS, "分野"))
    stage = Text(**required("DXの段階", "stage"), metadata=_enum(STAGES, "DXの段階"))
    wanted_roles = Items(Text(metadata=_enum(ROLES, "役割")), **required("求める人材の役割", "wanted_roles"),
                         validate=WANTED_ROLES)
    municipality_code = Text(validate=TOWN_CODE, metadata={
        **MUNICIPALITY_CODE,
        "description": "課題を出す市町村。職員は省略可（自分の市町村のみ）、コーディネーターは必須（都道府県内の市町村）",
    })


class IssueListArgsSchema(StrictSchema):
    # Bounded so the SQL OFFSET stays a valid 32-bit integer on every database.
    page = QueryNumber(load_default=1, validate=Range(
        min=1, max=100_000, error="page は1から100000までの整数で指定してください。"))
    per_page = QueryNumber(load_default=20, validate=Range(
        min=1, max=100, error="per_page は1から100までの整数で指定してください。"))
    status = Text(validate=OneOf(list(ISSUE_STATUSES), error="status は {choices} のいずれかで指定してください。"))


class IssuePageSchema(Schema):
    items = fields.List(fields.Nested(IssueSchema), metadata={"description": "新しい順"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "条件に合う課題の総数"})


# ---------------------------------------------------------------- matching


class LimitArgsSchema(StrictSchema):
    limit = QueryNumber(load_default=10, validate=Range(
        min=1, max=50, error="limit は1から50までの整数で指定してください。"))


class CandidateSchema(Schema):
    expert_id = fields.Integer(attribute="expert.id")
    score = fields.Float(metadata={"minimum": 0})
    parts = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "スコアの内訳"})
    reasons = fields.List(fields.String(), metadata={"description": "おすすめの理由（日本語）"})


class ExclusionSchema(Schema):
    """A coordinator's exclusion of an expert for this issue; the reason is shown to the town."""

    expert_id = fields.Integer()
    reason = fields.String(metadata={"description": "除外の理由（コーディネーターの記入）"})
    excluded_at = fields.DateTime(attribute="created_at", format="iso")


class CandidateListSchema(Schema):
    issue_id = fields.Integer()
    candidates = fields.List(fields.Nested(CandidateSchema),
                             metadata={"description": "ピン留めした候補が先、その後はスコアの高い順"})
    excluded = fields.List(fields.Nested(ExclusionSchema), metadata={
        "description": "コーディネーターがこの課題の候補から除外した人材と理由（candidates には含まれません）、新しい順"})


class RecommendedIssueSchema(Schema):
    issue_id = fields.Integer(attribute="issue.id")
    title = fields.String(attribute="issue.title")
    score = fields.Float(metadata={"minimum": 0})
    parts = fields.Dict(keys=fields.String(), values=fields.Float())
    reasons = fields.List(fields.String())


class RecommendationListSchema(Schema):
    expert_id = fields.Integer()
    issues = fields.List(fields.Nested(RecommendedIssueSchema), metadata={"description": "スコアの高い順"})


# ---------------------------------------------------------------- experts


class ExpertView(NamedTuple):
    """A profile as one viewer sees it: `contact` is None unless can_see_contact allows it."""

    profile: ExpertProfile
    contact: dict[str, str | None] | None


class ContactSchema(Schema):
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ExpertSchema(Schema):
    """An expert profile; contact is null unless the expert consented or an engagement allows it."""

    id = fields.Integer()
    display_name = fields.String()
    roles = SortedList(fields.String(metadata=_enum(ROLES, "役割")))
    skills = fields.List(fields.String(), metadata={"description": "登録順"})
    sectors = SortedList(fields.String(metadata=_enum(SECTORS, "分野")))
    bio = fields.String()
    prefecture_code = fields.String(metadata=PREFECTURE_CODE)
    home_label = fields.String(metadata={"description": "活動拠点（市区町村）"})
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    travel_range = fields.String(metadata=_enum(TRAVEL_RANGES, "出張できる範囲"))
    modes = SortedList(fields.String(metadata=_enum(MODES, "対応できる形態")))
    monthly_capacity = fields.Integer()
    certifications = fields.List(fields.String(), metadata={"description": "登録順"})
    contact = fields.Nested(ContactSchema, allow_none=True)

    def get_attribute(self, obj: ExpertView, attr: str, default: Any) -> Any:
        if attr == "contact":
            return obj.contact
        return super().get_attribute(obj.profile, attr, default)


class OwnExpertSchema(ExpertSchema):
    """The expert's own profile, with their consent to show contact details."""

    contact_consent = fields.Boolean()


class ContactInputSchema(StrictSchema):
    email = Text(allow_none=True, metadata={"example": "taro@example.jp"})
    phone = Text(allow_none=True, metadata={"example": "011-123-4567"})


_COORDINATE = "。lat と lon は組で指定します。省略または null のときは、活動拠点が変わらなければ今の値を保ち、変われば市区町村（分からなければ都道府県庁）の位置になります"


class ExpertPutSchema(StrictSchema):
    """The whole own profile (PUT replaces it; omitted optional lists become empty).

    The body of GET /experts/me can be sent back as it is: `id` is read-only and ignored, `contact_consent`
    is the expert's own choice (changing it is recorded with time and notice version).
    """

    OPENAPI_RULES = (
        {"anyOf": [{"properties": {"travel_range": {"not": {"enum": ["none"]}}}},
                   {"properties": {"modes": {"items": {"enum": ["online"]}}}}],
         "description": "出張できる範囲が「出張不可」（travel_range=none）なら、対応できる形態は online のみです"},
        {"anyOf": [{"required": ["lat", "lon"],
                    "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
                   {"not": {"anyOf": [{"required": ["lat"], "properties": {"lat": {"type": "number"}}},
                                      {"required": ["lon"], "properties": {"lon": {"type": "number"}}}]}}],
         "description": "緯度（lat）と経度（lon）は両方指定するか、両方省略（または null）してください"},
        {"anyOf": [{"properties": {"contact_consent": {"enum": [False]}}},
                   {"required": ["contact"], "properties": {"contact": {"anyOf": [
                       {"required": ["email"], "properties": {"email": {"type": "string", "minLength": 1}}},
                       {"required": ["phone"], "properties": {"phone": {"type": "string", "minLength": 1}}}]}}}],
         "description": "連絡先の公開に同意する（contact_consent=true）なら、contact にメールアドレスか電話番号を入れてください"},
    )

    id = WholeNumber(allow_none=True, load_default=None, metadata={
        "readOnly": True, "description": "読み取り専用。送っても無視されます（GET の結果をそのまま PUT できるように受け付けます）"})
    display_name = Text(**required("表示名", "display_name"), validate=text_length("表示名", 1, 60),
                        metadata={"description": "60文字以内"})
    roles = Items(Text(metadata=_enum(ROLES, "役割")), **required("役割", "roles"),
                  validate=item_count("役割（人材類型）", minimum=1))
    sectors = Items(Text(metadata=_enum(SECTORS, "分野")), **required("得意な分野", "sectors"),
                    validate=item_count("得意な分野", minimum=1))
    modes = Items(Text(metadata=_enum(MODES, "形態")), **required("対応できる形態", "modes"),
                  validate=item_count("対応できる形態", minimum=1))
    bio = Text(**required("自己紹介・経歴", "bio"), validate=text_length("自己紹介・経歴", 30, 3000),
               metadata={"description": "前後の空白を除いて30〜3000文字"})
    prefecture_code = Text(**required("活動拠点の都道府県", "prefecture_code"), metadata={
        **PREFECTURE_CODE, "enum": [f"{n:02d}" for n in range(1, 48)]})
    home_label = Text(allow_none=True, load_default=None, validate=text_length("活動拠点（市区町村）", maximum=60), metadata={
        "description": "活動拠点（市区町村、60文字以内）。省略・null・空文字のときは、lat/lon に最も近い都道府県内の市区町村名"
                       "（lat/lon もなければ都道府県名）になります"})
    lat = RealNumber(allow_none=True, load_default=None, metadata={
        "minimum": 20, "maximum": 46, "description": "活動拠点の緯度（世界測地系、度。日本国内）" + _COORDINATE})
    lon = RealNumber(allow_none=True, load_default=None, metadata={
        "minimum": 122, "maximum": 154, "description": "活動拠点の経度（世界測地系、度。日本国内）" + _COORDINATE})
    travel_range = Text(**required("出張できる範囲", "travel_range"), metadata=_enum(TRAVEL_RANGES, "出張できる範囲"))
    monthly_capacity = WholeNumber(load_default=1, metadata={"minimum": 0, "maximum": 10})
    skills = Items(Text(validate=[TagText(), text_length("スキル", maximum=40)], metadata={"pattern": TAG_TEXT}), load_default=list,
                   validate=item_count("スキル", maximum=20), metadata={"description": "20件まで、各40文字以内"})
    certifications = Items(Text(validate=[TagText(), text_length("資格", maximum=40)], metadata={"pattern": TAG_TEXT}),
                           load_default=list, validate=item_count("資格", maximum=10),
                           metadata={"description": "10件まで、各40文字以内"})
    contact = Object(ContactInputSchema, allow_none=True, load_default=None)
    contact_consent = Flag(load_default=False, metadata={"description": "連絡先を市町村職員に公開することに同意する"})
    current_password = Secret(
        load_only=True, load_default=None, label="現在のパスワード",
        metadata={"description": "現在のパスワード。連絡先（contact のメールアドレス・電話番号）を変更するときは必須"},
    )


# ---------------------------------------------------------------- support programs and the cap ledger

class ProgramSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    onsite_visits_cap = fields.Integer(attribute="max_onsite_visits_per_fy", allow_none=True, metadata={
        "description": "年度あたりの現地訪問の上限回数（市町村ごと）。null は上限なし"})
    online_hours_cap = fields.Float(attribute="max_online_hours_per_fy", allow_none=True, metadata={
        "description": "年度あたりのオンライン支援の上限時間（市町村ごと）。null は上限なし"})
    max_months = fields.Integer(allow_none=True, metadata={"description": "支援できる最長の月数。null は定めなし"})
    visits_per_month = fields.Integer(allow_none=True, metadata={"description": "1か月あたりの訪問回数。null は定めなし"})
    active = fields.Boolean()


class UsageArgsSchema(StrictSchema):
    municipality_code = Text(**required("市町村", "municipality_code"), validate=TOWN_CODE, metadata={
        **MUNICIPALITY_CODE, "description": "市町村（職員は自分の市町村、コーディネーターは都道府県内の市町村）"})
    fiscal_year = QueryNumber(**required("年度", "fiscal_year"), validate=Range(
        min=2000, max=2100, error="fiscal_year は年度の始まる年を2000から2100までの整数で指定してください（例: 2026）。"),
        metadata={"description": "年度（4月〜翌年3月）の始まる年。例: 2026 は令和8年度"})


class VisitCountSchema(Schema):
    allowed = fields.Integer(allow_none=True, metadata={"description": "上限回数。null は上限なし"})
    used = fields.Integer(metadata={"description": "実施済み（報告済み）の回数"})
    reserved = fields.Integer(metadata={"description": "予定（承諾済みで未報告）の回数"})
    remaining = fields.Integer(allow_none=True, metadata={"description": "残り回数。null は上限なし"})


class HourCountSchema(Schema):
    allowed = fields.Float(allow_none=True, metadata={"description": "上限時間。null は上限なし"})
    used = fields.Float(metadata={"description": "実施済み（報告済み）の時間"})
    reserved = fields.Float(metadata={"description": "予定（承諾済みで未報告）の時間"})
    remaining = fields.Float(allow_none=True, metadata={"description": "残り時間。null は上限なし"})


class UsageSchema(Schema):
    program_id = fields.Integer()
    municipality_code = fields.String()
    fiscal_year = fields.Integer()
    fiscal_year_label = fields.String(metadata={"example": "令和8年度（2026年度）"})
    onsite_visits = fields.Nested(VisitCountSchema)
    online_hours = fields.Nested(HourCountSchema, metadata={"description": "時間（分単位で記録し、時間に換算）"})
