"""Candidate filters requested by the caller (roles, sectors, excluded ids) as boolean masks over slots."""

from __future__ import annotations

from collections.abc import Collection as AbstractCollection
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import vocabulary as voc
from .collection import Collection


def _mask_of(codes: AbstractCollection[str] | None, allowed: Mapping[str, str], field: str) -> int | None:
    return None if codes is None else voc.bitmask(voc.check_codes(field, codes, allowed), allowed)


def expert_filter(
    experts: Collection,
    roles: AbstractCollection[str] | None,
    sectors: AbstractCollection[str] | None,
    exclude: AbstractCollection[str],
) -> Any:
    """Return a mask of experts having one of ``roles`` and ``sectors`` (when given) and not in ``exclude``."""
    keep: Any = True
    role_mask, sector_mask = _mask_of(roles, voc.ROLES, "roles"), _mask_of(sectors, voc.SECTORS, "sectors")
    if role_mask is not None:
        keep = keep & ((experts.columns["role_mask"] & role_mask) != 0)
    if sector_mask is not None:
        keep = keep & ((experts.columns["sector_mask"].astype(np.int64) & sector_mask) != 0)
    return _exclude(experts, exclude, keep)


def issue_filter(
    issues: Collection, sectors: AbstractCollection[str] | None, exclude: AbstractCollection[str]
) -> Any:
    """Return a mask of issues in one of ``sectors`` (when given) and not in ``exclude``."""
    keep: Any = True
    if sectors is not None:
        wanted = [list(voc.SECTORS).index(s) for s in voc.check_codes("sectors", sectors, voc.SECTORS)]
        keep = np.isin(issues.columns["sector"], wanted)
    return _exclude(issues, exclude, keep)


def _exclude(collection: Collection, exclude: AbstractCollection[str], keep: Any) -> Any:
    slots = [collection.slots[id] for id in exclude if id in collection.slots]
    if not slots:
        return keep
    mask = np.ones(collection.n_slots, dtype=bool) & keep
    mask[slots] = False
    return mask
