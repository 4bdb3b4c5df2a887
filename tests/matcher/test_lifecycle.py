from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher import ExpertRecord, IndexFormatError, IndexVersionError, IssueRecord, Matcher, UnknownIdError

from .conftest import ISSUES


def test_upsert_expert_makes_it_rankable_without_refitting(
    fresh: Matcher, make_expert: Callable[..., ExpertRecord]
) -> None:
    terms = fresh.terms_
    fresh.upsert_expert(
        make_expert(
            "new",
            "ドローンによる圃場の空撮とスマート農業",
            roles=("engineer",),
            modes=("hybrid",),
            monthly_capacity=2,
        )
    )
    assert fresh.terms_ is terms
    assert "new" in [c.id for c in fresh.rank_experts("farm")]


def test_upsert_replaces_an_existing_expert(fresh: Matcher, make_expert: Callable[..., ExpertRecord]) -> None:
    fresh.upsert_expert(make_expert("drone", "観光案内所の多言語対応", modes=("online",), monthly_capacity=1))
    ranked = fresh.rank_experts("farm")
    assert [c.id for c in ranked].count("drone") == 1
    assert next(c for c in ranked if c.id == "drone").parts["text"] == 0.0


def test_remove_expert_drops_it_from_rankings(fresh: Matcher) -> None:
    fresh.remove_expert("drone")
    assert "drone" not in [c.id for c in fresh.rank_experts("farm")]
    with pytest.raises(UnknownIdError):
        fresh.remove_expert("drone")


def test_upsert_and_remove_issue(fresh: Matcher, make_issue: Callable[..., IssueRecord]) -> None:
    fresh.upsert_issue(make_issue("new", "漁業の水揚げデータ"))
    assert "new" in fresh.issue_ids
    fresh.remove_issue("new")
    assert "new" not in fresh.issue_ids


def test_refit_includes_upserts_and_learns_their_words(
    fresh: Matcher, make_expert: Callable[..., ExpertRecord]
) -> None:
    fresh.upsert_expert(make_expert("kin", "kintoneアプリの開発", monthly_capacity=1))
    assert "kintone" not in fresh.terms_.index
    fresh.refit()
    assert "kintone" in fresh.terms_.index and "kin" in fresh.expert_ids


def test_save_and_load_round_trip_gives_identical_rankings(fresh: Matcher, tmp_path: Path) -> None:
    fresh.upsert_expert(ExpertRecord("late", "RPAとAI-OCR", modes=("online",)))
    fresh.remove_expert("pm")
    fresh.save(tmp_path / "index")
    loaded = Matcher.load(tmp_path / "index")
    assert [loaded.rank_experts(i.id) for i in ISSUES] == [fresh.rank_experts(i.id) for i in ISSUES]
    assert loaded.records()[0].keys() == fresh.records()[0].keys()


def test_saving_twice_replaces_the_index(fresh: Matcher, tmp_path: Path) -> None:
    fresh.save(tmp_path / "index")
    fresh.remove_expert("drone")
    fresh.save(tmp_path / "index")
    assert "drone" not in Matcher.load(tmp_path / "index").expert_ids


def test_version_mismatch_raises_index_version_error(fresh: Matcher, tmp_path: Path) -> None:
    path = fresh.save(tmp_path / "index")
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, "sudachidict_core": "19990101"}))
    with pytest.raises(IndexVersionError) as info:
        Matcher.load(path)
    assert info.value.found["sudachidict_core"] == "19990101"


def test_missing_index_raises_index_format_error(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError):
        Matcher.load(tmp_path / "nothing")


def test_index_files_contain_no_pickle(fresh: Matcher, tmp_path: Path) -> None:
    path = fresh.save(tmp_path / "index")
    assert {p.suffix for p in path.rglob("*") if p.is_file()} <= {".json", ".npy", ".jsonl"}


def test_concurrent_readers_see_consistent_results_during_upserts(fresh: Matcher) -> None:
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(30):
                assert fresh.rank_experts("farm")[0].id in {"drone", "d0", "d1", "d2", "d3", "d4"}
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    for n in range(5):
        fresh.upsert_expert(ExpertRecord(f"d{n}", "ドローン空撮", modes=("hybrid",), monthly_capacity=1))
    for thread in readers:
        thread.join()
    assert not errors
