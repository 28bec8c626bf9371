"""The real `chorus` program in its own process, on its own database under CHORUS_HOME, as a script would use it."""

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def chorus(tmp_path):
    env = {**os.environ, "CHORUS_HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "chorus.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("migrate", "-v", "0").returncode == 0
    return run


def test_a_script_reads_pure_json_on_stdout_and_errors_on_stderr(chorus):
    created = chorus("workspace", "create", "--name", "Demo Coffee", "--slug", "coffee", "--timezone",
                     "Europe/Moscow", "--language", "ru", "--json")
    assert created.returncode == 0, created.stderr
    channel = json.loads(chorus("channel", "add", "--workspace", "coffee", "--network", "sandbox", "--name", "VK",
                                "--json").stdout)
    listed = chorus("channel", "list", "--workspace", "coffee", "--json")
    assert json.loads(listed.stdout) == [channel]

    duplicate = chorus("workspace", "create", "--name", "Again", "--slug", "coffee", "--timezone", "UTC",
                       "--language", "en", "--json")
    assert duplicate.returncode != 0
    assert duplicate.stdout == ""
    assert "already exists" in duplicate.stderr

    bad_chance = chorus("sandbox", "faults", "--channel", str(channel["id"]), "--rate-limit", "2", "--json")
    assert bad_chance.returncode != 0 and bad_chance.stdout == ""
    assert "probability" in bad_chance.stderr
