"""Schemas of GET /api/v1/dashboard: the filters it reads and the figures it answers (web/services/progress)."""
from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf, Range, Regexp

from web.api.fields import Digits, QueryNumber, StrictSchema, Text
from web.api.schemas import MUNICIPALITY_CODE, PREFECTURE_CODE, TOWN_CODE
from web.codes import SECTORS

MONTH_PATTERN = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
MONTH = {"pattern": MONTH_PATTERN, "description": "訪問の件数・カレンダーと人材の稼働の月（YYYY-MM）。省略時は今月",
         "example": "2026-11"}


class DashboardArgsSchema(StrictSchema):
    prefecture_code = Text(validate=Digits(2, "都道府県コードは半角数字2桁で指定してください（例: 01）。"), metadata={
        **PREFECTURE_CODE, "description": "都道府県（省略時: コーディネーターは担当の都道府県、職員は自分の市町村の都道府県）"})
    fiscal_year = QueryNumber(validate=Range(
        min=2000, max=2100, error="fiscal_year は年度の始まる年を2000から2100までの整数で指定してください（例: 2026）。"),
        metadata={"description": "年度（4月〜翌年3月）の始まる年。省略時は今年度"})
    subprefecture = Text(validate=Length(max=20, error="subprefecture は20文字以内で指定してください。"),
                         metadata={"description": "振興局・地域（市町村の subprefecture）"})
    municipality_code = Text(validate=TOWN_CODE, metadata={**MUNICIPALITY_CODE, "description": "市町村で絞り込む"})
    sector = Text(validate=OneOf(list(SECTORS), error="sector は {choices} のいずれかで指定してください。"),
                  metadata={"enum": list(SECTORS), "description": "課題の分野"})
    program_id = QueryNumber(validate=Range(min=1, max=2147483647, error="program_id は1以上の整数で指定してください。"),
                             metadata={"description": "支援制度（存在しない支援制度は 404）"})
    month = Text(validate=Regexp(MONTH_PATTERN, error="month は 2026-04 のように「年-月」（2000年〜2100年）で指定してください。"),
                 metadata=MONTH)


class CountSchema(Schema):
    key = fields.String(metadata={"description": "コード"})
    label = fields.String(metadata={"description": "日本語の名前"})
    count = fields.Integer()


class DurationsSchema(Schema):
    count = fields.Integer(metadata={"description": "件数"})
    median = fields.Float(allow_none=True, metadata={"description": "中央値（件数0のとき null）"})
    p90 = fields.Float(allow_none=True, metadata={"description": "90パーセンタイル（最近順位法）"})
    unit = fields.String(metadata={"enum": ["days", "hours"]})


class PipelineSchema(Schema):
    issues_by_status = fields.List(fields.Nested(CountSchema), metadata={"description": "年度に公開された課題の状況"})
    issues_total = fields.Integer()
    to_first_request = fields.Nested(DurationsSchema, metadata={"description": "公開から最初の依頼まで（日）"})
    to_acceptance = fields.Nested(DurationsSchema, metadata={"description": "公開から最初の承諾まで（日）"})
    requests_by_status = fields.List(fields.Nested(CountSchema), metadata={"description": "年度に送った依頼の結果"})
    requests_sent = fields.Integer()
    declines_by_reason = fields.List(fields.Nested(CountSchema))
    declined = fields.Integer()
    expert_response = fields.Nested(DurationsSchema, metadata={"description": "人材が承諾・辞退するまで（時間）"})
    town_response = fields.Nested(DurationsSchema, metadata={"description": "市町村が報告を確認するまで（時間）"})


class EngagementCountsSchema(Schema):
    active = fields.Integer()
    completed = fields.Integer()
    cancelled = fields.Integer()
    by_status = fields.List(fields.Nested(CountSchema))
    by_outcome = fields.List(fields.Nested(CountSchema))


class ProgressSchema(Schema):
    engagement_id = fields.Integer()
    issue_id = fields.Integer()
    issue_title = fields.String()
    municipality_code = fields.String()
    municipality_name = fields.String()
    expert_name = fields.String()
    stage_at_start = fields.String()
    stage_now = fields.String(allow_none=True)
    start_on = fields.Date()
    end_on = fields.Date()
    visits_done = fields.Integer()
    visits_planned = fields.Integer()
    visits_overdue = fields.Integer()
    reports_missing = fields.Integer()
    oldest_missing_report = fields.Date(allow_none=True)
    last_contact = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": ["on_track", "attention", "stalled"]})
    status_label = fields.String()
    reasons = fields.List(fields.String())


class VisitCountsSchema(Schema):
    month = fields.Date(metadata={"description": "月の初日"})
    planned = fields.Integer(metadata={"description": "中止を除く訪問"})
    proposed = fields.Integer()
    confirmed = fields.Integer()
    done = fields.Integer()
    cancelled = fields.Integer()
    overdue = fields.Integer(metadata={"description": "予定日を1日以上過ぎて日程調整中・確定のまま"})
    moved = fields.Integer(metadata={"description": "日程を変更したことがある"})


class CalendarVisitSchema(Schema):
    visit_id = fields.Integer()
    engagement_id = fields.Integer()
    starts_at = fields.AwareDateTime()
    status = fields.String()
    mode = fields.String()
    municipality_name = fields.String()
    issue_title = fields.String()
    expert_name = fields.String()
    overdue = fields.Boolean()


class CapRowSchema(Schema):
    program_id = fields.Integer()
    program_name = fields.String()
    municipality_code = fields.String()
    municipality_name = fields.String()
    onsite_cap = fields.Integer(allow_none=True)
    onsite_used = fields.Integer()
    onsite_reserved = fields.Integer()
    onsite_remaining = fields.Integer(allow_none=True)
    online_cap_hours = fields.Float(allow_none=True)
    online_used_hours = fields.Float()
    online_reserved_hours = fields.Float()
    online_remaining_hours = fields.Float(allow_none=True)
    state = fields.String(metadata={"enum": ["ok", "near", "at"]})


class CapsSchema(Schema):
    rows = fields.List(fields.Nested(CapRowSchema))
    near_percent = fields.Integer()
    towns_near = fields.List(fields.String())
    towns_at = fields.List(fields.String())


class ExpertUseSchema(Schema):
    expert_id = fields.Integer()
    name = fields.String()
    booked = fields.Integer()
    capacity = fields.Integer()
    utilisation = fields.Float(allow_none=True)
    active_engagements = fields.Integer()
    last_confirmed = fields.Date()
    idle = fields.Boolean()
    stale = fields.Boolean()


class ExpertsSchema(Schema):
    month = fields.Date()
    rows = fields.List(fields.Nested(ExpertUseSchema))
    booked = fields.Integer()
    capacity = fields.Integer()
    utilisation = fields.Float(allow_none=True)
    idle = fields.Integer()
    stale = fields.Integer()
    stale_after_days = fields.Integer()


class FiltersSchema(Schema):
    prefecture_code = fields.String()
    fiscal_year = fields.Integer()
    subprefecture = fields.String(allow_none=True)
    municipality_code = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    program_id = fields.Integer(allow_none=True)


class WeakIssueSchema(Schema):
    issue_id = fields.Integer()
    title = fields.String()
    municipality_code = fields.String()
    municipality_name = fields.String()
    subprefecture = fields.String(allow_none=True)
    sector = fields.String()
    wanted_roles = fields.List(fields.String())
    best_score = fields.Float(allow_none=True, metadata={"description": "最も合う候補の適合度（0〜1、候補なしは null）"})
    best_expert_roles = fields.List(fields.String())


class SupplyGapsSchema(Schema):
    threshold = fields.Float(metadata={"description": "この適合度未満を「人材不足」とみなす（SUPPLY_GAP_SCORE）"})
    ranked = fields.Integer(metadata={"description": "候補を計算した、人材を探している課題の件数"})
    issues = fields.List(fields.Nested(WeakIssueSchema))
    by_role = fields.List(fields.Nested(CountSchema), metadata={"description": "不足している課題が求める役割別"})
    by_sector = fields.List(fields.Nested(CountSchema))
    by_subprefecture = fields.List(fields.Nested(CountSchema), metadata={"description": "振興局別（key が空: 振興局なし）"})


class JointCandidateSchema(Schema):
    issue_ids = fields.List(fields.Integer())
    titles = fields.List(fields.String())
    municipality_codes = fields.List(fields.String())
    municipality_names = fields.List(fields.String())
    score = fields.Float(metadata={"description": "課題どうしの類似度（0〜1）"})
    shared_terms = fields.List(fields.String())


class DashboardSchema(Schema):
    filters = fields.Nested(FiltersSchema)
    today = fields.Date()
    month = fields.Date()
    pipeline = fields.Nested(PipelineSchema)
    engagements = fields.Nested(EngagementCountsSchema)
    progress = fields.List(fields.Nested(ProgressSchema), metadata={"description": "支援中の案件ごとの進み具合"})
    progress_by_status = fields.List(fields.Nested(CountSchema))
    visit_counts = fields.Nested(VisitCountsSchema, attribute="visits_month.counts")
    calendar = fields.List(fields.Nested(CalendarVisitSchema), attribute="visits_month.visits", metadata={"description": "月の訪問（開始順）"})
    caps = fields.Nested(CapsSchema)
    experts = fields.Nested(ExpertsSchema)
    supply_gaps = fields.Nested(SupplyGapsSchema, allow_none=True, metadata={
        "description": "人材が不足している課題（マッチングの索引の準備中は null、理由は matching_notice）"})
    joint_candidates = fields.List(fields.Nested(JointCandidateSchema), metadata={
        "description": "連携できそうな課題の組み合わせ（マッチャーが検出、類似度の高い順）"})
    matching_notice = fields.String(allow_none=True)
