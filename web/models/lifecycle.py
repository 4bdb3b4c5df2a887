"""One state-machine mixin for every model with a `status` lifecycle (issues, requests, engagements, visits)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar


class IllegalTransition(ValueError):
    """Raised when a record is asked to move to a status its lifecycle does not allow.

    The message is Japanese and names the kind of record and both statuses, e.g.
    「課題の状態を「下書き」から「完了」に変更することはできません。」
    """

    def __init__(self, current: str, target: str, *, subject: str, labels: Mapping[str, str]) -> None:
        self.current, self.target = current, target
        super().__init__(
            f"{subject}の状態を「{labels.get(current, current)}」から"
            f"「{labels.get(target, target)}」に変更することはできません。"
        )


class Lifecycle:
    """Mixin for a model whose `status` column follows a fixed state machine.

    A subclass sets three class attributes:
    - TRANSITIONS: every status → the statuses it may move to (a final status maps to an empty set);
    - STATUS_LABELS: every status → its Japanese label (the code table in web/codes.py);
    - SUBJECT: the Japanese name of the record, used in the refusal message (課題, 依頼, ...).
    The tables are checked when the class is defined: each status has a label and a row, and every target exists.
    `transition_to` is the only way the application changes a status; a subclass may extend it (Issue records
    its publication time) but always calls the mixin's version first.
    """

    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]]
    STATUS_LABELS: ClassVar[Mapping[str, str]]
    SUBJECT: ClassVar[str]

    if TYPE_CHECKING:
        status: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        statuses = set(cls.STATUS_LABELS)
        if set(cls.TRANSITIONS) != statuses:
            raise TypeError(f"{cls.__name__}.TRANSITIONS must have one row per status: {sorted(statuses)}")
        unknown = set().union(*cls.TRANSITIONS.values()) - statuses
        if unknown:
            raise TypeError(f"{cls.__name__}.TRANSITIONS names unknown statuses: {sorted(unknown)}")

    @classmethod
    def sources_of(cls, target: str) -> frozenset[str]:
        """Return the statuses from which `target` may be reached (for compare-and-swap UPDATE … WHERE)."""
        return frozenset(source for source, targets in cls.TRANSITIONS.items() if target in targets)

    @property
    def next_statuses(self) -> frozenset[str]:
        """Return the statuses this record may move to now (empty when its status is final)."""
        return self.TRANSITIONS.get(self.status, frozenset())

    def can_transition_to(self, target: str) -> bool:
        return target in self.next_statuses

    def transition_to(self, target: str) -> None:
        """Move to `target`, or raise IllegalTransition with a Japanese message (the status is left as it was)."""
        if not self.can_transition_to(target):
            raise IllegalTransition(self.status, target, subject=self.SUBJECT, labels=self.STATUS_LABELS)
        self.status = target

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]
