"""What happens when the product starts: reach the database, migrate, first admin, demo data.

The demo loads by itself only into the default embedded SQLite file (SURVEY_AUTO_DEMO, see
survey.core.config), and every start warns on stderr while a demo login still has its
published password.
"""

from __future__ import annotations

import logging
import sys
import threading

from sqlmodel import select

from survey.accounts.auth import ensure_first_admin
from survey.core import db as database
from survey.core.config import settings
from survey.core.i18n import t
from survey.models import Customer, Survey

log = logging.getLogger(__name__)
_prepared: set[str] = set()
_lock = threading.Lock()


def is_empty(url: str | None = None) -> bool:
    """No surveys and no customers: a database nobody has used yet."""
    with database.session(url) as db:
        return (
            db.exec(select(Survey.id).limit(1)).first() is None
            and db.exec(select(Customer.id).limit(1)).first() is None
        )


def prepare(url: str | None = None, *, auto_demo: bool | None = None) -> None:
    """Make the database ready to serve; idempotent and cheap after the first call per process.

    Raises survey.core.db.DatabaseError (one readable line) when the URL is bad or the server is down.
    """
    config = settings()
    key = url or config.database_url
    with _lock:
        if key in _prepared:
            return
        database.upgrade(url)
        with database.session(url) as db:
            if ensure_first_admin(db, config.admin_password):
                log.info("created user 'admin' from SURVEY_ADMIN_PASSWORD")
        if (config.auto_demo if auto_demo is None else auto_demo) and is_empty(url):
            from survey import demo

            log.info("empty database: loading demo data (%s responses)", config.demo_responses)
            demo.generate(url)
        _warn_about_demo_logins(url)
        _prepared.add(key)


def _warn_about_demo_logins(url: str | None) -> None:
    from survey.demo.generate import demo_logins_in_use

    with database.session(url) as db:
        usernames = demo_logins_in_use(db)
    if usernames:
        print(
            f"survey: warning: {t('startup.demo_logins', 'en', users=', '.join(usernames))}",
            file=sys.stderr,
            flush=True,
        )


def forget_prepared() -> None:
    """Tests: make the next prepare() run again."""
    with _lock:
        _prepared.clear()
