"""Persistence: SQLAlchemy 2 models and the Alembic migrations shipped inside the package.

SQLite (WAL) by default, PostgreSQL (psycopg 3) when several gateway replicas share one store::

    engine = make_engine("sqlite:///crossroads.db")      # or postgresql://user@host/crossroads
    upgrade(engine)                                        # `crossroads db upgrade`; serve does it on start
"""

from crossroads.store.engine import describe, make_engine, normalize_url
from crossroads.store.migrate import current_revision, head_revision, upgrade
from crossroads.store.models import ApiKey, AuditEntry, AuditHead, Base, BudgetUsage, LedgerRow

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "Base",
    "BudgetUsage",
    "LedgerRow",
    "current_revision",
    "describe",
    "head_revision",
    "make_engine",
    "normalize_url",
    "upgrade",
]
