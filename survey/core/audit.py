"""The audit log: who changed surveys, sent campaigns, exported data or changed users."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from survey.models import AuditLog


def record(
    db: Session, actor: Any, action: str, entity: str = "", entity_id: Any = None,
    detail: dict | None = None,
) -> AuditLog:
    """Add an audit entry in the caller's transaction (it commits or rolls back with the change).

    ``actor`` is a User, or None for the system (CLI, jobs).
    """
    entry = AuditLog(
        user_id=getattr(actor, "id", None),
        username=getattr(actor, "username", "") or "system",
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=detail or {},
    )
    db.add(entry)
    return entry


def entries(db: Session, *, action: str | None = None, username: str | None = None, limit: int = 1000) -> list[AuditLog]:
    """Newest first, optionally for one action or one user."""
    query = select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    if username:
        query = query.where(AuditLog.username == username)
    return list(db.exec(query))


def known_actions(db: Session) -> list[str]:
    return list(db.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def known_usernames(db: Session) -> list[str]:
    return list(db.exec(select(AuditLog.username).distinct().order_by(AuditLog.username)))
