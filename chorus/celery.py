import ctypes
import logging
import os
import threading
import time

import click
from celery import Celery, bootsteps
from celery.beat import EmbeddedService
from celery.signals import task_postrun, worker_ready
from kombu.transport.sqlalchemy import Transport as SqlaTransport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")

log = logging.getLogger(__name__)
app = Celery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded SQLite broker is polled five times a second instead of once. Set on the class because kombu passes
# the SQLAlchemy transport's options on to create_engine, which refuses `polling_interval`.
SqlaTransport.polling_interval = 0.2


class BeatThread(bootsteps.StartStopStep):
    """`--beat-thread`: the periodic ticks run in a thread of this worker. Celery's own `--beat` forks a process
    that comes to hold ~80 MB of its own (a second copy of Django and the app, unshared as Python touches it)
    only to send a few messages a second."""

    label = "Beat thread"
    conditional = True

    def __init__(self, worker, beat_thread: bool = False, **kwargs):
        self.enabled = beat_thread
        super().__init__(worker, **kwargs)

    def create(self, worker):
        return EmbeddedService(worker.app, thread=True, scheduler_cls=worker.scheduler,
                               schedule_filename=worker.schedule_filename)


app.user_options["worker"].add(click.Option(["--beat-thread"], is_flag=True, default=False,
                                            help="Run the periodic ticks in a thread of this worker."))
app.steps["worker"].add(BeatThread)


@worker_ready.connect
def load_label_models(**_signal) -> None:
    """The comment labeller and the re-scorer's encoder load as the worker starts, not with the first comment, so
    what it holds idle is what it holds at work (docs/decisions.md). In a thread: the ticks start meanwhile."""
    threading.Thread(target=_load_label_models, name="load label models", daemon=True).start()


def _load_label_models() -> None:
    from chorus.classify import artefacts, labeller

    if not artefacts.default_shelf().base_path().exists():
        return  # training it is the first comment's job (about a minute), not the start's
    try:
        labeller.rescore(["warm up"], ["en"])  # the fast model, the language detector and the encoder
    except Exception:  # noqa: BLE001 - the first comment meets the same problem and reports it where it matters
        log.warning("could not load the label models at start; they load with the first comment", exc_info=True)


TRIM_EVERY = 30.0  # seconds; a trim walks the heap (a few ms), a tick every second needs no trim of its own
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only
_trimmed_at = 0.0


@task_postrun.connect
def hand_back_free_memory(**_signal) -> None:
    """After a busy minute glibc keeps the freed pages inside its heaps; `malloc_trim` returns them to the system,
    at most every TRIM_EVERY seconds."""
    global _trimmed_at
    if _malloc_trim is None or time.monotonic() - _trimmed_at < TRIM_EVERY:
        return
    _trimmed_at = time.monotonic()
    _malloc_trim(0)
