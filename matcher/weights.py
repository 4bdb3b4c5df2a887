"""Every scoring weight and constant, in one documented place (see docs/matching.md for the reasoning).

A candidate's parts are each in [0, 1]; the score of one view is ``sum(VIEW[k] * parts[k])`` and each view's
weights sum to 1, so scores are in [0, 1] as well. ``NEUTRAL`` is used when a side did not say (no sector, no
roles, no location...): unknown is better than a known mismatch but worse than a known fit.

The weights were chosen from first principles, not fitted to a labelled set:

* text carries the concrete techniques named in the issue (MATCHING.md: structure adds only +0.04 to +0.10
  nDCG@10 over text), so it dominates; cosines are rescaled by ``TEXT_SATURATION`` so that a strong text match
  (cosine 0.5 between a 300-character issue and profile) already counts as a full match;
* the role is the main structured signal (DOMAIN.md: "the right role for the stage"), then the sector;
* mode, travel and capacity are mostly handled by hard filters; what remains is a small preference for
  hybrid-capable, nearby experts with slots left;
* the expert's own view (``EXPERT_VIEW``, used by ``rank_issues`` and the two-sided fusion) puts more weight on
  the practical side: the sectors they chose, how far they must travel, and the modes they accept.
"""

from __future__ import annotations

from collections.abc import Mapping

PART_NAMES: tuple[str, ...] = ("text", "role", "sector", "mode", "travel", "capacity")

#: The issue's (town's and coordinator's) view: used by ``rank_experts``.
ISSUE_VIEW: Mapping[str, float] = {
    "text": 0.62,
    "role": 0.14,
    "sector": 0.08,
    "mode": 0.05,
    "travel": 0.07,
    "capacity": 0.04,
}
#: The expert's view: used by ``rank_issues``.
EXPERT_VIEW: Mapping[str, float] = {
    "text": 0.50,
    "role": 0.10,
    "sector": 0.14,
    "mode": 0.08,
    "travel": 0.12,
    "capacity": 0.06,
}

#: A text cosine at or above this value gives a text part of 1.0 (part = min(1, cosine / saturation)).
TEXT_SATURATION = 0.5
#: Value of a part when one side gave no information.
NEUTRAL = 0.5

#: How much each role fits each DX stage (DOMAIN.md: X人材 early, D人材 from iii on).
ROLE_STAGE_AFFINITY: Mapping[str, Mapping[str, float]] = {
    "issue_definition": {"producer": 1.0, "project_manager": 0.8, "service_designer": 0.6, "engineer": 0.2},
    "business_model": {"producer": 1.0, "project_manager": 0.8, "service_designer": 0.7, "engineer": 0.2},
    "product_planning": {"producer": 0.6, "project_manager": 1.0, "service_designer": 1.0, "engineer": 0.6},
    "development": {"producer": 0.3, "project_manager": 0.9, "service_designer": 0.5, "engineer": 1.0},
    "operation": {"producer": 0.2, "project_manager": 0.6, "service_designer": 0.4, "engineer": 1.0},
    "ux_operation": {"producer": 0.2, "project_manager": 0.5, "service_designer": 1.0, "engineer": 0.7},
    "use": {"producer": 0.4, "project_manager": 0.6, "service_designer": 0.8, "engineer": 0.6},
}
#: When an issue gives both wanted roles and a stage: share of the role part decided by the wanted roles.
WANTED_ROLE_SHARE = 0.7
#: A role "fits the stage" (and is named in the reasons) at or above this affinity.
STAGE_FIT_THRESHOLD = 0.8

#: Mode part for soft mismatches (a hard mismatch, an on-site issue with an online-only expert, is filtered).
MODE_ONLINE_ISSUE_ONSITE_EXPERT = 0.3
MODE_HYBRID_ISSUE_ONLINE_EXPERT = 0.3
MODE_HYBRID_ISSUE_ONSITE_EXPERT = 0.7

#: Closeness = 1 / (1 + km / CLOSENESS_KM): 1.0 at home, 0.5 at 200 km (Sapporo→Kushiro, 247 km: 0.45).
CLOSENESS_KM = 200.0
#: Besides the same region/prefecture, a town this close is reachable too (a neighbour across a border).
#: "none" means the expert does not travel: only towns within commuting distance are reachable.
REACH_KM: Mapping[str, float] = {"regional": 100.0, "prefecture": 50.0, "none": 30.0}

#: Capacity part = 1 - 0.5 ** remaining (1 slot → 0.5, 2 → 0.75, 3 → 0.875); 0 slots is filtered.
CAPACITY_BASE = 0.5


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Return a complete weight mapping; unknown part names or negative weights raise ``ValueError``."""
    unknown = set(weights) - set(PART_NAMES)
    if unknown or any(w < 0 for w in weights.values()):
        raise ValueError(f"weights must be non-negative and name parts of {PART_NAMES}: {dict(weights)}")
    return {name: float(weights.get(name, 0.0)) for name in PART_NAMES}
