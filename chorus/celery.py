import os

from celery import Celery
from kombu.transport.sqlalchemy import Transport as SqlaTransport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")

app = Celery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded SQLite broker is polled five times a second instead of once. Set on the class because kombu passes
# the SQLAlchemy transport's options on to create_engine, which refuses `polling_interval`.
SqlaTransport.polling_interval = 0.2
