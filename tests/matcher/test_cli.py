from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXPERTS = [
    {
        "id": 1,
        "text": "ドローン（無人航空機）で農地を空撮し、スマート農業を支援",
        "roles": ["engineer"],
        "modes": ["hybrid"],
        "prefecture": "01",
        "travel_range": "prefecture",
        "monthly_capacity": 2,
    },
    {"id": "e2", "text": "RPAとAI-OCRで入力業務を自動化", "roles": ["engineer"], "modes": ["online"]},
    {"id": "e3", "text": "観光客の動態データを分析"},
]
ISSUES = [
    {
        "id": 10,
        "text": "UAVで圃場を撮影したい",
        "wanted_roles": ["engineer"],
        "mode": "hybrid",
        "prefecture": "01",
    },
    {"id": "i2", "text": "ソフトウェアロボットで入力作業を減らしたい", "mode": "online"},
]


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "experts.jsonl", EXPERTS), _write(tmp_path / "issues.jsonl", ISSUES)  # type: ignore[arg-type]


def test_rank_prints_one_json_object_per_issue_keeping_id_types(files: tuple[Path, Path]) -> None:
    result = _run("rank", "--experts", str(files[0]), "--issues", str(files[1]), "--top", "2")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["issue_id"] for line in lines] == [10, "i2"]
    first = lines[0]["ranking"][0]
    assert first["expert_id"] == 1 and isinstance(first["score"], float)
    assert set(first["parts"]) == {"text", "role", "sector", "mode", "travel", "capacity"}
    assert any("ドローン" in reason for reason in first["reasons"])
    assert lines[1]["ranking"][0]["expert_id"] == "e2"
    assert "≈" in result.stdout  # ensure_ascii=False keeps Japanese readable


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"text": "x"}', '"id" is required'),
        ('{"id": "a"}', '"text" is required'),
        ('{"id": "a", "text": ""}', "empty text"),
        ('{"id": "a", "text": "x", "roles": ["wizard"]}', "unknown roles"),
        ('{"id": "e2", "text": "x"}', "duplicate id"),
    ],
)
def test_bad_expert_line_exits_non_zero_naming_file_and_line(
    files: tuple[Path, Path], line: str, message: str
) -> None:
    experts = files[0]
    experts.write_text(experts.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    result = _run("rank", "--experts", str(experts), "--issues", str(files[1]))
    assert result.returncode != 0
    assert f"{experts}:4:" in result.stderr and message in result.stderr


def test_evaluate_prints_metrics_for_the_matcher_and_both_baselines(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    qrels = tmp_path / "qrels.json"
    qrels.write_text(json.dumps({"10": {"1": 3, "e2": 0}, "i2": {"e2": 3, "e3": 1}, "absent": {"1": 2}}))
    result = _run(
        "evaluate", "--experts", str(files[0]), "--issues", str(files[1]), "--qrels", str(qrels), "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["gain"] == "2^grade-1"
    systems = {s["system"]: s for s in report["systems"]}
    assert len(systems) == 4 and systems["matcher"]["ndcg10"] > 0.9 and systems["matcher"]["n_issues"] == 2


def test_bench_prints_every_figure_for_a_tiny_corpus(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = _run(
        "bench", "--sizes", "200", "--queries", "3", "--batches", "20", "--bm25-sample", "2",
        "--build-repeats", "2", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| build from raw text, 2 processes: median (s) |" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))[0]
    assert figures["experts"] == 200 and figures["build_repeats"] == 2
    assert figures["build_min_s"] <= figures["build_s"] <= figures["build_max_s"]
    assert figures["batch_20_s"] > 0 and figures["bm25_ratio_p50"] > 0
