"""Tiny corpora written in the tests; the matcher tests never import web."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from matcher import ExpertRecord, IssueRecord, Matcher

SAPPORO = (43.0642, 141.3469)
KUSHIRO = (42.9849, 144.3820)
ASAHIKAWA = (43.7706, 142.3650)
TOKYO = (35.6895, 139.6917)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (spawns processes)")


@pytest.fixture
def make_expert() -> Callable[..., ExpertRecord]:
    def make(id: str = "e1", text: str = "RPAの導入支援", **fields: Any) -> ExpertRecord:
        return ExpertRecord(id, text, **fields)

    return make


@pytest.fixture
def make_issue() -> Callable[..., IssueRecord]:
    def make(id: str = "i1", text: str = "RPAで業務を効率化したい", **fields: Any) -> IssueRecord:
        return IssueRecord(id, text, **fields)

    return make


EXPERTS = [
    ExpertRecord(
        "drone",
        "ドローン（無人航空機）による農地の空撮と生育診断、スマート農業の導入支援。",
        roles=("engineer",),
        sectors=("agriculture",),
        modes=("online", "onsite"),
        prefecture="01",
        lat=ASAHIKAWA[0],
        lon=ASAHIKAWA[1],
        travel_range="prefecture",
        monthly_capacity=2,
    ),
    ExpertRecord(
        "rpa",
        "RPAとAI-OCRで税務課の入力作業を自動化。業務効率化とBPRの経験。",
        roles=("engineer", "service_designer"),
        sectors=("business_process",),
        modes=("online",),
        prefecture="13",
        lat=TOKYO[0],
        lon=TOKYO[1],
        travel_range="none",
        monthly_capacity=3,
    ),
    ExpertRecord(
        "pm",
        "自治体DX推進計画の策定とプロジェクト管理。調達仕様書の作成支援。",
        roles=("producer", "project_manager"),
        sectors=("org_strategy",),
        modes=("hybrid",),
        prefecture="01",
        lat=SAPPORO[0],
        lon=SAPPORO[1],
        travel_range="prefecture",
        monthly_capacity=1,
    ),
    ExpertRecord(
        "fish",
        "漁業の水揚げデータを可視化し、漁協の業務をデジタル化しました。",
        roles=("engineer",),
        sectors=("fishery",),
        modes=("online", "onsite", "hybrid"),
        prefecture="01",
        lat=KUSHIRO[0],
        lon=KUSHIRO[1],
        travel_range="regional",
        monthly_capacity=0,
    ),
]
ISSUES = [
    IssueRecord(
        "farm",
        "UAVを使った圃場の生育状況の把握をしたい。スマート農業を進めたい。",
        sector="agriculture",
        wanted_roles=("engineer",),
        stage="development",
        mode="hybrid",
        prefecture="01",
        lat=SAPPORO[0],
        lon=SAPPORO[1],
        municipality="札幌市",
    ),
    IssueRecord(
        "ocr",
        "紙の申請書の入力をソフトウェアロボットとAI文字認識で自動化したい。",
        sector="business_process",
        wanted_roles=("engineer",),
        stage="development",
        mode="online",
        prefecture="13",
        municipality="新宿区",
    ),
    IssueRecord(
        "plan",
        "DX推進計画をつくりたいが、庁内の体制づくりから相談したい。",
        sector="org_strategy",
        wanted_roles=("producer",),
        stage="issue_definition",
        mode="onsite",
        prefecture="01",
        lat=KUSHIRO[0],
        lon=KUSHIRO[1],
        municipality="釧路市",
    ),
    IssueRecord(
        "sea",
        "水産業の水揚げデータをデジタル化したい。",
        sector="fishery",
        mode="onsite",
        prefecture="01",
        lat=KUSHIRO[0],
        lon=KUSHIRO[1],
        municipality="釧路市",
    ),
]


@pytest.fixture(scope="session")
def fitted() -> Matcher:
    """A matcher fitted once per session on the tiny corpus (tests must not modify it)."""
    return Matcher().fit(EXPERTS, ISSUES)


@pytest.fixture
def fresh() -> Matcher:
    """A matcher a test may modify."""
    return Matcher().fit(EXPERTS, ISSUES)
