"""Reading expert/issue JSON-lines files for the command-line interface, with errors naming file:line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .exceptions import InputFormatError, MatcherError
from .records import ExpertRecord, IssueRecord

JsonId = str | int

EXPERT_FIELDS = (
    "id",
    "text",
    "roles",
    "sectors",
    "modes",
    "prefecture",
    "lat",
    "lon",
    "travel_range",
    "monthly_capacity",
)
ISSUE_FIELDS = (
    "id",
    "text",
    "sector",
    "wanted_roles",
    "stage",
    "mode",
    "prefecture",
    "lat",
    "lon",
    "municipality",
)
_LISTS = ("roles", "sectors", "modes", "wanted_roles")


@dataclass(frozen=True)
class Loaded:
    """Records read from a file, plus each record's id as it was written (an int stays an int)."""

    records: list[Any]
    original_ids: dict[str, JsonId]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as src:
            for number, line in enumerate(src, start=1):
                if line.strip():
                    yield number, line
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(str(path), 0, f"cannot read file / ファイルを読めません: {exc}") from exc


def _parse_id(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or raw == "":
        raise ValueError(f'"id" must be a non-empty string or an integer, got {raw!r} / id が不正です')
    return str(raw)


def _fields(obj: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    if "text" not in obj:
        raise ValueError('"text" is required / text がありません')
    values = {name: obj[name] for name in allowed if name in obj and obj[name] is not None}
    for name in _LISTS:
        if name in values:
            if not isinstance(values[name], list) or not all(isinstance(v, str) for v in values[name]):
                raise ValueError(
                    f'"{name}" must be a list of strings / {name} は文字列のリストにしてください'
                )
            values[name] = tuple(values[name])
    return values


def _record(line: str, allowed: tuple[str, ...], build: Callable[..., Any]) -> tuple[Any, JsonId]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg}) / JSON として読めません") from exc
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object / 各行は JSON オブジェクトにしてください")  # noqa: TRY004 - reported as a bad input line
    if "id" not in obj:
        raise ValueError('"id" is required / id がありません')
    values = _fields(obj, allowed)
    values["id"] = _parse_id(obj["id"])
    try:
        return build(**values), obj["id"]
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def read_records(path: Path, kind: str) -> Loaded:
    """Read ``kind`` ("experts" or "issues") records; raise :class:`InputFormatError` naming the bad line."""
    allowed, build = (EXPERT_FIELDS, ExpertRecord) if kind == "experts" else (ISSUE_FIELDS, IssueRecord)
    records: list[Any] = []
    original: dict[str, JsonId] = {}
    for number, line in _lines(path):
        try:
            record, raw_id = _record(line, allowed, build)
        except (ValueError, MatcherError) as exc:
            raise InputFormatError(str(path), number, str(exc)) from exc
        if record.id in original:
            raise InputFormatError(str(path), number, f"duplicate id {raw_id!r} / id が重複しています")
        original[record.id] = raw_id
        records.append(record)
    if not records:
        raise InputFormatError(str(path), 0, f"no {kind} in file / レコードがありません")
    return Loaded(records, original)


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read ``{issue_id: {expert_id: grade 0-3}}``; raise :class:`InputFormatError` when malformed."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFormatError(str(path), 0, f"cannot read qrels / qrels を読めません: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputFormatError(str(path), 0, "qrels must be an object {issue_id: {expert_id: grade}}")
    qrels: dict[str, dict[str, int]] = {}
    for issue, judged in raw.items():
        if not isinstance(judged, dict) or not all(
            isinstance(g, int) and not isinstance(g, bool) and 0 <= g <= 3 for g in judged.values()
        ):
            raise InputFormatError(str(path), 0, f"issue {issue!r}: grades must be integers 0-3")
        qrels[str(issue)] = {str(e): int(g) for e, g in judged.items()}
    return qrels
