from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from matcher import (
    DuplicateIdError,
    EmptyCorpusError,
    EmptyTextError,
    ExpertRecord,
    InvalidRecordError,
    IssueRecord,
    Matcher,
    MatcherError,
    UnknownCodeError,
)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_raises_empty_text_error_naming_the_id(text: str) -> None:
    with pytest.raises(EmptyTextError) as info:
        ExpertRecord("e9", text)
    assert info.value.ids == ("e9",)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"roles": ("wizard",)}, "roles"),
        ({"sectors": ("space",)}, "sectors"),
        ({"modes": ("telepathy",)}, "modes"),
        ({"travel_range": "galaxy"}, "travel_range"),
        ({"prefecture": "48"}, "prefecture"),
    ],
)
def test_unknown_expert_codes_raise_unknown_code_error(
    fields: dict[str, Any], field: str, make_expert: Callable[..., ExpertRecord]
) -> None:
    with pytest.raises(UnknownCodeError) as info:
        make_expert(**fields)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"stage": "someday"}, "stage"),
        ({"mode": "carrier_pigeon"}, "mode"),
        ({"sector": "space"}, "sector"),
        ({"wanted_roles": ("ceo",)}, "wanted_roles"),
    ],
)
def test_unknown_issue_codes_raise_unknown_code_error(
    fields: dict[str, Any], field: str, make_issue: Callable[..., IssueRecord]
) -> None:
    with pytest.raises(UnknownCodeError) as info:
        make_issue(**fields)
    assert info.value.field == field


@pytest.mark.parametrize(
    "fields", [{"lat": 43.0}, {"lat": 95.0, "lon": 140.0}, {"monthly_capacity": -1}, {"roles": "engineer"}]
)
def test_invalid_fields_raise_invalid_record_error(
    fields: dict[str, Any], make_expert: Callable[..., ExpertRecord]
) -> None:
    with pytest.raises(InvalidRecordError):
        make_expert(**fields)


def test_prefecture_codes_are_normalised_to_two_digits(make_expert: Callable[..., ExpertRecord]) -> None:
    assert make_expert(prefecture=1).prefecture == "01"
    assert make_expert(prefecture="1").prefecture == "01"


def test_duplicate_ids_raise_duplicate_id_error(make_expert: Callable[..., ExpertRecord]) -> None:
    with pytest.raises(DuplicateIdError) as info:
        Matcher().fit([make_expert("a"), make_expert("b"), make_expert("a")])
    assert info.value.ids == ("a",)


def test_fit_without_experts_raises_empty_corpus_error() -> None:
    with pytest.raises(EmptyCorpusError):
        Matcher().fit([])


def test_texts_without_any_term_raise_empty_text_error(make_expert: Callable[..., ExpertRecord]) -> None:
    with pytest.raises(EmptyTextError):
        Matcher().fit([make_expert(text="。。。")])


def test_every_error_is_a_matcher_error() -> None:
    assert all(issubclass(cls, MatcherError) for cls in (EmptyTextError, DuplicateIdError, UnknownCodeError))


@pytest.mark.parametrize("make", [ExpertRecord, IssueRecord])
def test_a_lone_surrogate_in_the_text_is_refused_naming_the_id_not_the_text(make: Callable[..., Any]) -> None:
    with pytest.raises(InvalidRecordError) as info:
        make("e9", "UI\ud800設計")
    assert info.value.field == "text" and info.value.value == "e9" and "設計" not in str(info.value)
