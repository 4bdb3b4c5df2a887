"""Vectorised scoring parts for issue × expert pairs.

Every function broadcasts: pass one issue (0-d fields) against all experts (1-d columns), one expert against
all issues, or a chunk of issues shaped ``(B, 1)`` against all experts for batch scoring. Hard infeasibility
(an online-only expert for an on-site issue, no capacity left, an unreachable on-site town) is returned as a
boolean mask, never as a penalty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from . import vocabulary as voc
from . import weights as W
from .geo import EARTH_RADIUS_KM
from .structured import Columns

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

ONLINE, ONSITE, HYBRID = (list(voc.MODES).index(m) for m in ("online", "onsite", "hybrid"))
_INFEASIBLE = -1.0


def _role_fit(stage: str | None, wanted: int, role_bit: int) -> float:
    in_wanted = float(wanted >> role_bit & 1)
    if stage is None:
        return in_wanted
    affinity = W.ROLE_STAGE_AFFINITY[stage][list(voc.ROLES)[role_bit]]
    return affinity if wanted == 0 else W.WANTED_ROLE_SHARE * in_wanted + (1 - W.WANTED_ROLE_SHARE) * affinity


def _role_table() -> FloatArray:
    n_roles = len(voc.ROLES)
    stages: list[str | None] = [None, *voc.STAGES]
    table = np.full((len(stages), 1 << n_roles, 1 << n_roles), W.NEUTRAL, dtype=np.float32)
    for s, stage in enumerate(stages):
        for wanted in range(1 << n_roles):
            for mask in range(1, 1 << n_roles):
                if stage is None and wanted == 0:
                    continue
                fits = [_role_fit(stage, wanted, bit) for bit in range(n_roles) if mask >> bit & 1]
                table[s, wanted, mask] = max(fits)
    return table


def _mode_value(issue_mode: int, mask: int) -> float:
    online, onsite, hybrid = (bool(mask >> m & 1) for m in (ONLINE, ONSITE, HYBRID))
    can_online, can_onsite = online or hybrid, onsite or hybrid
    if issue_mode < 0 or mask == 0:
        return W.NEUTRAL
    if issue_mode == ONLINE:
        return 1.0 if can_online else W.MODE_ONLINE_ISSUE_ONSITE_EXPERT
    if issue_mode == ONSITE:
        return 1.0 if can_onsite else _INFEASIBLE
    if hybrid or (online and onsite):
        return 1.0
    return W.MODE_HYBRID_ISSUE_ONSITE_EXPERT if can_onsite else W.MODE_HYBRID_ISSUE_ONLINE_EXPERT


#: ROLE_TABLE[stage + 1, wanted_mask, expert_role_mask] → role part.
ROLE_TABLE = _role_table()
#: MODE_TABLE[issue_mode + 1, expert_mode_mask] → mode part (-1 = infeasible).
MODE_TABLE = np.array(
    [[_mode_value(m, mask) for mask in range(1 << len(voc.MODES))] for m in range(-1, len(voc.MODES))],
    dtype=np.float32,
)
#: CAPACITY_TABLE[min(remaining, 63) + 1] → capacity part (index 0 = unknown).
CAPACITY_TABLE = np.array([W.NEUTRAL] + [1 - W.CAPACITY_BASE**r for r in range(64)], dtype=np.float32)


@dataclass(frozen=True)
class Parts:
    """Structured parts (name → array in [0, 1]), the feasibility mask and distances (km, NaN if unknown)."""

    values: dict[str, FloatArray]
    feasible: BoolArray
    distance_km: npt.NDArray[np.float64] | None


def role_part(issue: Columns, expert: Columns) -> FloatArray:
    """Return how well the expert's roles fit the wanted roles and the DX stage."""
    stage = issue["stage"].astype(np.intp) + 1
    return ROLE_TABLE[stage, issue["wanted_mask"].astype(np.intp), expert["role_mask"].astype(np.intp)]


def sector_part(issue: Columns, expert: Columns) -> FloatArray:
    """Return 1 when the expert lists the issue's sector, 0 when not, NEUTRAL when either side is silent."""
    sector = issue["sector"].astype(np.int32)
    mask = expert["sector_mask"].astype(np.int32)
    hit = (mask >> np.maximum(sector, 0)) & 1
    return np.where((sector < 0) | (mask == 0), np.float32(W.NEUTRAL), hit.astype(np.float32))


def mode_part(issue: Columns, expert: Columns) -> tuple[FloatArray, BoolArray]:
    """Return the mode part and whether the modes are compatible at all."""
    value = MODE_TABLE[issue["mode"].astype(np.intp) + 1, expert["mode_mask"].astype(np.intp)]
    return np.maximum(value, np.float32(0.0)), value >= 0


def _dot3(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # x·q written out term by term (no BLAS): the same floats for one issue against many experts and for a
    # batch's (issue, expert) pairs (see paired_parts), whatever the BLAS kernel would round.
    return np.asarray(a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2])


def _dot(issue_xyz: npt.NDArray[np.float64], expert_xyz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if issue_xyz.ndim == 1:
        return _dot3(expert_xyz, issue_xyz)
    if expert_xyz.ndim == 1:
        return issue_xyz @ expert_xyz
    return issue_xyz @ expert_xyz.T


def chord2(issue: Columns, expert: Columns) -> npt.NDArray[np.float64]:
    """Squared straight-line distance between points on the unit sphere (float64: exact to metres)."""
    return np.maximum(2.0 - 2.0 * _dot(issue["xyz"], expert["xyz"]), 0.0)


def chord2_to_km(c2: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Great-circle distance in km from the squared chord: ``2R asin(chord / 2)`` (the haversine formula)."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(c2) * 0.5, 1.0))


def reachable(issue: Columns, expert: Columns, c2: npt.NDArray[np.float64]) -> BoolArray:
    """Return whether the expert's travel range covers the town (unknown range or location → True).

    nationwide: always; regional: same 地方 or within ``REACH_KM["regional"]``; prefecture: same prefecture or
    within ``REACH_KM["prefecture"]`` (a neighbour across the border); none: within ``REACH_KM["none"]``.
    """
    reach = c2 <= expert["reach_chord2"]
    reach |= expert["reach_region"] == np.where(issue["region"] >= 0, issue["region"], -3)
    reach |= expert["reach_pref"] == np.where(issue["pref"] > 0, issue["pref"], -3)
    return np.asarray(reach | ~issue["has_loc"])


def travel_part(
    issue: Columns, expert: Columns
) -> tuple[FloatArray, BoolArray, npt.NDArray[np.float64] | None]:
    """Return the travel part, the on-site feasibility mask and the distances (km, NaN if unknown).

    Online issues need no travel (part 1.0). Otherwise the part is the closeness
    ``1 / (1 + km / CLOSENESS_KM)`` of a reachable town, 0 for an unreachable one (infeasible when the issue is
    on-site only) and NEUTRAL when either location is unknown.
    """
    mode = issue["mode"]
    if np.all(mode == ONLINE) or not np.any(issue["has_loc"]):
        value = np.float32(1.0) if np.all(mode == ONLINE) else np.float32(W.NEUTRAL)
        return np.full(1, value, dtype=np.float32), np.ones(1, dtype=bool), None
    c2 = chord2(issue, expert)
    km = chord2_to_km(c2)
    reach = reachable(issue, expert, c2)
    known = issue["has_loc"] & expert["has_loc"]
    closeness = 1.0 / (1.0 + km * (1.0 / W.CLOSENESS_KM))
    part = np.where(known, np.where(reach, closeness, 0.0), W.NEUTRAL)
    part = np.where(mode == ONLINE, 1.0, part).astype(np.float32)
    return part, (mode != ONSITE) | reach, np.where(known, km, np.nan)


def capacity_part(remaining: npt.NDArray[np.int32]) -> tuple[FloatArray, BoolArray]:
    """Return the capacity part and whether any slot is left (unknown capacity counts as available)."""
    return CAPACITY_TABLE[np.minimum(remaining, 63) + 1], remaining != 0


def structured_parts(
    issue: Columns,
    expert: Columns,
    remaining: npt.NDArray[np.int32] | None = None,
    *,
    use_capacity: bool = True,
) -> Parts:
    """Compute the role, sector, mode, travel and capacity parts and the feasibility mask."""
    mode, mode_ok = mode_part(issue, expert)
    travel, travel_ok, km = travel_part(issue, expert)
    capacity, capacity_ok = capacity_part(expert["capacity"] if remaining is None else remaining)
    feasible = mode_ok & travel_ok & (capacity_ok if use_capacity else True)
    values = {
        "role": role_part(issue, expert),
        "sector": sector_part(issue, expert),
        "mode": mode,
        "travel": travel,
        "capacity": capacity,
    }
    return Parts(values, np.asarray(feasible), km)


def paired_parts(issue: Columns, expert: Columns, remaining: npt.NDArray[np.int32]) -> dict[str, FloatArray]:
    """Return :func:`structured_parts`' values for pairs: ``issue[k]`` with ``expert[k]`` (1-d columns each).

    Element by element the same floats as ``structured_parts`` of issue ``k`` alone (0-d columns) against its
    experts: a batch builds the parts of every issue's top candidates in one call.
    """
    mode, _ = mode_part(issue, expert)
    c2 = np.maximum(2.0 - 2.0 * _dot3(expert["xyz"], issue["xyz"]), 0.0)
    known = issue["has_loc"] & expert["has_loc"]
    closeness = 1.0 / (1.0 + chord2_to_km(c2) * (1.0 / W.CLOSENESS_KM))
    travel = np.where(known, np.where(reachable(issue, expert, c2), closeness, 0.0), W.NEUTRAL)
    return {
        "role": role_part(issue, expert),
        "sector": sector_part(issue, expert),
        "mode": mode,
        "travel": np.where(issue["mode"] == ONLINE, 1.0, travel).astype(np.float32),
        "capacity": capacity_part(remaining)[0],
    }


def text_part(cosine: FloatArray) -> FloatArray:
    """Rescale cosines: ``min(1, cosine / TEXT_SATURATION)``."""
    return np.asarray(
        np.minimum(cosine * np.float32(1.0 / W.TEXT_SATURATION), np.float32(1.0)), dtype=np.float32
    )


def combine(text: FloatArray, parts: Parts, weights: Mapping[str, float]) -> FloatArray:
    """Return ``sum(weights[k] * parts[k])`` including the text part."""
    score = text * np.float32(weights["text"])
    for name, value in parts.values.items():
        score = score + value * np.float32(weights[name])
    return np.asarray(score, dtype=np.float32)


def harmonic(a: FloatArray, b: FloatArray) -> FloatArray:
    """Return the harmonic mean of two non-negative score arrays (0 where both are 0)."""
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 2 * a * b / total, 0.0).astype(np.float32)


def _role_mode_table(issue: Columns, weights: Mapping[str, float]) -> FloatArray:
    # Weighted role + mode part for every (role_mask | mode_mask << 4) code; -inf where modes are incompatible.
    codes = np.arange(1 << (len(voc.ROLES) + len(voc.MODES)))

    def column(name: str) -> npt.NDArray[np.intp]:
        value = issue[name].astype(np.intp)
        return value if value.ndim == 0 else value.reshape(-1, 1)  # (B, 1) for a batch

    stage, wanted = column("stage") + 1, column("wanted_mask")
    mode = MODE_TABLE[column("mode") + 1, codes >> len(voc.ROLES)]
    table = weights["role"] * ROLE_TABLE[stage, wanted, codes & ((1 << len(voc.ROLES)) - 1)]
    table = table + weights["mode"] * np.maximum(mode, 0)
    return np.where(mode < 0, -np.inf, table).astype(np.float32)


def _cached(cache: dict[object, object], key: object, make: Callable[[], Any]) -> Any:
    value = cache.get(key)
    if value is None:
        value = cache[key] = make()
    return value


def _issue_scalar_or_column(issue: Columns, name: str) -> npt.NDArray[Any]:
    value = issue[name]
    return value if value.ndim == 0 else value.reshape(-1, 1)


def needs_travel(issue: Columns) -> bool:
    """Return whether any issue needs the distance-based travel part (not online, location known)."""
    mode = issue["mode"]
    return bool(np.any((mode != ONLINE) & issue["has_loc"]))


def travel_constant(issue: Columns) -> np.float32:
    """The travel part when :func:`needs_travel` is False: 1 for online issues, NEUTRAL without location."""
    return np.float32(1.0) if np.all(issue["mode"] == ONLINE) else np.float32(W.NEUTRAL)


_TRAVEL_COLUMNS = ("xyz", "reach_chord2", "reach_region", "reach_pref", "has_loc")


def travel_at(issue: Columns, expert: Columns, slots: npt.NDArray[np.intp]) -> tuple[FloatArray, BoolArray]:
    """Return the travel part and on-site feasibility of one issue for the given expert slots only."""
    return travel_cells(issue, {name: expert[name][slots] for name in _TRAVEL_COLUMNS})


def travel_cells(issue: Columns, expert: Columns) -> tuple[FloatArray, BoolArray]:
    """Return the travel part and on-site feasibility of one issue (0-d columns) against experts, or of a block
    of issues (1-d columns) against them as ``(B, N)`` arrays: the same float operations for every cell.

    Same maths as :func:`travel_part`: float64 for the squared chord (metre precision), float32 after. Meant
    for issues that :func:`needs_travel`.
    """
    q = issue["xyz"] if issue["xyz"].ndim == 1 else issue["xyz"][:, None, :]
    region, pref, mode = (_issue_scalar_or_column(issue, name) for name in ("region", "pref", "mode"))
    xyz = expert["xyz"]
    c2 = 2.0 - 2.0 * (q[..., 0] * xyz[:, 0] + q[..., 1] * xyz[:, 1] + q[..., 2] * xyz[:, 2])
    reach = c2 <= expert["reach_chord2"]
    reach |= expert["reach_region"] == np.where(region >= 0, region, -3)  # -3: no expert's region (-2 = none)
    reach |= expert["reach_pref"] == np.where(pref > 0, pref, -3)
    chord = np.sqrt(np.maximum(c2, 0.0)).astype(np.float32)
    km = np.arcsin(np.minimum(chord * np.float32(0.5), np.float32(1.0))) * np.float32(2.0 * EARTH_RADIUS_KM)
    part = np.float32(W.CLOSENESS_KM) / (np.float32(W.CLOSENESS_KM) + km) * reach
    part = np.where(expert["has_loc"], part, np.float32(W.NEUTRAL)).astype(np.float32)
    return part, np.asarray(reach | (mode != ONSITE))


#: Added to the travel weight in upper bounds so float rounding can never put an exact score above its bound.
BOUND_MARGIN = 1e-6


def text_and_roles(
    issue: Columns,
    expert: Columns,
    cache: dict[object, object],
    cosine: FloatArray,
    weights: Mapping[str, float],
) -> FloatArray:
    """Return ``weights·(text, role, mode)`` for one issue (0-d columns) or a batch (1-d) against every expert.

    -inf where the modes are incompatible (an online-only expert for an on-site issue).
    """
    table = _role_mode_table(issue, weights)
    codes = _cached(cache, "codes", lambda: expert["code"].astype(np.intp))
    score = table[codes] if table.ndim == 1 else table[:, codes]
    w_text = np.float32(weights["text"])
    score += np.minimum(cosine * np.float32(weights["text"] / W.TEXT_SATURATION), w_text)
    return np.asarray(score, dtype=np.float32)


def _base(
    expert: Columns,
    sector: int,
    remaining: npt.NDArray[np.int32] | None,
    weights: Mapping[str, float],
    travel: float,
    use_capacity: bool,
) -> FloatArray:
    capacity, capacity_ok = capacity_part(expert["capacity"] if remaining is None else remaining)
    base = np.float32(weights["sector"]) * sector_part({"sector": np.array(sector)}, expert)
    base += np.float32(weights["capacity"]) * capacity
    if travel:
        base += np.float32(travel)
    if use_capacity:
        base[~capacity_ok] = -np.inf
    return np.asarray(base, dtype=np.float32)


#: Entries of the per-collection memo of sector + capacity parts under a remaining-capacity override.
OVERRIDE_MEMO = 256


def sector_capacity(
    expert: Columns,
    cache: dict[object, object],
    sector: int,
    remaining: npt.NDArray[np.int32] | None,
    weights: Mapping[str, float],
    *,
    travel: float = 0.0,
    use_capacity: bool = True,
) -> FloatArray:
    """Return ``weights·(sector, capacity) + travel`` per expert, -inf where no capacity is left.

    Cached per (weights, sector, travel) for the registered capacity, and per remaining-capacity values too (the
    issues of a batch share one override): a small memo, emptied when it reaches OVERRIDE_MEMO entries.
    """
    if remaining is not None:
        memo: dict[object, FloatArray] = _cached(cache, "override-bases", dict)
        key: object = (tuple(sorted(weights.items())), sector, travel, use_capacity, remaining.tobytes())
        value = memo.get(key)
        if value is None:
            if len(memo) >= OVERRIDE_MEMO:
                memo.clear()
            value = memo[key] = _base(expert, sector, remaining, weights, travel, use_capacity)
        return value
    key = ("base", tuple(sorted(weights.items())), sector, travel, use_capacity)
    return _cached(cache, key, partial(_base, expert, sector, None, weights, travel, use_capacity))  # type: ignore[no-any-return]
