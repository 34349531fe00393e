"""Alembic migrations of frontdoor's tables (see models/migrate.py for how they are applied)."""
