"""All models, imported here so metadata and Alembic see every table."""
from web.models.api_token import ApiToken
from web.models.audit import AuditEvent
from web.models.base import Base
from web.models.curation import CandidateCuration, ShortlistEntry
from web.models.engagement import Engagement, EngagementRequest, Visit, VisitReport
from web.models.expert import ExpertMode, ExpertProfile, ExpertRole, ExpertSector
from web.models.geo import Municipality, Prefecture
from web.models.issue import IllegalTransition, Issue, IssueCoOwner, IssueRole
from web.models.login_throttle import LoginThrottle
from web.models.notification import Notification
from web.models.program import SupportProgram
from web.models.user import User

__all__ = [
    "ApiToken", "AuditEvent", "CandidateCuration", "ShortlistEntry", "Base", "Engagement", "EngagementRequest", "ExpertMode", "ExpertProfile", "ExpertRole",
    "ExpertSector", "IllegalTransition", "Issue", "IssueCoOwner", "IssueRole", "LoginThrottle", "Municipality", "Notification",
    "Prefecture", "SupportProgram", "User", "Visit", "VisitReport",
]
