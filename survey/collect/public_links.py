"""Public links for counters (a business hall's desk, a poster): anonymous answers tagged with
where the link hangs, and the QR code to print."""

from __future__ import annotations

import io

import segno
from sqlmodel import Session, select

from survey.collect.visit import SLUG_PATTERN
from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.links import public_link
from survey.core.vocab import TouchPoint
from survey.models import PublicLink, Survey

QR_SCALE = 12  # pixels per module: about 4 cm wide at 300 dpi for a short link
QR_BORDER = 4  # the quiet zone the QR standard asks for


def create_public_link(
    db: Session,
    survey: Survey,
    slug: str,
    *,
    label: str = "",
    touch_point: str | None = None,
    region: str | None = None,
    team: str | None = None,
    actor=None,
) -> PublicLink:
    slug = slug.strip().lower()
    if not SLUG_PATTERN.fullmatch(slug):
        raise Refused(key="errors.collect.bad_link_name")
    if db.exec(select(PublicLink).where(PublicLink.slug == slug)).first():
        raise Refused(key="errors.collect.link_name_taken", slug=slug)
    if touch_point is not None and touch_point not in {t.value for t in TouchPoint}:
        raise Refused(key="errors.collect.unknown_touch_point", touch_point=touch_point)
    link = PublicLink(
        slug=slug,
        survey_id=survey.id,
        label=label.strip(),
        touch_point=touch_point,
        region=(region or "").strip() or None,
        team=(team or "").strip() or None,
    )
    db.add(link)
    db.flush()
    record(db, actor, "public_link.create", "public_link", link.id, {"slug": slug, "survey": survey.code})
    return link


def links_of(db: Session, survey: Survey) -> list[PublicLink]:
    return list(db.exec(select(PublicLink).where(PublicLink.survey_id == survey.id).order_by(PublicLink.slug)))


def set_active(db: Session, link: PublicLink, active: bool, *, actor=None) -> None:
    link.active = active
    db.add(link)
    record(
        db,
        actor,
        "public_link.enable" if active else "public_link.disable",
        "public_link",
        link.id,
        {"slug": link.slug},
    )


def qr_code(link: PublicLink, kind: str = "png") -> bytes:
    """The link's QR code to print, as PNG or SVG."""
    buffer = io.BytesIO()
    segno.make(public_link(link.slug), error="m").save(buffer, kind=kind, scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()
