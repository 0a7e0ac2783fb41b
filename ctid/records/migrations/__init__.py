"""Alembic migrations of the records database (run by ``ctid db upgrade``)."""
