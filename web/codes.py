"""The product's controlled vocabularies: stable codes (stored, used by the API) and Japanese labels (shown)."""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping


def _frozen(pairs: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(pairs)


SECTORS = _frozen({
    "agriculture": "農業",
    "fishery": "水産業・漁業",
    "tourism": "観光",
    "resident_services": "住民サービス",
    "business_process": "業務プロセス（庁内業務）",
    "disaster": "防災",
    "healthcare": "医療・福祉",
    "education": "教育",
    "transport": "交通",
    "data_utilization": "データ利活用",
    "security": "情報セキュリティ",
    "org_strategy": "組織・DX戦略",
    "system_standardization": "システム標準化",
    "community": "地域コミュニティ",
    "wildlife": "鳥獣対策",
    "other": "その他",
})

ROLES = _frozen({
    "producer": "プロデューサー",
    "project_manager": "プロジェクトマネージャー",
    "service_designer": "サービスデザイナー",
    "engineer": "エンジニア",
})

# MIC 自治体DX推進のための外部人材スキル標準 (2022): the mission of each role type.
ROLE_DEFINITIONS = _frozen({
    "producer": "全庁的なデジタル変革を主導する（CIO補佐官等）。国の政策動向を踏まえた全体戦略・計画づくり。",
    "project_manager": "各プロジェクトを企画・推進する。計画立案、スケジュール・コスト管理、調達。",
    "service_designer": "サービスと業務プロセスを設計する。業務改革（BPR）、サービスデザイン、UI/UX、アクセシビリティ。",
    "engineer": "テクノロジーを実装する。RPA、ローコード/ノーコード、クラウド、データ、ネットワーク、セキュリティ。",
})

STAGES = _frozen({
    "issue_definition": "i 課題特定",
    "business_model": "ii ビジネスモデル企画",
    "product_planning": "iii プロダクト企画",
    "development": "iv 開発",
    "operation": "v 運用・メンテナンス",
    "ux_operation": "vi UXオペレーション",
    "use": "vii 利用",
})

MENUS = _frozen({
    "spot": "スポット相談（オンライン1〜2時間）",
    "accompaniment": "伴走支援（月1回程度）",
    "joint": "複数市町村の連携プロジェクト",
})

MODES = _frozen({
    "online": "オンライン",
    "onsite": "現地訪問",
    "hybrid": "ハイブリッド（オンライン＋現地）",
})

TRAVEL_RANGES = _frozen({
    "nationwide": "全国に出張可",
    "regional": "同じ地方内に出張可",
    "prefecture": "居住する都道府県内に出張可",
    "none": "出張不可（オンラインのみ）",
})

ISSUE_STATUSES = _frozen({
    "draft": "下書き",
    "open": "公開中",
    "matching": "マッチング中",
    "engaged": "支援中",
    "closed": "完了",
    "withdrawn": "取り下げ",
})

USER_ROLES = _frozen({
    "officer": "市町村DX担当職員",
    "expert": "外部デジタル人材",
    "coordinator": "都道府県コーディネーター",
    "admin": "管理者",
})

REQUEST_STATUSES = _frozen({
    "pending": "回答待ち",
    "accepted": "承諾",
    "declined": "辞退",
    "expired": "期限切れ",
    "withdrawn": "取り下げ",
})

ENGAGEMENT_STATUSES = _frozen({
    "active": "支援中",
    "completed": "完了",
    "cancelled": "中止",
})

VISIT_MODES = _frozen({"online": "オンライン", "onsite": "現地訪問"})

# Why an expert declines a request; "outside_field" excludes the pair from future candidate lists and
# "no_capacity" suggests lowering the monthly capacity (web/services/booking/requests.py).
DECLINE_REASONS = _frozen({
    "no_capacity": "この期間は対応できる余裕がない",
    "outside_field": "専門分野の外である",
    "schedule": "日程が合わない",
    "other": "その他",
})

ENGAGEMENT_OUTCOMES = _frozen({
    "solved": "解決した",
    "partly": "一部解決した",
    "not_solved": "解決しなかった",
})

# Weekdays as datetime.date.weekday() numbers.
WEEKDAYS = _frozen({"0": "月", "1": "火", "2": "水", "3": "木", "4": "金"})

# Which side of an engagement acted (proposed a time, confirmed, cancelled).
SIDES = _frozen({"town": "市町村", "expert": "外部デジタル人材", "system": "自動提案"})

VISIT_STATUSES = _frozen({
    "proposed": "日程調整中",
    "confirmed": "確定",
    "done": "実施済み",
    "cancelled": "中止",
})

# The skill vocabulary of the Hokkaido skill map (DOMAIN.md); experts may add free tags too.
SKILLS: tuple[str, ...] = (
    "データ分析", "データクレンジング", "データの可視化", "データモデリング", "データ予測", "AIの活用",
    "ローコード/ノーコード開発", "UI/UX", "アクセシビリティ対応", "リスクアセスメント",
    "業務フロー構築・改善 (BPR)", "要件定義・設計", "開発", "運用・保守", "セキュリティ管理", "システム監査",
    "テスト・PoC", "クラウドサービス (SaaS)", "ファシリテーション", "デザイン思考",
)

# The named parts of a match score (matcher parts), as shown in the UI.
SCORE_PARTS = _frozen({
    "text": "内容の一致",
    "role": "役割",
    "sector": "分野",
    "mode": "支援の形態",
    "travel": "移動・距離",
    "capacity": "今月の空き",
})
