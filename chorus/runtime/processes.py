"""The processes of a deployment (web, worker, beat) and `chorus up`, which runs all three and stops them together.

Each process is the real server (gunicorn, celery) started with our arguments, so signals reach it directly.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings

CELERY_APP = "chorus.celery:app"
BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
STOP_TIMEOUT = 25


def web_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "chorus.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4", "--graceful-timeout", "10",
            # The control socket lives in ~/.gunicorn, shared by every instance on the machine; we don't use it.
            "--no-control-socket"]


def worker_argv(concurrency: int = 4, beat: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "--pool", "threads",
            "--concurrency", str(concurrency), "--loglevel", "info"]
    return argv + ["--beat", "--scheduler", BEAT_SCHEDULER] if beat else argv


def beat_argv() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, "beat", "--loglevel", "info",
            "--scheduler", BEAT_SCHEDULER]


def become(argv: list[str]) -> None:
    """Replace this process with `argv`: the server gets our pid and our signals."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if `chorus up` itself is killed, so nothing is orphaned."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    """Runs named children in their own process groups; stops them all when asked or when one dies."""

    def __init__(self, say):
        self.say = say
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False
        signal.signal(signal.SIGINT, self.ask_to_stop)
        signal.signal(signal.SIGTERM, self.ask_to_stop)

    def start(self, name: str, argv: list[str]) -> None:
        # A new session keeps the terminal's Ctrl-C for us: we decide the order and the signal. Their chatter
        # goes to stderr so that stdout carries only what `up` has to say.
        self.children[name] = subprocess.Popen(argv, start_new_session=True, preexec_fn=_die_with_parent,
                                               stdout=sys.stderr)

    def ask_to_stop(self, signum, _frame) -> None:
        self.stopping = True

    def died(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def wait(self) -> int:
        """Block until a signal or a child's death; stop everything; 0 for a requested stop, 1 otherwise."""
        dead = None
        while not self.stopping and dead is None:
            time.sleep(0.2)
            dead = self.died()
        if dead:
            self.say(f"chorus: {dead} exited with code {self.children[dead].returncode}; stopping the rest.")
        self.stop_all()
        return 1 if dead else 0

    def stop_all(self) -> None:
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in a group (a gunicorn worker, the embedded beat) goes now.
        self._signal_groups(signal.SIGKILL)
        for child in self.children.values():
            child.wait()

    def _signal_groups(self, signum) -> None:
        for child in self.children.values():
            try:
                os.killpg(child.pid, signum)
            except ProcessLookupError:
                pass


    def wait_until_listening(self, port: int, timeout: float = 60) -> bool:
        """True once something answers on the port; False on a stop request, a dead child or the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping and self.died() is None:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return True
            time.sleep(0.2)
        return False


def web_port(port: int | None) -> int:
    return port or settings.CHORUS_PORT


def prepare_web() -> None:
    # WhiteNoise serves from the apps' static dirs (finders) but warns unless STATIC_ROOT exists.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
