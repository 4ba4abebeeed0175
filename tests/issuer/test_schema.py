"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from issuer.db import Base, make_engine
from issuer.schema import upgrade
from tests.issuer.conftest import database_url


def test_migrations_match_the_models_and_are_idempotent(tmp_path):
    with database_url(tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        upgrade(engine)  # a second run changes nothing
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        engine.dispose()
    assert diff == []
