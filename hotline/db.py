"""Database engine, declarative base and the UTC timestamp type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names so alembic can drop and compare them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC; naive values are refused, results are always UTC-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


_WRITES_FIRST = "hotline.writes_first"


def take_write_lock_first(session: Session) -> None:
    """Make every transaction of this session take SQLite's write lock as it begins.

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" when another process committed in between (the busy timeout does not apply). A
    unit of work that will write (a POST request) takes the lock first and waits its turn.
    Other sessions, e.g. one opened for a read inside that unit, stay deferred. No effect on
    PostgreSQL.
    """
    session.info[_WRITES_FIRST] = True


# A write that changes nothing: on SQLite it takes the database's write lock (like BEGIN
# IMMEDIATE), waiting on busy_timeout for a writer of another process to finish.
_WRITE_LOCK_SQL = "UPDATE calls SET id = id WHERE 1 = 0"


def write_first(session: Session) -> None:
    """Take SQLite's write lock now, in the session's transaction; call before the first read."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(_WRITE_LOCK_SQL)


@event.listens_for(Session, "after_begin")
def _write_lock_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    if session.info.get(_WRITES_FIRST) and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_WRITE_LOCK_SQL)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings the service relies on."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling commits on RELEASE SAVEPOINT; take over
            # BEGIN ourselves so nested transactions and rollbacks behave as on PostgreSQL.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Deferred, so a reader never holds the write lock; writers wait on busy_timeout.
            connection.exec_driver_sql("BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
