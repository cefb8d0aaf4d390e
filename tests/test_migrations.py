"""The schema comes from Alembic migrations, on both backends, and matches the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import survey.models  # noqa: F401
from survey.core import db as database

EXPECTED_TABLES = {
    "customer",
    "serviceevent",
    "survey",
    "surveyversion",
    "question",
    "campaign",
    "invitation",
    "response",
    "answer",
    "servicechange",
    "followupcase",
    "followupcaseevent",
    "user",
    "auditlog",
    "publiclink",
}


def test_upgrade_from_empty_creates_every_table(db_url):
    tables = set(sa.inspect(database.get_engine(db_url)).get_table_names())
    assert tables >= EXPECTED_TABLES
    assert database.current_revisions(db_url) == database.head_revisions()


def test_migrations_form_one_line_of_history():
    """Two heads would make `alembic upgrade head` refuse to run on an operator's database."""
    assert len(database.head_revisions()) == 1


def test_models_and_migrations_do_not_drift(db_url):
    with database.get_engine(db_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], f"models differ from migrations; add a migration: {differences}"


def test_upgrade_is_idempotent(db_url):
    database.upgrade(db_url)
    database.upgrade(db_url)
    assert database.current_revisions(db_url) == database.head_revisions()


def test_one_response_per_invitation_is_enforced_by_the_database(db_url):
    columns = sa.inspect(database.get_engine(db_url)).get_unique_constraints("response")
    indexes = sa.inspect(database.get_engine(db_url)).get_indexes("response")
    unique_columns = [c["column_names"] for c in columns] + [i["column_names"] for i in indexes if i["unique"]]
    assert ["invitation_id"] in unique_columns


def test_dashboard_indexes_exist(db_url):
    indexed = {tuple(i["column_names"]) for i in sa.inspect(database.get_engine(db_url)).get_indexes("response")}
    assert ("survey_id", "answered_on") in indexed
    assert ("region", "answered_on") in indexed
    assert ("tier", "answered_on") in indexed
    assert ("answered_on",) in indexed


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with database.get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.get_engine(url).dispose()
