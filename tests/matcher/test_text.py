from __future__ import annotations

import pytest

from matcher.synonyms import domain_synonyms
from matcher.text import analyze, display, group_of


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("ＤＸの推進", "DXの推進"),
        ("サーバの構築", "サーバーの構築"),
        ("ＲＰＡ", "RPA"),
        ("ｺﾝﾋﾟｭｰﾀｰ", "コンピュータ"),
    ],
)
def test_width_case_and_long_vowel_variants_give_the_same_tokens(left: str, right: str) -> None:
    assert analyze(left) == analyze(right)


@pytest.mark.parametrize("variant", ["UAV", "マルチコプター", "無人航空機", "ドローン"])
def test_drone_variants_share_the_domain_synonym_token(variant: str) -> None:
    assert "syn:drone" in analyze(f"{variant}で空撮する")


def test_sudachi_synonym_group_links_dx_and_its_long_form() -> None:
    assert set(analyze("DX")) & set(analyze("デジタルトランスフォーメーション"))


def test_phrase_level_synonym_maps_nogyo_dx_to_smart_agriculture() -> None:
    assert "syn:smart_agriculture" in analyze("農業DXを進める")
    assert "syn:smart_agriculture" in analyze("スマート農業を進める")


def test_fishery_and_suisan_are_linked_by_the_curated_table() -> None:
    assert "syn:fishery" in analyze("漁業") and "syn:fishery" in analyze("水産業")


def test_negating_prefix_stays_attached() -> None:
    tokens = analyze("非現金決済の導入")
    assert "非現金決済" in tokens
    assert "現金決済" not in tokens


def test_compound_keeps_the_c_unit_and_its_a_subwords() -> None:
    tokens = analyze("業務効率化")
    assert tokens[:3] == ["業務効率化", "業務", "効率"]


def test_particles_numbers_and_stop_words_are_dropped() -> None:
    assert analyze("こと の 3 ため") == []


def test_unknown_words_add_character_bigrams() -> None:
    assert {"#go", "#ov"} <= set(analyze("GovTech"))


def test_analysis_is_deterministic() -> None:
    text = "ドローンとRPAで業務効率化、スマート農業とGovTech。"
    assert analyze(text) == analyze(text)


def test_group_of_and_display_serve_the_explanations() -> None:
    assert group_of("無人航空機") == group_of("ドローン") == "syn:drone"
    assert display("dx") == "DX"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ai ocrで帳票を読む", ["ai ocr"]),
        ("mail ocrの設定", []),
        ("rpa、iotとgis", ["rpa", "iot", "gis"]),
        ("gisx と 1gis", []),
        ("生成ai ocr", ["生成ai"]),
        ("chatgpt", ["chatgpt"]),
        ("スマート水産業とスマート農業", ["スマート水産業", "スマート農業"]),
    ],
)
def test_ascii_phrases_match_only_as_whole_words_and_the_longest_phrase_wins(
    text: str, found: list[str]
) -> None:
    assert [member for member, _ in domain_synonyms().find(text)] == found


def test_the_part_of_speech_only_pass_analyses_exactly_like_a_tokenizer_with_every_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    from pathlib import Path

    from matcher import text

    eval_dir = Path(__file__).parents[2] / "seed_data" / "eval"
    texts = [
        json.loads(line)["text"]
        for name in ("experts.jsonl", "issues.jsonl")
        for line in (eval_dir / name).read_text(encoding="utf-8").splitlines()
    ]
    texts += [
        "ChatGPTやLLM、Python3.11を使う",
        "第3回の非現金決済",
        "お客様とご相談",
        "ｱｲｳ ABC ａｂｃ",
        "𠮷野家",
    ]
    fast = [analyze(t) for t in texts]
    monkeypatch.setattr(text, "_cache", {})
    monkeypatch.setattr(text, "_tokenizer", text._full_tokenizer)
    monkeypatch.setattr(
        text, "_full", lambda m, _text: m
    )  # the reference reads every field from Sudachi itself
    assert [analyze(t) for t in texts] == fast


def test_an_unknown_word_is_analysed_the_same_whatever_was_analysed_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matcher import text

    monkeypatch.setattr(text, "_cache", {})
    fresh = analyze("OCRWebの導入")
    analyze("ヴOCRWeb")  # the same surface, tagged with another part of speech in this context
    assert analyze("OCRWebの導入") == fresh and "ocrweb" in fresh


def test_a_word_the_dictionary_lookup_cannot_find_is_read_from_a_full_tokenisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matcher import text

    real, calls = text.dictionary(), []

    class WithoutLookup:
        def lookup(self, surface: str) -> list[object]:
            return []

        def tokenizer(self, *args: object, **kwargs: object) -> object:
            return real.tokenizer(*args, **kwargs)

    def full_tokenizer() -> object:
        calls.append(1)
        return real.tokenizer(text.SplitMode.C, fields=text._FIELDS)

    expected = analyze("スマート農業の導入支援")
    monkeypatch.setattr(text, "_cache", {})
    monkeypatch.setattr(text, "dictionary", WithoutLookup)
    monkeypatch.setattr(text, "_full_tokenizer", full_tokenizer)
    assert analyze("スマート農業の導入支援") == expected
    assert calls
