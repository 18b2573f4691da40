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
    pool_size: int = Field(default=10, description="Database connections per process.")
    held_check_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often the server places held leads that time alone has freed (working "
        "hours began, time off ended, a new day under a cap); 0: never.",
    )
    log_level: str = "info"

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
