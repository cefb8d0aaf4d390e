"""Configuration, read once from the environment.

Every setting the product reads lives here, so a deployment has one list to fill in
(README.md, "Configuration").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from survey.core.errors import Refused

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@overload
def _env(name: str, default: str) -> str: ...
@overload
def _env(name: str, default: None = None) -> str | None: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise Refused(key="errors.core.env_not_whole_number", name=name, value=value) from None


def _env_timezone(name: str, default: str) -> ZoneInfo:
    value = _env(name, default)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(key="errors.core.env_not_time_zone", name=name, value=value) from None


def _env_flag(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    timezone: ZoneInfo
    admin_password: str | None
    auto_demo: bool
    demo_responses: int
    smtp_url: str | None = None
    smtp_from: str | None = None
    sms_url: str | None = None
    sms_token: str | None = None
    # Distribution (survey.distribution.sending): see README "Configuration".
    quiet_hours: str = "21:00-08:00"
    sms_rate_per_minute: int = 600
    email_rate_per_minute: int = 600
    send_max_attempts: int = 5
    send_backoff_seconds: int = 60
    send_lease_seconds: int = 300
    phone_region: str = "CN"
    # Respondent pages (survey.web.respondent): see README "Configuration".
    secret_key: str | None = None
    public_rate_limit: int = 60
    public_repeat_hours: int = 24
    # Reverse proxies whose X-Forwarded-For / -Proto we believe (survey.core.clients): addresses or networks.
    trusted_proxies: str = ""
    # Metrics (survey.insight.metrics): VIP index weights as "dimension=weight,..."; empty = equal weights.
    vip_index_weights: str = ""
    # Scheduler (survey.jobs.scheduler): off where a dedicated `survey worker` runs the jobs.
    scheduler: bool = True
    scheduler_interval_seconds: int = 60
    extra: dict = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def truth_path(self) -> Path:
        """Where `survey demo` writes the ground truth: beside the database file."""
        if self.is_sqlite and self.database_url.startswith("sqlite:///"):
            db_file = Path(self.database_url.removeprefix("sqlite:///"))
            return (
                db_file.with_name("demo_truth.json")
                if db_file.name == "survey.db"
                else (db_file.with_name(db_file.stem + "_demo_truth.json"))
            )
        return self.data_dir / "demo_truth.json"


def load_settings() -> Settings:
    data_dir = Path(_env("SURVEY_DATA_DIR", str(PROJECT_ROOT / "data"))).resolve()
    default_url = f"sqlite:///{data_dir / 'survey.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=_env("SURVEY_DATABASE_URL", default_url),
        base_url=_env("SURVEY_BASE_URL", "http://localhost:8501").rstrip("/"),
        timezone=_env_timezone("SURVEY_TIMEZONE", "Asia/Shanghai"),
        admin_password=_env("SURVEY_ADMIN_PASSWORD"),
        # The demo (with its published logins) fills only the embedded file a first try-out
        # creates, never a database an operator configured, unless asked.
        auto_demo=_env_flag("SURVEY_AUTO_DEMO", _env("SURVEY_DATABASE_URL") is None),
        demo_responses=_env_int("SURVEY_DEMO_RESPONSES", 30000),
        smtp_url=_env("SURVEY_SMTP_URL"),
        smtp_from=_env("SURVEY_SMTP_FROM"),
        sms_url=_env("SURVEY_SMS_URL"),
        sms_token=_env("SURVEY_SMS_TOKEN"),
        quiet_hours=_env("SURVEY_QUIET_HOURS", "21:00-08:00"),
        sms_rate_per_minute=_env_int("SURVEY_SMS_RATE_PER_MINUTE", 600),
        email_rate_per_minute=_env_int("SURVEY_EMAIL_RATE_PER_MINUTE", 600),
        send_max_attempts=_env_int("SURVEY_SEND_MAX_ATTEMPTS", 5),
        send_backoff_seconds=_env_int("SURVEY_SEND_BACKOFF_SECONDS", 60),
        send_lease_seconds=_env_int("SURVEY_SEND_LEASE_SECONDS", 300),
        phone_region=_env("SURVEY_PHONE_REGION", "CN"),
        secret_key=_env("SURVEY_SECRET_KEY"),
        public_rate_limit=_env_int("SURVEY_PUBLIC_RATE_LIMIT", 60),
        public_repeat_hours=_env_int("SURVEY_PUBLIC_REPEAT_HOURS", 24),
        trusted_proxies=_env("SURVEY_TRUSTED_PROXIES", ""),
        vip_index_weights=_env("SURVEY_VIP_INDEX_WEIGHTS", ""),
        scheduler=_env_flag("SURVEY_SCHEDULER", True),
        scheduler_interval_seconds=max(1, _env_int("SURVEY_SCHEDULER_INTERVAL", 60)),
    )


def settings() -> Settings:
    """The current settings. Re-read on each call: cheap, and tests change the environment."""
    return load_settings()
