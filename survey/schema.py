"""Imports every module that defines tables, so SQLModel.metadata holds the whole schema.

Alembic's env and the drift test import this; a new feature module with tables adds one line.
"""

from survey import models  # noqa: F401
from survey import distribution_models  # noqa: F401
from survey import collection_models  # noqa: F401
from survey import metrics_models  # noqa: F401
from survey import cases_models  # noqa: F401
