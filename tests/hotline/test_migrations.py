"""The alembic migrations give exactly the schema the models declare, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from hotline import migrate
from hotline.db import Base
from hotline.settings import Settings


@pytest.fixture
def empty_database_url(base_settings: Settings, tmp_path) -> Iterator[str]:
    """A brand-new empty database of the same backend the suite runs on."""
    url = make_url(base_settings.database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"hotline_migration_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


def test_upgrade_head_gives_the_models_schema_and_downgrade_base_empties_it(empty_database_url):
    migrate.upgrade(empty_database_url)

    assert migrate.current_revision(empty_database_url) == _head_revision()
    assert _tables(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert _schema_differences(empty_database_url) == []

    migrate.downgrade(empty_database_url, "0001")
    assert migrate.current_revision(empty_database_url) == "0001"
    migrate.downgrade(empty_database_url, "base")
    assert migrate.current_revision(empty_database_url) is None
    assert _tables(empty_database_url) == {"alembic_version"}


def test_comparison_notices_a_schema_that_differs(empty_database_url):
    """The comparison above is not vacuous: a dropped index is reported."""
    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_calls_region_started_at"))
    engine.dispose()
    differences = _schema_differences(empty_database_url)
    assert [d[0] for d in differences] == ["add_index"]
    assert differences[0][1].name == "ix_calls_region_started_at"
