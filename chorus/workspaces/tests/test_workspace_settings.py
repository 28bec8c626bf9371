"""An agency's client moves: the owner changes the workspace's name, zone or language after creation, and what
is kept in local time follows the new zone while scheduled posts keep their moment."""

import io
import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from chorus.analytics import services as analytics
from chorus.analytics.store import PostFacts, PostReading, store
from chorus.content.services import create_and_schedule
from chorus.publishing.models import PublishJob
from chorus.reports import services as reports
from chorus.reports.models import ReportSchedule
from chorus.workspaces.models import Workspace
from chorus.workspaces.roles import Role
from chorus.workspaces.services import NotAllowed, update_workspace

# A Monday morning: 07:00 in Moscow, 11:00 in Novosibirsk.
MONDAY = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
URL = "/api/v1/workspaces/coffee"


@pytest.fixture
def autumn_posts(channel):
    """Two published posts with their numbers: late on Tuesday 10 November in Moscow (23:30) and at noon on
    Thursday 12 November (12:00)."""
    late, noon = store.register(channel, [
        PostFacts(published_at=datetime(2026, 11, 10, 20, 30, tzinfo=UTC), remote_id="late"),
        PostFacts(published_at=datetime(2026, 11, 12, 9, 0, tzinfo=UTC), remote_id="noon")])
    store.ingest_posts([PostReading(late.pk, datetime(2026, 11, 11, 9, tzinfo=UTC), likes=30, reach=1000),
                        PostReading(noon.pk, datetime(2026, 11, 13, 9, tzinfo=UTC), likes=10, reach=500)])
    return late, noon


def hours(owner, workspace, channel) -> list[tuple[int, int]]:
    table = analytics.channel_breakdown(owner, workspace, channel.pk, "hour", "er-reach", "per-post")
    return [(cell.key, cell.n) for cell in table.cells]


def posts_on(owner, workspace, channel, day: date) -> int:
    board = analytics.channel_dashboard(owner, workspace, channel.pk, day, day)
    return board["figures"]["posts"]["current"]["value"]


def test_owner_moves_the_workspace_to_novosibirsk_and_the_posts_move_to_their_new_local_hours(
        owner, workspace, channel, autumn_posts, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert hours(owner, workspace, channel) == [(12, 1), (23, 1)]
    assert posts_on(owner, workspace, channel, date(2026, 11, 10)) == 1
    with time_machine.travel(MONDAY, tick=False):
        _post, [waiting] = create_and_schedule(actor=owner, workspace=workspace, text="Раф", channel_ids=[channel.pk],
                                               due_at=datetime(2026, 12, 5, 7, 0, tzinfo=UTC))
        with django_capture_on_commit_callbacks() as after_commit:
            update_workspace(actor=owner, workspace=workspace, name="Demo Coffee Siberia",
                             timezone_name="Asia/Novosibirsk", language="ru")
        # Saved at once; the posts move when the worker has run.
        assert hours(owner, workspace, channel) == [(12, 1), (23, 1)]
        assert len(after_commit) == 1
        after_commit[0]()

    assert hours(owner, workspace, channel) == [(3, 1), (16, 1)]
    assert posts_on(owner, workspace, channel, date(2026, 11, 10)) == 0
    assert posts_on(owner, workspace, channel, date(2026, 11, 11)) == 1  # 03:30 on Wednesday there
    weekdays = analytics.channel_breakdown(owner, workspace, channel.pk, "weekday", "er-reach", "per-post")
    assert [(cell.key, cell.n, cell.value) for cell in weekdays.cells] == [
        ("Wed", 1, pytest.approx(3.0)), ("Thu", 1, pytest.approx(2.0))]
    assert PublishJob.objects.get(pk=waiting.pk).due_at == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert Workspace.objects.values_list("name", "timezone").get(pk=workspace.pk) == (
        "Demo Coffee Siberia", "Asia/Novosibirsk")


def test_report_schedules_go_out_at_nine_in_the_new_zone_and_this_weeks_report_is_not_skipped(owner, workspace):
    with time_machine.travel(MONDAY, tick=False):
        weekly = reports.save_schedule(actor=owner, workspace=workspace, cadence="week", recipients="c@example.com")
        monthly = reports.save_schedule(actor=owner, workspace=workspace, cadence="month",
                                        recipients="c@example.com")
        assert weekly.next_run_at == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, still to come
        update_workspace(actor=owner, workspace=workspace, timezone_name="Asia/Novosibirsk")
        # Nine o'clock has passed in Novosibirsk this Monday: the weekly report is due now, not next week.
        assert ReportSchedule.objects.get(pk=weekly.pk).next_run_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
        assert ReportSchedule.objects.get(pk=monthly.pk).next_run_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        assert reports.claim_due_schedules(MONDAY) == [ReportSchedule.objects.get(pk=weekly.pk)]
    assert ReportSchedule.objects.get(pk=weekly.pk).next_run_at == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_two_owners_moving_the_zone_at_once_keep_the_monthly_report_on_the_first(owner, workspace):
    with time_machine.travel(MONDAY, tick=False):
        monthly = reports.save_schedule(actor=owner, workspace=workspace, cadence="month",
                                        recipients="c@example.com")
        seen_by_second_owner = Workspace.objects.get(pk=workspace.pk)  # both settings pages show Moscow
        update_workspace(actor=owner, workspace=workspace, timezone_name="Pacific/Auckland")
        # 09:00 on 1 December in Auckland is still 30 November in Moscow, the zone the second page showed.
        assert ReportSchedule.objects.get(pk=monthly.pk).next_run_at == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        update_workspace(actor=owner, workspace=seen_by_second_owner, timezone_name="Europe/Kaliningrad")
    assert ReportSchedule.objects.get(pk=monthly.pk).next_run_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert Workspace.objects.values_list("timezone", flat=True).get() == "Europe/Kaliningrad"


def test_a_new_name_alone_recomputes_nothing(owner, workspace, channel, autumn_posts,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as after_commit:
        update_workspace(actor=owner, workspace=workspace, name="  Coffee & Co  ")
    assert after_commit == []
    assert Workspace.objects.values_list("name", "timezone", "language").get() == (
        "Coffee & Co", "Europe/Moscow", "ru")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CLIENT, Role.ANALYST])
def test_an_editor_or_a_client_cannot_change_the_settings(team, workspace, role):
    with pytest.raises(NotAllowed):
        update_workspace(actor=team[role], workspace=workspace, timezone_name="Asia/Novosibirsk")
    browser = Client()
    browser.force_login(team[role])
    response = browser.patch(URL, {"name": "Hijacked"}, content_type="application/json")
    assert response.status_code == 403 and "does not allow" in response.json()["detail"]
    assert Workspace.objects.values_list("name", "timezone").get(pk=workspace.pk) == ("Demo Coffee", "Europe/Moscow")


def test_a_manager_renames_through_the_api_and_what_is_left_out_stays(team, workspace):
    browser = Client()
    browser.force_login(team[Role.MANAGER])
    response = browser.patch(URL, {"language": "en"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"slug": "coffee", "name": "Demo Coffee", "timezone": "Europe/Moscow",
                               "language": "en", "role": "manager"}


def test_an_unknown_zone_says_what_to_write_and_changes_nothing(owner, workspace, django_capture_on_commit_callbacks):
    browser = Client()
    browser.force_login(owner)
    with django_capture_on_commit_callbacks() as after_commit:
        response = browser.patch(URL, {"name": "Renamed", "timezone": "Novosibirsk"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"detail": ["Unknown time zone Novosibirsk: use an IANA name such as Europe/Moscow."]}
    assert after_commit == []
    assert Workspace.objects.values_list("name", "timezone").get() == ("Demo Coffee", "Europe/Moscow")
    with pytest.raises(ValidationError, match="Language must be one of: ru, en"):
        update_workspace(actor=owner, workspace=workspace, language="de")
    with pytest.raises(ValidationError, match="Give the workspace a name"):
        update_workspace(actor=owner, workspace=workspace, name="   ")
    assert Workspace.objects.values_list("name", "language").get() == ("Demo Coffee", "ru")


def chorus(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_operator_moves_the_workspace_on_the_command_line_and_an_editor_is_refused(team, workspace):
    moved = json.loads(chorus("workspace", "update", "--workspace", "coffee", "--timezone", "Asia/Novosibirsk",
                              "--json"))
    assert moved == {"slug": "coffee", "name": "Demo Coffee", "timezone": "Asia/Novosibirsk", "language": "ru"}
    said = chorus("workspace", "update", "--workspace", "coffee", "--timezone", "Europe/Moscow", "--name", "Кофе")
    assert said.splitlines() == ["coffee\tКофе\tEurope/Moscow\tru",
                                 "The analytics hours and days are being recomputed in Europe/Moscow by a worker."]
    with pytest.raises(CommandError, match="does not allow"):
        chorus("workspace", "update", "--workspace", "coffee", "--name", "X", "--as", team[Role.EDITOR].username)
    with pytest.raises(CommandError, match="Unknown time zone Mars/Olympus: use an IANA name"):
        chorus("workspace", "update", "--workspace", "coffee", "--timezone", "Mars/Olympus")
    assert Workspace.objects.values_list("name", "timezone").get() == ("Кофе", "Europe/Moscow")


def test_the_rebuild_follows_the_zone_the_workspace_has_when_the_worker_runs(owner, workspace, channel,
                                                                               autumn_posts):
    """Two quick moves queue two rebuilds; whichever runs, the posts land in the latest zone."""
    Workspace.objects.filter(pk=workspace.pk).update(timezone="Asia/Novosibirsk")
    assert analytics.follow_zone(workspace.pk) == 2
    assert hours(owner, workspace, channel) == [(3, 1), (16, 1)]
