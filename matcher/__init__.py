"""Matching of municipal DX issues with external digital experts.

A plain typed library (no web framework): Japanese text analysis with SudachiPy, TF-IDF cosine combined with
structured fit (role, sector, mode, travel, capacity), Japanese explanations, two-sided ranking,
capacity-aware assignment, joint-issue detection, persistence and a command-line interface
(``python -m matcher``). See ``docs/matching.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .assign import assign
from .exceptions import (
    DuplicateIdError,
    EmptyCorpusError,
    EmptyTextError,
    IndexFormatError,
    IndexVersionError,
    InputFormatError,
    InvalidRecordError,
    MatcherError,
    NotFittedError,
    UnknownCodeError,
    UnknownIdError,
)
from .index import Matcher
from .joint import find_joint_issues, group_terms
from .records import (
    Assignment,
    AssignmentPlan,
    Candidate,
    ExpertRecord,
    IssueRecord,
    JointGroup,
    JointPair,
    SharedTerm,
    UnassignedIssue,
)
from .text import analyze
from .weights import EXPERT_VIEW, ISSUE_VIEW

__all__ = [
    "EXPERT_VIEW",
    "ISSUE_VIEW",
    "Assignment",
    "AssignmentPlan",
    "Candidate",
    "DuplicateIdError",
    "EmptyCorpusError",
    "EmptyTextError",
    "ExpertRecord",
    "IndexFormatError",
    "IndexVersionError",
    "InputFormatError",
    "InvalidRecordError",
    "IssueRecord",
    "JointGroup",
    "JointPair",
    "Matcher",
    "MatcherError",
    "NotFittedError",
    "SharedTerm",
    "UnassignedIssue",
    "UnknownCodeError",
    "UnknownIdError",
    "__version__",
    "analyze",
    "assign",
    "find_joint_issues",
    "group_terms",
]
