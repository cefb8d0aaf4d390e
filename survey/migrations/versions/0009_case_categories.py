"""case categories: a case's root-cause category, and routes that follow it (issue 11)

A billing complaint after a repair goes to whoever handles billing: routes may name the
root-cause categories they take, and each case keeps the category it was routed by. Existing
routes take every category (an empty list), as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate emits sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("caseroute", schema=None) as batch_op:
        batch_op.add_column(sa.Column("categories", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("followupcase", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followupcase", schema=None) as batch_op:
        batch_op.drop_column("category")
    with op.batch_alter_table("caseroute", schema=None) as batch_op:
        batch_op.drop_column("categories")
