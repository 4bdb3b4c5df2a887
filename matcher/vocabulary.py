"""Domain code lists with their Japanese labels (DOMAIN.md) and the MIC role definitions.

Codes are stable identifiers shared with the web layer; labels are what the UI shows. The order of each
mapping fixes the bit used for the code in the index's bitmasks, so only append new codes at the end.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from .exceptions import UnknownCodeError

SECTORS: Mapping[str, str] = {
    "agriculture": "農業",
    "fishery": "水産業",
    "tourism": "観光",
    "resident_services": "住民サービス",
    "business_process": "業務プロセス",
    "disaster": "防災",
    "healthcare": "医療・福祉",
    "education": "教育",
    "transport": "交通",
    "data_utilization": "データ利活用",
    "security": "セキュリティ",
    "org_strategy": "組織・戦略",
    "system_standardization": "システム標準化",
    "community": "地域コミュニティ",
    "wildlife": "鳥獣対策",
    "other": "その他",
}

ROLES: Mapping[str, str] = {
    "producer": "プロデューサー",
    "project_manager": "プロジェクトマネージャー",
    "service_designer": "サービスデザイナー",
    "engineer": "エンジニア",
}

#: Missions of the four role types of the MIC external-talent skill standard (MATCHING.md §6).
ROLE_DEFINITIONS: Mapping[str, str] = {
    "producer": "全庁的なデジタル変革を主導",
    "project_manager": "各プロジェクトの企画・推進",
    "service_designer": "サービス・業務の設計",
    "engineer": "テクノロジーの実装",
}

#: The DX process stages i..vii of DOMAIN.md.
STAGES: Mapping[str, str] = {
    "issue_definition": "課題特定",
    "business_model": "ビジネスモデル企画",
    "product_planning": "プロダクト企画",
    "development": "開発",
    "operation": "運用・メンテナンス",
    "ux_operation": "UXオペレーション",
    "use": "利用",
}

MODES: Mapping[str, str] = {
    "online": "オンライン",
    "onsite": "現地",
    "hybrid": "ハイブリッド",
}

TRAVEL_RANGES: Mapping[str, str] = {
    "nationwide": "全国",
    "regional": "地方内",
    "prefecture": "都道府県内",
    "none": "出張なし",
}


def check_code(field: str, value: str, allowed: Mapping[str, str]) -> str:
    """Return ``value`` if it is a known code, else raise :class:`UnknownCodeError`."""
    if value not in allowed:
        raise UnknownCodeError(field, value, tuple(allowed))
    return value


def check_codes(field: str, values: Iterable[str], allowed: Mapping[str, str]) -> tuple[str, ...]:
    """Validate several codes, dropping duplicates but keeping the first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        seen[check_code(field, value, allowed)] = None
    return tuple(seen)


@functools.lru_cache(maxsize=16)
def _bits(codes: tuple[str, ...]) -> dict[str, int]:
    return {code: 1 << i for i, code in enumerate(codes)}


def bitmask(values: Iterable[str], allowed: Mapping[str, str]) -> int:
    """Encode known codes as a bitmask, one bit per code in the order of ``allowed``."""
    bits = _bits(tuple(allowed))
    mask = 0
    for value in values:
        mask |= bits[value]
    return mask


def codes_of(mask: int, allowed: Mapping[str, str]) -> tuple[str, ...]:
    """Decode a bitmask produced by :func:`bitmask`."""
    return tuple(code for bit, code in enumerate(allowed) if mask >> bit & 1)


def label(code: str, allowed: Mapping[str, str]) -> str:
    """Return the Japanese label of a code (the code itself when unknown)."""
    return allowed.get(code, code)
