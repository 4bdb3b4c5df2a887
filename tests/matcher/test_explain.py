from __future__ import annotations

from matcher import Matcher

from .conftest import EXPERTS


def _reasons(fitted: Matcher, issue: str, expert: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    candidate = next(c for c in fitted.rank_experts(issue) if c.id == expert)
    return candidate.reasons, candidate.unmet


def test_synonym_pairs_are_shown_with_an_approx_sign(fitted: Matcher) -> None:
    reasons, _ = _reasons(fitted, "farm", "drone")
    assert "UAV ≈ ドローン" in reasons[0] or "UAV ≈ 無人航空機" in reasons[0]


def test_reasons_name_the_matched_role_with_its_mic_definition(fitted: Matcher) -> None:
    reasons, _ = _reasons(fitted, "farm", "drone")
    assert "役割: エンジニア（テクノロジーの実装）" in reasons
    assert "分野: 農業" in reasons


def test_reasons_show_mode_travel_and_remaining_slots(fitted: Matcher) -> None:
    reasons, _ = _reasons(fitted, "farm", "drone")
    assert "形態: ハイブリッド対応" in reasons
    assert "今月の残り枠: 2回" in reasons
    assert any(r.startswith("移動: 約") and r.endswith("（道内出張可）") for r in reasons)


def test_unmet_wanted_role_is_reported_in_japanese(fitted: Matcher) -> None:
    _, unmet = _reasons(fitted, "plan", "drone")
    assert "希望の役割（プロデューサー）ではありません" in unmet


def test_compound_and_its_subwords_make_one_reason() -> None:
    matcher = Matcher().fit(EXPERTS)
    from matcher import IssueRecord

    candidate = matcher.rank_experts(IssueRecord("q", "業務効率化を進めたい"))[0]
    labels = [t.label for t in candidate.shared_terms]
    assert labels.count("業務効率化") == 1 and "効率" not in labels


def test_shared_terms_are_sorted_by_weight(fitted: Matcher) -> None:
    terms = fitted.rank_experts("farm")[0].shared_terms
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
