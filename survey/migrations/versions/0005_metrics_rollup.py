"""Metrics rollup (issue 5): per-level answer counts, score moments and invitation counts by
local day (and week) and group, the log of refreshes, the responses' rollup_batch marker, and an index
on invitation (sent_at, status) for response rates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:16:12.919984
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate emits sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answerdaily",
        sa.Column("question_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("touch_point", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("n0", sa.Integer(), nullable=False),
        sa.Column("n1", sa.Integer(), nullable=False),
        sa.Column("n2", sa.Integer(), nullable=False),
        sa.Column("n3", sa.Integer(), nullable=False),
        sa.Column("n4", sa.Integer(), nullable=False),
        sa.Column("n5", sa.Integer(), nullable=False),
        sa.Column("n6", sa.Integer(), nullable=False),
        sa.Column("n7", sa.Integer(), nullable=False),
        sa.Column("n8", sa.Integer(), nullable=False),
        sa.Column("n9", sa.Integer(), nullable=False),
        sa.Column("n10", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "question_code", "day", "survey_id", "item_code", "region", "tier", "touch_point", "segment"
        ),
    )
    with op.batch_alter_table("answerdaily", schema=None) as batch_op:
        batch_op.create_index("ix_answerdaily_day", ["day"], unique=False)

    op.create_table(
        "answerweekly",
        sa.Column("question_code", sa.String(length=40), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("touch_point", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("n0", sa.Integer(), nullable=False),
        sa.Column("n1", sa.Integer(), nullable=False),
        sa.Column("n2", sa.Integer(), nullable=False),
        sa.Column("n3", sa.Integer(), nullable=False),
        sa.Column("n4", sa.Integer(), nullable=False),
        sa.Column("n5", sa.Integer(), nullable=False),
        sa.Column("n6", sa.Integer(), nullable=False),
        sa.Column("n7", sa.Integer(), nullable=False),
        sa.Column("n8", sa.Integer(), nullable=False),
        sa.Column("n9", sa.Integer(), nullable=False),
        sa.Column("n10", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "question_code", "week", "survey_id", "item_code", "region", "tier", "touch_point", "segment"
        ),
    )
    op.create_table(
        "invitationdaily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("touch_point", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "survey_id", "region", "tier", "touch_point", "segment"),
    )
    op.create_table(
        "invitationweekly",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("touch_point", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "survey_id", "region", "tier", "touch_point", "segment"),
    )
    op.create_table(
        "momentsdaily",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("touch_point", sa.String(length=24), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("s_overall", sa.Float(), nullable=False),
        sa.Column("s_network_quality", sa.Float(), nullable=False),
        sa.Column("s_billing", sa.Float(), nullable=False),
        sa.Column("s_business_handling", sa.Float(), nullable=False),
        sa.Column("s_fault_repair", sa.Float(), nullable=False),
        sa.Column("s_staff_attitude", sa.Float(), nullable=False),
        sa.Column("s_repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_overall__overall", sa.Float(), nullable=False),
        sa.Column("x_overall__network_quality", sa.Float(), nullable=False),
        sa.Column("x_overall__billing", sa.Float(), nullable=False),
        sa.Column("x_overall__business_handling", sa.Float(), nullable=False),
        sa.Column("x_overall__fault_repair", sa.Float(), nullable=False),
        sa.Column("x_overall__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_overall__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_network_quality__network_quality", sa.Float(), nullable=False),
        sa.Column("x_network_quality__billing", sa.Float(), nullable=False),
        sa.Column("x_network_quality__business_handling", sa.Float(), nullable=False),
        sa.Column("x_network_quality__fault_repair", sa.Float(), nullable=False),
        sa.Column("x_network_quality__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_network_quality__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_billing__billing", sa.Float(), nullable=False),
        sa.Column("x_billing__business_handling", sa.Float(), nullable=False),
        sa.Column("x_billing__fault_repair", sa.Float(), nullable=False),
        sa.Column("x_billing__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_billing__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_business_handling__business_handling", sa.Float(), nullable=False),
        sa.Column("x_business_handling__fault_repair", sa.Float(), nullable=False),
        sa.Column("x_business_handling__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_business_handling__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_fault_repair__fault_repair", sa.Float(), nullable=False),
        sa.Column("x_fault_repair__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_fault_repair__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_staff_attitude__staff_attitude", sa.Float(), nullable=False),
        sa.Column("x_staff_attitude__repeated_fault", sa.Float(), nullable=False),
        sa.Column("x_repeated_fault__repeated_fault", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("survey_id", "day", "answered", "region", "tier", "touch_point", "segment"),
    )
    with op.batch_alter_table("momentsdaily", schema=None) as batch_op:
        batch_op.create_index("ix_momentsdaily_day", ["day"], unique=False)

    op.create_table(
        "rollupbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_sent_status", ["sent_at", "status"], unique=False)

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollup_batch", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_response_rollup_batch"), ["rollup_batch"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_rollup_batch"))
        batch_op.drop_column("rollup_batch")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_sent_status")

    op.drop_table("rollupbatch")
    with op.batch_alter_table("momentsdaily", schema=None) as batch_op:
        batch_op.drop_index("ix_momentsdaily_day")

    op.drop_table("momentsdaily")
    op.drop_table("invitationweekly")
    op.drop_table("invitationdaily")
    op.drop_table("answerweekly")
    with op.batch_alter_table("answerdaily", schema=None) as batch_op:
        batch_op.drop_index("ix_answerdaily_day")

    op.drop_table("answerdaily")
