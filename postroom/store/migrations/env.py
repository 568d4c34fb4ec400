"""Alembic environment: runs on the connection that ``postroom.store.db`` hands over.

Migrations are applied by ``postroom migrate`` and automatically at ``postroom serve``;
there is no alembic.ini: ``db._alembic_config`` passes the connection in
``config.attributes["connection"]``.
"""

from alembic import context

from postroom.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
