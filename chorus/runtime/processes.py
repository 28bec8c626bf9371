"""The processes of a deployment (web, worker, beat), and how `chorus up` hands them to its supervisor.

Each process is the real server (gunicorn, celery) started with our arguments, so signals reach it directly.
"""

import json
import os
import sys
from pathlib import Path

from django.conf import settings

CELERY_APP = "chorus.celery:app"
BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
STOP_TIMEOUT = 25
# glibc gives each thread that allocates its own arena (up to eight per core) and seldom returns a thread arena's
# free pages: after its first busy minutes the worker's threads kept ~70 MB they no longer used. Two arenas cost
# a little lock contention, which the GIL mostly serialises anyway. A value the operator set wins.
MALLOC_ARENAS = "2"


def web_argv(port: int, workers: int = 2) -> list[str]:
    """Eight request threads in all, split over `workers` processes (each holds its own ~115 MB of Django)."""
    return [sys.executable, "-m", "gunicorn", "chorus.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(8 // workers), "--graceful-timeout", "10",
            # The control socket lives in ~/.gunicorn, shared by every instance on the machine; we don't use it.
            "--no-control-socket"]


def worker_argv(concurrency: int = 4, beat: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "--pool", "threads",
            "--concurrency", str(concurrency), "--loglevel", "info"]
    return argv + ["--beat-thread", "--scheduler", BEAT_SCHEDULER] if beat else argv


def beat_argv() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "beat", "--loglevel", "info",
            "--scheduler", BEAT_SCHEDULER]


def become(argv: list[str]) -> None:
    """Replace this process with `argv`: the server gets our pid and our signals, and it and whatever it starts
    get the arenas setting."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def supervise(children: dict[str, list[str]], port: int, welcome: str) -> None:
    """Become the small supervisor (stdlib only): Django's memory is not kept just to watch two children."""
    # In the environment, not argv: `ps` shows argv to every local user, and the welcome holds the password.
    os.environ["CHORUS_SUPERVISOR_PLAN"] = json.dumps({"children": children, "port": port, "welcome": welcome})
    become([sys.executable, str(Path(__file__).with_name("supervisor.py"))])


def web_port(port: int | None) -> int:
    return port or settings.CHORUS_PORT


def prepare_web() -> None:
    # WhiteNoise serves from the apps' static dirs (finders) but warns unless STATIC_ROOT exists.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
