"""Helpers every table module shares: the clock and JSON column factories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import JSON, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON)


def json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON)


def json_optional() -> Any:
    return Field(default=None, sa_type=JSON, nullable=True)
