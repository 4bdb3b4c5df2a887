"""Plain data passed in and out of the matcher: frozen dataclasses, validated on construction."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import vocabulary as voc
from .exceptions import EmptyTextError, InvalidRecordError
from .geo import check_lat_lon, normalize_prefecture

_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_id(value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidRecordError("id", value, "id must be a non-empty string")


def _check_text(id: str, text: object) -> None:
    if not isinstance(text, str):
        raise InvalidRecordError("text", text, "text must be a string")
    if not text.strip():
        raise EmptyTextError([id])
    if _SURROGATE.search(text):
        # Not text: the tokenizer cannot encode it. The error names the record, never quotes its text.
        raise InvalidRecordError("text", id, "text contains a lone surrogate (U+D800..U+DFFF); fix the record")


def _check_float(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRecordError(name, value, "must be a finite number")
    return float(value)


def _check_tuple(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise InvalidRecordError(name, value, "must be a list of codes")
    return tuple(value)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class ExpertRecord:
    """An external expert's profile.

    Parameters
    ----------
    id : str
        Stable identifier.
    text : str
        Free Japanese profile text (skills, experience).
    roles, sectors, modes : tuple of str
        Codes from :mod:`matcher.vocabulary` (``ROLES``, ``SECTORS``, ``MODES``).
    prefecture : str, optional
        JIS X 0401 code of the home prefecture (``"01"`` = Hokkaido); ``1`` and ``"1"`` are accepted.
    lat, lon : float, optional
        Home coordinates; the prefectural office is used when absent.
    travel_range : str, optional
        ``"nationwide"``, ``"regional"``, ``"prefecture"`` or ``"none"``.
    monthly_capacity : int, optional
        Engagements (visits) the expert can take per month.
    """

    id: str
    text: str
    roles: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    prefecture: str | None = None
    lat: float | None = None
    lon: float | None = None
    travel_range: str | None = None
    monthly_capacity: int | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        _check_text(self.id, self.text)
        _set(self, "roles", voc.check_codes("roles", _check_tuple("roles", self.roles), voc.ROLES))
        _set(self, "sectors", voc.check_codes("sectors", _check_tuple("sectors", self.sectors), voc.SECTORS))
        _set(self, "modes", voc.check_codes("modes", _check_tuple("modes", self.modes), voc.MODES))
        _set(self, "prefecture", normalize_prefecture(self.prefecture))
        _set(self, "lat", _check_float("lat", self.lat))
        _set(self, "lon", _check_float("lon", self.lon))
        check_lat_lon(self.lat, self.lon)
        if self.travel_range is not None:
            voc.check_code("travel_range", self.travel_range, voc.TRAVEL_RANGES)
        cap = self.monthly_capacity
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
            raise InvalidRecordError("monthly_capacity", cap, "must be a non-negative integer")


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """A municipal DX issue (課題).

    Parameters
    ----------
    id : str
        Stable identifier.
    text : str
        Free Japanese description of the need.
    sector : str, optional
        Code from ``SECTORS``.
    wanted_roles : tuple of str
        Codes from ``ROLES``.
    stage : str, optional
        Code from ``STAGES`` (where the issue stands in the DX process).
    mode : str, optional
        ``"online"``, ``"onsite"`` or ``"hybrid"``.
    prefecture : str, optional
        JIS X 0401 code of the municipality's prefecture.
    lat, lon : float, optional
        Coordinates of the town hall.
    municipality : str, optional
        Name or code of the municipality; joint-issue detection only pairs different municipalities.
    """

    id: str
    text: str
    sector: str | None = None
    wanted_roles: tuple[str, ...] = ()
    stage: str | None = None
    mode: str | None = None
    prefecture: str | None = None
    lat: float | None = None
    lon: float | None = None
    municipality: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        _check_text(self.id, self.text)
        if self.sector is not None:
            voc.check_code("sector", self.sector, voc.SECTORS)
        roles = _check_tuple("wanted_roles", self.wanted_roles)
        _set(self, "wanted_roles", voc.check_codes("wanted_roles", roles, voc.ROLES))
        if self.stage is not None:
            voc.check_code("stage", self.stage, voc.STAGES)
        if self.mode is not None:
            voc.check_code("mode", self.mode, voc.MODES)
        _set(self, "prefecture", normalize_prefecture(self.prefecture))
        _set(self, "lat", _check_float("lat", self.lat))
        _set(self, "lon", _check_float("lon", self.lon))
        check_lat_lon(self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class SharedTerm:
    """A term both sides share; ``matched`` differs from ``term`` when linked through a synonym.

    Attributes
    ----------
    term : str
        The form seen in the query (the issue for ``rank_experts``).
    matched : str
        The form seen in the candidate.
    weight : float
        Contribution to the text cosine.
    """

    term: str
    matched: str
    weight: float

    @property
    def label(self) -> str:
        """Return 「ドローン ≈ 無人航空機」 for synonyms, the term alone otherwise."""
        return self.term if self.term == self.matched else f"{self.term} ≈ {self.matched}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked result.

    Attributes
    ----------
    id : str
        The candidate's id (an expert for ``rank_experts``, an issue for ``rank_issues``).
    score : float
        The ranking score: ``sum(weights[k] * parts[k])`` (the harmonic mean of both views when two-sided).
    parts : Mapping[str, float]
        Named parts in [0, 1]: ``text``, ``role``, ``sector``, ``mode``, ``travel``, ``capacity``.
    reasons : tuple of str
        Japanese reasons ready for the UI.
    unmet : tuple of str
        Japanese descriptions of unmet (soft) requirements.
    shared_terms : tuple of SharedTerm
        Top contributing shared terms, C-units merged with their sub-words.
    """

    id: str
    score: float
    parts: Mapping[str, float]
    reasons: tuple[str, ...] = ()
    unmet: tuple[str, ...] = ()
    shared_terms: tuple[SharedTerm, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Assignment:
    """One proposed issue → expert engagement (``role`` is set when assigning per wanted role)."""

    issue_id: str
    expert_id: str
    score: float
    role: str | None = None


@dataclass(frozen=True, slots=True)
class UnassignedIssue:
    """An issue (or one wanted role of it) left without an expert, with the reason in Japanese."""

    issue_id: str
    reason: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    """The result of :func:`matcher.assign`: assignments, unassigned issues and the total fit."""

    assignments: tuple[Assignment, ...]
    unassigned: tuple[UnassignedIssue, ...]
    total_score: float


@dataclass(frozen=True, slots=True)
class JointPair:
    """Two issues from different municipalities that describe the same need."""

    issue_a: str
    issue_b: str
    similarity: float
    shared_terms: tuple[SharedTerm, ...]


@dataclass(frozen=True, slots=True)
class JointGroup:
    """A connected group of similar issues: a candidate for one joint engagement."""

    issue_ids: tuple[str, ...]
    municipalities: tuple[str, ...]
    similarity: float
    pairs: tuple[JointPair, ...]
