"""Structured fields of experts and issues as numpy columns (bitmasks, codes, unit-sphere xyz).

Columns are plain ``dict[str, ndarray]`` so they persist as ``.npy`` files and broadcast in scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import vocabulary as voc
from . import weights as W
from .geo import EARTH_RADIUS_KM, locate, region_index, unit_xyz
from .records import ExpertRecord, IssueRecord

Columns = dict[str, npt.NDArray[Any]]

EXPERT_COLUMNS = (
    "role_mask",
    "sector_mask",
    "mode_mask",
    "travel",
    "pref",
    "region",
    "xyz",
    "has_loc",
    "capacity",
    "code",
    "reach_chord2",
    "reach_region",
    "reach_pref",
)
ISSUE_COLUMNS = ("sector", "wanted_mask", "stage", "mode", "pref", "region", "xyz", "has_loc")
_TRAVEL = list(voc.TRAVEL_RANGES)


def _index(code: str | None, allowed: Sequence[str]) -> int:
    return list(allowed).index(code) if code is not None else -1


def _location(prefecture: str | None, lat: float | None, lon: float | None) -> tuple[tuple[float, ...], bool]:
    point = locate(prefecture, lat, lon)
    return (unit_xyz(*point) if point else (0.0, 0.0, 0.0)), point is not None


def _pref(prefecture: str | None) -> int:
    return int(prefecture) if prefecture is not None else 0


def _reach_chord2(travel: str | None, located: bool) -> float:
    # Reachable by distance when |home - town|^2 (unit sphere) <= (2 sin(limit / 2R))^2, i.e. great-circle
    # distance <= limit; +inf = always (nationwide, unknown range or unknown home).
    limit = W.REACH_KM.get(travel or "", None)
    if limit is None or not located:
        return math.inf
    return (2 * math.sin(limit / (2 * EARTH_RADIUS_KM))) ** 2


def _derived(columns: Columns, experts: Sequence[ExpertRecord]) -> Columns:
    """Columns precomputed for fast scoring: role|mode code, reach thresholds by travel range."""
    travel = [e.travel_range for e in experts]
    located = columns["has_loc"].tolist()
    return {
        "code": (columns["role_mask"] | (columns["mode_mask"] << 4)).astype(np.uint8),
        "reach_chord2": np.array([_reach_chord2(t, ok) for t, ok in zip(travel, located)], dtype=np.float64),
        "reach_region": np.where(
            np.array([t == "regional" for t in travel], dtype=bool) & (columns["region"] >= 0),
            columns["region"],
            -2,
        ).astype(np.int8),
        "reach_pref": np.where(
            np.array([t == "prefecture" for t in travel], dtype=bool) & (columns["pref"] > 0),
            columns["pref"],
            -2,
        ).astype(np.int8),
    }


def expert_columns(experts: Sequence[ExpertRecord]) -> Columns:
    """Encode experts' structured fields as columns (plus the derived fast-scoring columns)."""
    columns = _base_expert_columns(experts)
    columns.update(_derived(columns, experts))
    return columns


def _base_expert_columns(experts: Sequence[ExpertRecord]) -> Columns:
    locs = [_location(e.prefecture, e.lat, e.lon) for e in experts]
    return {
        "role_mask": np.array([voc.bitmask(e.roles, voc.ROLES) for e in experts], dtype=np.uint8),
        "sector_mask": np.array([voc.bitmask(e.sectors, voc.SECTORS) for e in experts], dtype=np.uint16),
        "mode_mask": np.array([voc.bitmask(e.modes, voc.MODES) for e in experts], dtype=np.uint8),
        "travel": np.array([_index(e.travel_range, _TRAVEL) for e in experts], dtype=np.int8),
        "pref": np.array([_pref(e.prefecture) for e in experts], dtype=np.int8),
        "region": np.array([region_index(e.prefecture) for e in experts], dtype=np.int8),
        "xyz": np.array([xyz for xyz, _ in locs], dtype=np.float64).reshape(len(experts), 3),
        "has_loc": np.array([ok for _, ok in locs], dtype=bool),
        "capacity": np.array(
            [-1 if e.monthly_capacity is None else e.monthly_capacity for e in experts], dtype=np.int32
        ),
    }


def issue_columns(issues: Sequence[IssueRecord]) -> Columns:
    """Encode issues' structured fields as columns."""
    locs = [_location(i.prefecture, i.lat, i.lon) for i in issues]
    return {
        "sector": np.array([_index(i.sector, list(voc.SECTORS)) for i in issues], dtype=np.int8),
        "wanted_mask": np.array([voc.bitmask(i.wanted_roles, voc.ROLES) for i in issues], dtype=np.uint8),
        "stage": np.array([_index(i.stage, list(voc.STAGES)) for i in issues], dtype=np.int8),
        "mode": np.array([_index(i.mode, list(voc.MODES)) for i in issues], dtype=np.int8),
        "pref": np.array([_pref(i.prefecture) for i in issues], dtype=np.int8),
        "region": np.array([region_index(i.prefecture) for i in issues], dtype=np.int8),
        "xyz": np.array([xyz for xyz, _ in locs], dtype=np.float64).reshape(len(issues), 3),
        "has_loc": np.array([ok for _, ok in locs], dtype=bool),
    }


def concat(a: Columns, b: Columns) -> Columns:
    """Append the rows of ``b`` to ``a`` (new arrays; ``a`` is unchanged)."""
    return {name: np.concatenate([a[name], b[name]]) for name in a}


def take(columns: Columns, slots: npt.NDArray[np.int64]) -> Columns:
    """Select rows (keeps 2-d columns such as ``xyz`` 2-d)."""
    return {name: col[slots] for name, col in columns.items()}


def as_query(columns: Columns, slot: int) -> Columns:
    """Return one row as 0-d / 1-d arrays that broadcast against a full column set."""
    return {name: col[slot] for name, col in columns.items()}
