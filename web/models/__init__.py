"""All models, imported here so metadata and Alembic see every table."""
from web.models.api_token import ApiToken
from web.models.audit import AuditEvent
from web.models.availability import ExpertLoad, UnavailableDay
from web.models.base import Base
from web.models.calendar_token import CalendarToken
from web.models.closure import ClosureDay
from web.models.curation import CandidateCuration, ShortlistEntry
from web.models.engagement import Engagement
from web.models.expert import ExpertMode, ExpertProfile, ExpertRole, ExpertSector
from web.models.geo import Municipality, Prefecture
from web.models.issue import Issue, IssueCoOwner, IssueRole
from web.models.ledger import CapLedger
from web.models.lifecycle import IllegalTransition, Lifecycle
from web.models.login_throttle import LoginThrottle
from web.models.notification import Notification
from web.models.program import SupportProgram
from web.models.request import EngagementRequest
from web.models.user import User
from web.models.visit import Visit, VisitReport

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "CalendarToken",
    "CandidateCuration",
    "CapLedger",
    "ClosureDay",
    "Engagement",
    "EngagementRequest",
    "ExpertLoad",
    "ExpertMode",
    "ExpertProfile",
    "ExpertRole",
    "ExpertSector",
    "IllegalTransition",
    "Issue",
    "IssueCoOwner",
    "IssueRole",
    "Lifecycle",
    "LoginThrottle",
    "Municipality",
    "Notification",
    "Prefecture",
    "ShortlistEntry",
    "SupportProgram",
    "UnavailableDay",
    "User",
    "Visit",
    "VisitReport",
]
