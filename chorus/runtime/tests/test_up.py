"""A new user runs `chorus up`, logs in, stops it with Ctrl-C, and starts it again the next day."""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHORUS = str(Path(sys.executable).with_name("chorus"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    found = {int(p) for p in children.split()}
    return found.union(*(descendants(p) for p in found)) if found else found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start(home: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(CHORUS_HOME=str(home), CHORUS_PORT=str(port))
    with log.open("w") as out:
        return subprocess.Popen([CHORUS, "up"], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for_login_page(port: int, up: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert up.poll() is None, "chorus up exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail("the login page never answered")


def environment(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def stop_with_ctrl_c(up: subprocess.Popen) -> None:
    family = descendants(up.pid)
    assert len(family) >= 3  # gunicorn and its worker, the celery worker (beat is one of its threads)
    assert {environment(pid).get("MALLOC_ARENA_MAX") for pid in family | {up.pid}} == {"2"}
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=60) == 0
    assert [pid for pid in family if alive(pid)] == []


@pytest.mark.slow
def test_up_serves_the_demo_stops_cleanly_and_keeps_the_data(tmp_path):
    port = free_port()
    first_log = tmp_path / "first.log"
    up = start(tmp_path / "home", port, first_log)
    try:
        wait_for_login_page(port, up)
        time.sleep(1)  # the welcome is printed right after the port opens
        said = first_log.read_text()
        assert f"http://127.0.0.1:{port}" in said
        assert "owner" in said
        password = re.search(r"Password:\s+(\S+)\s+\(one-time", said).group(1)
        assert len(password) >= 12
        stop_with_ctrl_c(up)

        second_log = tmp_path / "second.log"
        up = start(tmp_path / "home", port, second_log)
        wait_for_login_page(port, up)
        time.sleep(1)
        said = second_log.read_text()
        assert "creating the demo" not in said and password not in said
        assert "chorus demo --new-password" in said
        stop_with_ctrl_c(up)
        with sqlite3.connect(tmp_path / "home" / "chorus.sqlite3") as database:
            slugs = database.execute("SELECT slug FROM workspaces_workspace ORDER BY slug").fetchall()
        assert slugs == [("demo-coffee",), ("northwind-books",)]
    finally:
        if up.poll() is None:
            up.kill()
