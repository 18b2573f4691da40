"""All configuration in one validated object, read from `LEADFLOW_*` environment variables.

Nothing reads the environment anywhere else: `Settings()` is built once, at the edge (the CLI,
a test), and passed down to `create_app(settings)` and the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'leadflow.sqlite'}",
        description="SQLAlchemy URL: sqlite:///PATH (default: ./leadflow.sqlite, WAL mode) or "
        "postgresql+psycopg://USER@HOST:PORT/DB.",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="FULL: every acknowledged lead survives a power cut (an fsync per commit). "
        "NORMAL: survives a crash of the process, not of the machine; faster.",
    )
    max_body_bytes: int = Field(default=256 * 1024, description="Larger requests get 413.")
    max_import_bytes: int = Field(
        default=2 * 1024**3, description="A CSV import's largest body (streamed to disk)."
    )
    pool_size: int = Field(default=10, description="Database connections per process.")
    held_check_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often the server places held leads that time alone has freed (working "
        "hours began, time off ended, a new day under a cap); 0: never.",
    )
    log_level: str = "info"

    # Links in messages, and the links that let a rep act from an email.
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people reach this server: the base of links in notifications.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs the action links in emails. Unset: a random key is made once and "
        "kept in the database, so links survive restarts.",
    )
    action_link_hours: float = Field(default=72.0, gt=0, description="Action links expire.")
    session_idle_minutes: float = Field(
        default=12 * 60,
        gt=0,
        description="A console session that has not been used for this long ends (sign in again).",
    )

    # Email (the `email` channel and acknowledgments to prospects).
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "leadflow <leadflow@localhost>"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0

    templates_dir: Path | None = Field(
        default=None,
        description="A directory of Jinja2 templates that replace the packaged ones by name.",
    )
    http_timeout: float = Field(default=10.0, gt=0, description="Slack, Teams, webhooks.")

    report_processes: int = Field(
        default=0,
        ge=0,
        description="Child processes that answer reports, so they do not slow intake "
        "(`leadflow serve` sets 1 unless --report-processes says otherwise); 0: in the server.",
    )

    # The worker: deadlines, reminders and deliveries.
    in_process_worker: bool = Field(
        default=False,
        description="The server runs a worker of its own (`leadflow serve` sets this unless "
        "--no-worker).",
    )
    worker_poll_seconds: float = Field(default=0.2, gt=0, description="Idle wait between looks.")
    worker_batch: int = Field(default=100, ge=1, description="Due rows claimed at once.")
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Rows a worker claimed and did not finish (it died) run again after this.",
    )
    delivery_attempts: int = Field(default=8, ge=1, description="Tries before a row is dead.")
    delivery_backoff_seconds: float = Field(
        default=10.0, gt=0, description="First retry delay; doubled each try, at most 1 hour."
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql+psycopg://", "postgresql://")):
            raise ValueError(
                "LEADFLOW_DATABASE_URL must start with sqlite:// or postgresql+psycopg://"
            )
        if url.startswith("postgresql://"):
            return "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
