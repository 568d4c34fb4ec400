"""The store: the only package that speaks SQL or touches message files.

``db`` opens the database (SQLite WAL + ``synchronous=FULL``, or PostgreSQL via asyncpg)
and hands out read and write transactions; ``schema`` declares the tables; ``migrations``
holds the named Alembic revisions; ``blobs`` is the content-addressed file store;
``mailboxes`` is the one write path for folders and messages; ``changes`` is the per-account
change feed; ``search`` the full-text index; ``directory`` the tenancy tables.
"""
