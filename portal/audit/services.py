"""Recording and listing audit events."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from portal.audit.models import AuditEvent


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: object | None,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def recent(session: Session, *, limit: int = 200, action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))
