"""Alembic environment: always run programmatically by incidents.store with an open
connection in ``config.attributes["connection"]``; the caller owns the transaction."""

from __future__ import annotations

from alembic import context

from incidents.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with `drillbit log migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
