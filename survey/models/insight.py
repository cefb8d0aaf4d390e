"""Tables of the metrics rollup (kept current by ``survey.insight.rollup``).

Dashboards read these instead of raw answers (docs/ARCHITECTURE.md, "The life of a response"): their size
depends on days x groups, not on the number of responses.  Every row is keyed by a local
day and the groups a response snapshots (survey, region, tier, touch point, segment; an
unknown group is stored as '' so keys stay unique on both backends), and carries its ISO
week (Monday) and month (first day) so grouping by period needs no date functions.

- ``answerdaily``: how many answers of each numeric question fell on each level 0..10
  (every numeric question type's scale lies within 0..10, see ``survey.design.question_types``);
  ``answerweekly`` holds the same counts by ISO week.
- ``momentsdaily``: for the 0-100 scores of the overall question and the service
  dimensions (plus the repeated-fault flag) of each response, the count, sums and sums of
  cross-products, per set of scores answered (``answered``, a bit mask over
  ``MOMENT_VARIABLES``): enough for composites with honest intervals and key drivers.
- ``invitationdaily``: invitations delivered and completed by local sent day, survey, the
  customer's tier, region and segment and the event's touch point, for response rates and
  the weighting margins; ``invitationweekly`` holds the same by ISO week.
- ``rollupbatch``: one row per refresh that changed the rollup; its newest id is the data
  version that dashboard caches are keyed on.

Core tables rather than SQLModel classes: nothing reads them as objects, and the moment
columns are generated from ``MOMENT_VARIABLES``.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import combinations_with_replacement

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey.models.base import json_list, utcnow
from survey.models.distribution import Invitation


class ServiceChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="service_change", max_length=16)
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    changed_on: date = Field(index=True)
    ends_on: date | None = None  # for external events with a duration
    regions: list = json_list()  # empty = all
    touch_points: list = json_list()
    tiers: list = json_list()
    dimension: str | None = Field(default=None, max_length=32)
    question_code: str | None = Field(default=None, max_length=40)
    survey_code: str | None = Field(default=None, max_length=40)
    owner: str = Field(default="", max_length=120)
    expected_effect: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


LEVELS = tuple(range(11))
LEVEL_COLUMNS = tuple(f"n{level}" for level in LEVELS)
# The scores kept per response: the overall question, each service dimension, and
# 'repeated_fault' (100 = no repeated-fault service event in the 90 days before answering).
MOMENT_VARIABLES = (
    "overall",
    "network_quality",
    "billing",
    "business_handling",
    "fault_repair",
    "staff_attitude",
    "repeated_fault",
)
SUM_COLUMNS = tuple(f"s_{v}" for v in MOMENT_VARIABLES)
CROSS_PAIRS = tuple(combinations_with_replacement(range(len(MOMENT_VARIABLES)), 2))
CROSS_COLUMNS = tuple(f"x_{MOMENT_VARIABLES[i]}__{MOMENT_VARIABLES[j]}" for i, j in CROSS_PAIRS)
GROUP_COLUMNS = ("region", "tier", "touch_point", "segment")


def _group_columns() -> list[sa.Column]:
    return [
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("tier", sa.String(16), primary_key=True),
        sa.Column("touch_point", sa.String(24), primary_key=True),
        sa.Column("segment", sa.String(32), primary_key=True),
    ]


def _period_columns() -> list[sa.Column]:
    return [sa.Column("week", sa.Date, nullable=False), sa.Column("month", sa.Date, nullable=False)]


answer_daily = sa.Table(
    "answerdaily",
    SQLModel.metadata,
    sa.Column("question_code", sa.String(40), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("survey_id", sa.Integer, primary_key=True),
    sa.Column("item_code", sa.String(40), primary_key=True),
    *_group_columns(),
    *_period_columns(),
    *(sa.Column(name, sa.Integer, nullable=False) for name in LEVEL_COLUMNS),
    sa.Index("ix_answerdaily_day", "day"),
)

# The same counts by ISO week: long trends read a fifth of the rows.  A range that cuts
# weeks reads its whole weeks here and its edge days from answerdaily (survey.insight.metrics).
answer_weekly = sa.Table(
    "answerweekly",
    SQLModel.metadata,
    sa.Column("question_code", sa.String(40), primary_key=True),
    sa.Column("week", sa.Date, primary_key=True),
    sa.Column("survey_id", sa.Integer, primary_key=True),
    sa.Column("item_code", sa.String(40), primary_key=True),
    *_group_columns(),
    *(sa.Column(name, sa.Integer, nullable=False) for name in LEVEL_COLUMNS),
)

moments_daily = sa.Table(
    "momentsdaily",
    SQLModel.metadata,
    sa.Column("survey_id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("answered", sa.Integer, primary_key=True),
    *_group_columns(),
    *_period_columns(),
    sa.Column("n", sa.Integer, nullable=False),
    *(sa.Column(name, sa.Float, nullable=False) for name in SUM_COLUMNS + CROSS_COLUMNS),
    sa.Index("ix_momentsdaily_day", "day"),
)

invitation_daily = sa.Table(
    "invitationdaily",
    SQLModel.metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("survey_id", sa.Integer, primary_key=True),
    *_group_columns(),
    *_period_columns(),
    sa.Column("delivered", sa.Integer, nullable=False),  # sent and not failed
    sa.Column("completed", sa.Integer, nullable=False),
)

invitation_weekly = sa.Table(
    "invitationweekly",
    SQLModel.metadata,
    sa.Column("week", sa.Date, primary_key=True),
    sa.Column("survey_id", sa.Integer, primary_key=True),
    *_group_columns(),
    sa.Column("delivered", sa.Integer, nullable=False),
    sa.Column("completed", sa.Integer, nullable=False),
)

rollup_batch = sa.Table(
    "rollupbatch",
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # responses | invitations | rebuild
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),  # responses counted, or invitation rows written
    sa.Column("window_start", sa.Date, nullable=True),  # invitations: first local day rewritten
    sa.Column("signature", sa.Text, nullable=True),  # invitations: what the window held
)

# Response rates count invitations by the day they were sent: the refresh of recent days
# and the change check read this index only.
sa.Index("ix_invitation_sent_status", Invitation.__table__.c.sent_at, Invitation.__table__.c.status)
