"""Service-level errors with Japanese messages that views show as they are."""
from __future__ import annotations


class ServiceError(Exception):
    """A use case was refused; `str(error)` is a Japanese message for the user.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EmailTaken(ServiceError):
    """The email address already belongs to an account."""


class NotFound(ServiceError):
    """The object does not exist, or the user may not see it (both look the same from outside)."""


class Conflict(ServiceError):
    """Someone else did the same thing at the same moment, or the object has already moved on (HTTP 409).

    ``rule`` names the rule that refused it (``program_cap``, ``expert_capacity``, ``expert_overlap``,
    ``already_answered``, ...); the API returns it in the problem document.
    """

    rule: str | None = None

    def __init__(self, message: str, field: str | None = None, *, rule: str | None = None) -> None:
        super().__init__(message, field)
        if rule is not None:
            self.rule = rule
