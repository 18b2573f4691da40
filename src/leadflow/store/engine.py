"""Connections and transactions: one `Store` per process, built from the settings.

SQLite (the embedded default) runs in WAL mode: readers never wait for the writer, and a writing
transaction starts with BEGIN IMMEDIATE, so it holds the write lock from its first statement
instead of failing halfway when it tries to upgrade. The threads of one process also queue for
writing on a lock of their own: SQLite's busy handler makes a waiting writer sleep with a
back-off of up to 100 ms while newcomers pass it, which gave a p99 of a second under load;
`busy_timeout` stays for writers in other processes (the CLI next to a server). PostgreSQL
needs none of this: routing serializes on a row lock (`routing_clock ... FOR UPDATE`), which
queues fairly, and everything else is ordinary READ COMMITTED.

JSON columns are encoded with orjson: decision records are the largest thing written.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from leadflow.settings import Settings


def make_engine(settings: Settings) -> Engine:
    json = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if not settings.is_sqlite:
        return create_engine(
            settings.database_url,
            pool_size=settings.pool_size,
            max_overflow=settings.pool_size,
            pool_pre_ping=True,
            **json,
        )
    engine = create_engine(settings.database_url, connect_args={"check_same_thread": False}, **json)
    synchronous = settings.sqlite_synchronous

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own: we do
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        _use_wal(cursor)
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        # A commit that finds the log over this many pages checkpoints it, with every request
        # queued behind it waiting; the server checkpoints every second off the request path
        # (Store.checkpoint), so this is only a backstop for the CLI and for bursts.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _use_wal(cursor: Any) -> None:
    """Put the database file in WAL mode (it stays so: later connections only check).

    SQLite does not wait on its busy handler to switch a file into WAL while another process
    holds a lock on it, which happens only while a new database is being created by two
    processes at once (two servers starting): retry for a few seconds instead of failing.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


class Store:
    """The database of one process: `writing()` and `reading()` transactions."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._write = sessionmaker(bind=writer, expire_on_commit=False)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that may write: committed when the block ends, rolled back on error."""
        with self._writer or nullcontext(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def trying(self) -> Iterator[Session]:
        """A writing transaction that is always rolled back: a dry run that sees its own writes
        and leaves nothing. It holds the writer (SQLite) until it ends, as `writing` does."""
        with self._writer or nullcontext(), self._write() as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def checkpoint(self) -> None:
        """Move SQLite's write-ahead log into the database without blocking any writer."""
        if self.is_sqlite:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self.engine.dispose()
