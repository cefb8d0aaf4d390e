"""Collection (issue 7): phone call attempts (callattempt), the shared form-signing secret
(serversecret), rate-limit counters for public links (ratecounter), and an index to find a
device's earlier answers (response.device_key).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:05:11.949957
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate emits sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratecounter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )
    with op.batch_alter_table("ratecounter", schema=None) as batch_op:
        batch_op.create_index("ix_ratecounter_window_start", ["window_start"], unique=False)

    op.create_table(
        "serversecret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "callattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("callback_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("callattempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callattempt_invitation_id"), ["invitation_id"], unique=False)

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index("ix_response_device_key", ["device_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_device_key")

    with op.batch_alter_table("callattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callattempt_invitation_id"))

    op.drop_table("callattempt")
    op.drop_table("serversecret")
    with op.batch_alter_table("ratecounter", schema=None) as batch_op:
        batch_op.drop_index("ix_ratecounter_window_start")

    op.drop_table("ratecounter")
