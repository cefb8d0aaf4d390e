"""What the pages ask about personal data: how a customer's details show to a role, finding a
customer, and erasing one (admins only).

Each function opens its own transaction, takes plain values and returns values that stay valid
once the session is closed. The masking rules are re-exported: they are pure functions and
the pages that show a customer apply them for the viewer's role.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from survey.accounts.auth import AuthError, acting_user
from survey.core import db as database
from survey.core.filters import Filters
from survey.core.vocab import Role
from survey.privacy import erasure, export
from survey.privacy.erasure import Contact, Erasure, contact_for, text_for

__all__ = [
    "AuthError",
    "Contact",
    "CustomerMatch",
    "Erasure",
    "contact_for",
    "erase_customer",
    "find_customers",
    "text_for",
    "EXPORT_FORMATS",
    "ExportFile",
    "export_responses",
]


@dataclass(frozen=True)
class CustomerMatch:
    id: int
    external_id: str
    name: str | None
    phone: str | None
    email: str | None
    tier: str
    region: str
    erased_at: datetime | None


def find_customers(text: str) -> list[CustomerMatch]:
    """Customers whose external id, phone, email or name contains `text` (nothing for no text)."""
    with database.session() as db:
        return [
            CustomerMatch(c.id, c.external_id, c.name, c.phone, c.email, c.tier, c.region, c.erased_at)
            for c in erasure.find_customers(db, text)
        ]


def erase_customer(actor_id: int, external_id: str) -> Erasure:
    """Erase one customer's personal data, all or nothing; only an admin may."""
    with database.session() as db:
        actor = acting_user(db, actor_id)
        if actor.role != Role.ADMIN:
            raise AuthError(key="errors.privacy.admins_erase")
        return erasure.erase_customer(db, external_id, actor=actor)


# ---------------------------------------------------------------- response export

EXPORT_FORMATS = export.FORMATS


@dataclass(frozen=True)
class ExportFile:
    """A finished export, held in memory for a download."""

    name: str
    data: bytes
    file_format: str  # csv | xlsx
    rows: int


def export_responses(actor_id: int, filters: Filters, file_format: str, *, with_contact: bool = False) -> ExportFile:
    """The responses within the filters as CSV or Excel, with the customer's contact if asked
    (masked as the actor's role sees it); the export is in the audit log under the actor's name."""
    name = f"responses_{filters.start or 'first'}_{filters.end or 'last'}.{file_format}"
    with tempfile.TemporaryDirectory(prefix="survey-export-") as folder, database.session() as db:
        actor = acting_user(db, actor_id)
        out = Path(folder) / name
        rows = export.write_export(
            db, filters, out, file_format, actor=actor, role=actor.role, with_contact=with_contact
        )
        return ExportFile(name, out.read_bytes(), file_format, rows)
