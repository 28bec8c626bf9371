"""Network tokens at rest (PLAT-4): a JSON field encrypted with MultiFernet, keys from settings."""

import json

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS.split(",") if k.strip()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


class EncryptedJSONField(models.TextField):
    """Stores a dict as a Fernet token; the plain value never reaches the database or its dumps."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(_fernet().decrypt(value.encode()))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        return self.from_db_value(value, None, None)

    def get_prep_value(self, value):
        return _fernet().encrypt(json.dumps(value or {}).encode()).decode()


def seal(value: dict) -> str:
    """A dict as a Fernet token, for secrets that wait outside the database's encrypted fields (a session)."""
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str) -> dict:
    return json.loads(_fernet().decrypt(token.encode()))
