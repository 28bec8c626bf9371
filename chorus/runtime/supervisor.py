"""`chorus up`'s supervisor: runs web and worker, prints the welcome once the web answers, stops them together.

Run as a plain script by `chorus up` after it has migrated and seeded (`processes.supervise`), so it imports
only the standard library and stays small for as long as Chorus runs.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

STOP_TIMEOUT = 25


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


def main(plan: dict) -> int:
    supervisor = Supervisor(say=lambda message: print(message, file=sys.stderr, flush=True))
    for name, argv in plan["children"].items():
        supervisor.start(name, argv)
    if supervisor.wait_until_listening(plan["port"]):
        print(plan["welcome"], flush=True)
    code = supervisor.wait()
    if not code:
        print("chorus: stopped.", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(json.loads(os.environ.pop("CHORUS_SUPERVISOR_PLAN"))))
