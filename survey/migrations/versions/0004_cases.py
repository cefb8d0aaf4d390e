"""Closed loop (issue 6): case rules, settings and routes, the responses the rules have seen,
comment-theme keywords and the themes found, and service changes drafted from root causes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:09:09.771931
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate emits sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caseroute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("touch_points", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "caserule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("caserule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caserule_code"), ["code"], unique=True)

    op.create_table(
        "casesetting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "themekeyword",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("phrase", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("language", "theme", "phrase"),
    )
    op.create_table(
        "casechange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_change_id", sa.Integer(), nullable=False),
        sa.Column("root_cause", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_change_id"],
            ["servicechange.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_change_id"),
    )
    with op.batch_alter_table("casechange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_casechange_root_cause"), ["root_cause"], unique=False)

    op.create_table(
        "commenttheme",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
        ),
        sa.PrimaryKeyConstraint("answer_id", "theme"),
    )
    with op.batch_alter_table("commenttheme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commenttheme_response_id"), ["response_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commenttheme_version"), ["version"], unique=False)

    op.create_table(
        "responsecheck",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["followupcase.id"],
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
        ),
        sa.PrimaryKeyConstraint("response_id"),
    )


def downgrade() -> None:
    op.drop_table("responsecheck")
    with op.batch_alter_table("commenttheme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commenttheme_version"))
        batch_op.drop_index(batch_op.f("ix_commenttheme_response_id"))

    op.drop_table("commenttheme")
    with op.batch_alter_table("casechange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casechange_root_cause"))

    op.drop_table("casechange")
    op.drop_table("themekeyword")
    op.drop_table("casesetting")
    with op.batch_alter_table("caserule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caserule_code"))

    op.drop_table("caserule")
    op.drop_table("caseroute")
