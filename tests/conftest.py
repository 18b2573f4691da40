"""Fixtures every database suite shares; the helpers behind them are in `databases.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from databases import POSTGRES_URL, require_postgres, reset_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (not yet migrated), one of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    require_postgres()
    reset_postgres()
    return POSTGRES_URL
