"""The audit log: who changed surveys, sent campaigns, exported data or changed users.

Entries are stored as codes (``case.contacted``, ``followupcase`` 12, ``{"from": "open"}``) and
read in words in the reader's language (工单：已联系 · 工单 #12 · 原状态: 待处理): the
``audit.action.*``, ``audit.entity.*`` and ``audit.key.*`` texts of the catalog, and the
vocabulary labels of the values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from survey.core.i18n import label, t, team_label
from survey.models import AuditLog


def record(
    db: Session,
    actor: Any,
    action: str,
    entity: str = "",
    entity_id: Any = None,
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


def entries(
    db: Session,
    *,
    action: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[AuditLog]:
    """Newest first, optionally for one action, one user, and from ``since`` until before ``until``."""
    query = select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    if username:
        query = query.where(AuditLog.username == username)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    return list(db.exec(query))


def known_actions(db: Session) -> list[str]:
    return list(db.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def known_usernames(db: Session) -> list[str]:
    return list(db.exec(select(AuditLog.username).distinct().order_by(AuditLog.username)))


# ---------------------------------------------------------------- reading an entry in words

VALUE_VOCABULARY = {  # detail key -> the vocabulary its values come from
    "role": "role",
    "from": "case_status",
    "root_cause": "dimension",
    "channel": "channel",
    "outcome": "call_outcome",
    "tiers": "tier",
    "tier": "tier",
    "regions": "region",
    "region": "region",
    "touch_points": "touch_point",
    "categories": "dimension",
    "themes": "dimension",
    "priority": "cases.priority",
}


def action_text(action: str, lang: str | None) -> str:
    return label("audit.action", action, lang)


def entity_text(entity: str, entity_id: str | None, lang: str | None) -> str:
    named = label("audit.entity", entity, lang) if entity else ""
    return f"{named} #{entity_id}" if entity_id else named


def _value_text(key: str, value: Any, lang: str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return t("words.yes" if value else "words.no", lang)
    if isinstance(value, dict):
        return f"({detail_text(value, lang, separator=', ')})"
    if isinstance(value, list | tuple):
        return t("words.list_separator", lang).join(_value_text(key, item, lang) for item in value) or "—"
    if key in ("team", "old", "new") and isinstance(value, str):
        return team_label(value, lang)
    if key in VALUE_VOCABULARY:
        return label(VALUE_VOCABULARY[key], str(value), lang)
    return str(value)


def detail_text(detail: dict | None, lang: str | None, *, separator: str | None = None) -> str:
    """An entry's details as "key: value" words (用户名: zhao；角色: 质量管理)."""
    separator = t("words.separator", lang) if separator is None else separator
    return separator.join(
        f"{label('audit.key', key, lang)}: {_value_text(key, value, lang)}" for key, value in (detail or {}).items()
    )
