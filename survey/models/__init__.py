"""The data model (SQLModel tables) of the domain (README; docs/ARCHITECTURE.md has the map).

Conventions:
- Times are timezone-aware UTC datetimes (``utcnow()``; SQLModel's UTCDateTime refuses
  naive ones); ``Response.answered_on`` is the answer's
  *local* calendar date (SURVEY_TIMEZONE), because weeks, months and holidays are local.
- Vocabulary fields (tier, kind, status, ...) hold the string values of ``survey.core.vocab``.
- Lists and small structures (scopes, options, display conditions) are JSON columns.
- The schema itself is owned by the Alembic migrations in ``survey/migrations``; a test fails
  when these models and the migrations drift apart.
"""

# One import per capability module registers its tables on SQLModel.metadata.
from survey.models.accounts import *  # noqa: F403
from survey.models.base import utcnow as utcnow  # the clock every module stamps rows with
from survey.models.cases import *  # noqa: F403
from survey.models.collect import *  # noqa: F403
from survey.models.design import *  # noqa: F403
from survey.models.distribution import *  # noqa: F403
from survey.models.insight import *  # noqa: F403
from survey.models.jobs import *  # noqa: F403
