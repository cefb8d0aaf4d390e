"""Personal data: who sees it unmasked, and erasing a customer.

- Masking: executives see phone numbers as ``133****5678`` (and names and emails shortened)
  wherever a customer can reach them: the cases view, the exports they run, a customer's
  details, phone numbers typed into comments. ``mask_phone`` is the one rule for phones.
- Erasure (admins): the customer's name, phone, email and external id are replaced
  (``erased-<id>``), the free text of their answers is redacted, case notes and call notes are
  cleared, the message records that could hold an address or a text are purged, their
  invitations' saved drafts are emptied and audit details naming them are scrubbed. Responses,
  numeric and choice answers, tiers and regions stay, tied to the anonymous stub, so every
  statistic stays as it was. The customer is never contacted again (opted out, pending
  messages skipped).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.vocab import Role
from survey.models import (
    Answer,
    AuditLog,
    CallAttempt,
    Customer,
    Delivery,
    DeliveryStatus,
    FollowUpCase,
    FollowUpCaseEvent,
    Invitation,
    Response,
    utcnow,
)

REDACTED = "[erased]"
CN_MOBILE = re.compile(r"^(\+?86[- ]?)?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})$")
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?\d[\d -]{5,}\d)(?!\d)")
FULL_CONTACT_ROLES = (Role.ADMIN, Role.QUALITY, Role.AGENT)


# ---------------------------------------------------------------- masking


def mask_phone(phone: str | None) -> str | None:
    """133****5678: the first three and the last four digits of a mobile; shorter numbers keep
    only their last two digits."""
    if not phone:
        return phone
    text = phone.strip()
    mobile = CN_MOBILE.match(text)
    if mobile:
        prefix = (mobile.group(1) or "").strip(" -")
        return f"{prefix + ' ' if prefix else ''}{mobile.group(2)}****{mobile.group(4)}"
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 8:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[:1] + "*" * min(max(len(name) - 1, 1), 3)


def mask_phones_in_text(text: str | None) -> str | None:
    """Phone numbers a customer typed into a comment, masked."""
    if not text:
        return text
    return PHONE_IN_TEXT.sub(
        lambda m: mask_phone(m.group(0)) if len(re.sub(r"\D", "", m.group(0))) >= 7 else m.group(0), text
    )


def sees_full_contact(role: str) -> bool:
    """Staff who call customers see their details; executives see them masked."""
    return role in FULL_CONTACT_ROLES


@dataclass(frozen=True)
class Contact:
    name: str | None
    phone: str | None
    email: str | None


def contact_for(role: str, name: str | None, phone: str | None, email: str | None = None) -> Contact:
    """A customer's contact details as a user of this role may see them."""
    if sees_full_contact(role):
        return Contact(name, phone, email)
    return Contact(mask_name(name), mask_phone(phone), mask_email(email))


def text_for(role: str, text: str | None) -> str | None:
    """Free text as a user of this role may see it (phone numbers in it masked for executives)."""
    return text if sees_full_contact(role) else mask_phones_in_text(text)


# ---------------------------------------------------------------- erasure


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    responses: int  # kept, now anonymous
    answers_redacted: int
    cases: int
    messages_purged: int
    audit_entries_scrubbed: int


def erase_customer(db: Session, external_id: str, *, actor=None, now: datetime | None = None) -> Erasure:
    """Erase one customer's personal data (see the module docstring); all or nothing."""
    from survey.cases.themes import free_text_answers

    now = now or utcnow()
    customer = db.execute(
        sa.select(Customer).where(Customer.external_id == external_id).with_for_update()
    ).scalar_one_or_none()
    if customer is None:
        raise Refused(key="errors.privacy.no_customer", external_id=external_id)
    if customer.erased_at is not None:
        raise Refused(
            key="errors.privacy.already_erased", external_id=external_id, day=f"{customer.erased_at:%Y-%m-%d}"
        )
    identifiers = [v for v in (customer.external_id, customer.name, customer.phone, customer.email) if v]
    stub = f"erased-{customer.id}"
    customer.external_id, customer.name, customer.phone, customer.email = stub, None, None, None
    customer.opted_out, customer.opted_out_at = True, customer.opted_out_at or now
    customer.erased_at = customer.updated_at = now
    db.add(customer)
    db.flush()

    responses = sa.select(Response.id).where(Response.customer_id == customer.id)
    free_text = free_text_answers().where(Response.customer_id == customer.id).with_only_columns(Answer.id)
    redacted = db.execute(sa.update(Answer).where(Answer.id.in_(free_text)).values(value_text=REDACTED)).rowcount
    db.execute(sa.update(Response).where(Response.id.in_(responses)).values(device_key=None))
    invitations = sa.select(Invitation.id).where(Invitation.customer_id == customer.id)
    db.execute(sa.update(Invitation).where(Invitation.id.in_(invitations)).values(draft={}, last_error=None))
    db.execute(
        sa.update(Delivery)
        .where(Delivery.invitation_id.in_(invitations), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED)
    )
    purged = db.execute(
        sa.update(Delivery).where(Delivery.invitation_id.in_(invitations)).values(last_error=None, provider_id=None)
    ).rowcount
    db.execute(sa.update(CallAttempt).where(CallAttempt.invitation_id.in_(invitations)).values(note=""))
    case_ids = sa.select(FollowUpCase.id).where(FollowUpCase.customer_id == customer.id)
    cases = db.execute(sa.update(FollowUpCase).where(FollowUpCase.id.in_(case_ids)).values(notes="")).rowcount
    db.execute(sa.update(FollowUpCaseEvent).where(FollowUpCaseEvent.case_id.in_(case_ids)).values(note=""))
    db.execute(
        sa.update(FollowUpCaseEvent)
        .where(FollowUpCaseEvent.case_id.in_(case_ids), FollowUpCaseEvent.field == "note")
        .values(old_value=None, new_value=None)
    )
    scrubbed = _scrub_audit(db, identifiers, stub)
    answered = db.execute(sa.select(sa.func.count()).select_from(responses.subquery())).scalar_one()
    record(
        db,
        actor,
        "customer.erase",
        "customer",
        customer.id,
        {"customer": stub, "responses_kept": answered, "answers_redacted": redacted},
    )
    return Erasure(customer.id, answered, redacted, cases, purged, scrubbed)


def _json_forms(value: str) -> set[str]:
    """How a string may appear inside stored JSON text (escaped or not)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def _scrub_audit(db: Session, identifiers: list[str], stub: str) -> int:
    """Replace the customer's identifiers in audit details (the entry stays: who did what, when)."""
    if not identifiers:
        return 0
    as_text = sa.cast(AuditLog.detail, sa.Text)
    patterns = [as_text.contains(form, autoescape=True) for value in identifiers for form in _json_forms(value)]
    entries = db.execute(sa.select(AuditLog).where(sa.or_(*patterns))).scalars().all()
    for entry in entries:
        entry.detail = _replace(entry.detail, identifiers, stub)
        db.add(entry)
    return len(entries)


def _replace(value, identifiers: list[str], stub: str):
    if isinstance(value, str):
        for identifier in identifiers:
            value = value.replace(identifier, stub)
        return value
    if isinstance(value, dict):
        return {k: _replace(v, identifiers, stub) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, identifiers, stub) for v in value]
    return value


def find_customers(db: Session, text: str, limit: int = 20) -> list[Customer]:
    """Customers whose external id, phone, email or name contains `text` (the admin's search)."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = f"%{text}%"
    return list(
        db.execute(
            sa.select(Customer)
            .where(
                sa.or_(
                    Customer.external_id.like(pattern),
                    Customer.phone.like(pattern),
                    Customer.email.like(pattern),
                    Customer.name.like(pattern),
                )
            )
            .order_by(Customer.id)
            .limit(limit)
        ).scalars()
    )
