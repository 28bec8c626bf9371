"""Helpers for tests that run real worker processes against the test database."""

import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

CHORUS = Path(sys.executable).with_name("chorus")


def test_database_url() -> str:
    """The URL of the database this test runs on, for a child process to open the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def child_env(tmp_path):
    """Environment for a `chorus` child process sharing this test's database, keys and (its own) broker."""
    env = {**os.environ, "DATABASE_URL": test_database_url(), "CHORUS_HOME": str(tmp_path),
           "CHORUS_SECRET_KEY": settings.SECRET_KEY, "CHORUS_FIELD_KEYS": settings.FIELD_ENCRYPTION_KEYS,
           "CHORUS_LOG_LEVEL": "WARNING"}
    env.setdefault("CELERY_BROKER_URL", f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")
    return env
