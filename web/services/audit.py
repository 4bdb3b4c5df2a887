"""Write audit events; identifiers only, never personal data such as emails or passwords."""
from __future__ import annotations

import logging
from typing import Any

from web.extensions import db
from web.models import AuditEvent

audit_logger = logging.getLogger("web.audit")


def record(action: str, actor_id: int | None = None, object_type: str | None = None,
           object_id: object = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the session and mirror it to the audit log."""
    event = AuditEvent(
        action=action, actor_id=actor_id, object_type=object_type,
        object_id=None if object_id is None else str(object_id), detail=detail,
    )
    db.session.add(event)
    audit_logger.info("%s actor=%s object=%s:%s", action, actor_id, object_type, object_id)
    return event
