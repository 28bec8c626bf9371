"""An operator starts Chorus's processes: each runs with few malloc arenas, and a worker's ticks run inside it."""

import os

import pytest
from django.core.management import call_command


@pytest.fixture
def started(monkeypatch):
    """What `chorus <command>` would exec, with the environment it would hand over, instead of exec'ing it."""
    seen = {}
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"})
    monkeypatch.setattr(os, "execv", lambda path, argv: seen.update(argv=argv, env=dict(os.environ)))
    return seen


@pytest.mark.parametrize("command", [["worker", "--beat"], ["web"], ["beat"]])
def test_every_process_chorus_starts_gets_two_malloc_arenas(started, command, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command(*command)
    assert started["env"]["MALLOC_ARENA_MAX"] == "2"


def test_an_operators_own_arena_setting_wins(started):
    os.environ["MALLOC_ARENA_MAX"] = "4"
    call_command("worker")
    assert started["env"]["MALLOC_ARENA_MAX"] == "4"


def test_a_worker_with_beat_runs_the_ticks_in_a_thread_not_a_second_process(started):
    call_command("worker", "--beat")
    assert "--beat-thread" in started["argv"] and "--beat" not in started["argv"]
    call_command("worker")
    assert "--beat-thread" not in started["argv"]


def test_the_worker_hands_freed_memory_back_after_a_task_at_most_every_half_minute(monkeypatch):
    from chorus import celery

    trims, clock = [], [1000.0]
    monkeypatch.setattr(celery, "_malloc_trim", trims.append)
    monkeypatch.setattr(celery, "_trimmed_at", 0.0)
    monkeypatch.setattr(celery.time, "monotonic", lambda: clock[0])
    for seconds in (0, 1, 29, 31, 40, 62):
        clock[0] = 1000.0 + seconds
        celery.hand_back_free_memory()
    assert len(trims) == 3  # at 0, 31 and 62 s
