"""The calendar: the team sees publications at the workspace's wall-clock and drags them to another time."""

import json
import re
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.urls import reverse

from chorus.channels.services import connect_channel, set_queue_slots
from chorus.content.services import create_and_schedule, write_post
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import Status
from chorus.workspaces.roles import Role
from chorus.workspaces.services import choose_language, create_workspace

# A Wednesday: 09:00 in Moscow.
NOW = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW):
        yield


def schedule(actor, workspace, channel, due_at, text="Новый сорт эфиопии уже в кофейне"):
    _post, [job] = create_and_schedule(actor=actor, workspace=workspace, text=text, channel_ids=[channel.pk],
                                       due_at=due_at)
    return job


def sign_in(client, person, language="en"):
    choose_language(person, language)
    client.force_login(person)


def events_of(client, slug="coffee", start="2026-06-08T00:00:00Z", end="2026-06-15T00:00:00Z"):
    return client.get(reverse("calendar-events", args=[slug]), {"start": start, "end": end})


def move(client, job, start, slug="coffee"):
    return client.post(reverse("calendar-move", args=[slug]), {"job": job.pk, "start": start})


def embedded(page, element_id: str):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page.content.decode(), re.S)
    return json.loads(found.group(1))


def test_editor_sees_this_weeks_posts_at_their_moscow_wall_clock(client, owner, editor, workspace, channel):
    job = schedule(owner, workspace, channel, datetime(2026, 6, 11, 7, 0, tzinfo=UTC))
    write_post(actor=owner, workspace=workspace, text="A draft, not planned yet", channel_ids=[channel.pk])
    sign_in(client, editor)

    response = events_of(client)

    assert response.status_code == 200
    [event] = response.json()
    assert event["id"] == str(job.pk)
    assert event["start"] == "2026-06-11T10:00:00"
    assert event["title"] == "Новый сорт эфиопии уже в кофейне — Coffee VK (sandbox) · SANDBOX"
    assert event["extendedProps"]["status"] == Status.SCHEDULED
    assert event["startEditable"] is True
    assert event["url"] == reverse("post-detail", args=["coffee", job.variant.post_id])
    assert [e["id"] for e in embedded(client.get(reverse("calendar", args=["coffee"])), "calendar-events")] \
        == [str(job.pk)]


def test_editor_sees_the_queue_slots_of_each_channel(client, owner, editor, workspace, channel, second_channel):
    set_queue_slots(actor=owner, channel=channel, slots=[(0, time(10, 0)), (2, time(18, 30))])
    set_queue_slots(actor=owner, channel=second_channel, slots=[(0, time(10, 0))])
    sign_in(client, editor)

    slots = embedded(client.get(reverse("calendar", args=["coffee"])), "calendar-config")["queueSlots"]

    assert [(s["daysOfWeek"], s["startTime"], s["display"]) for s in slots] == [
        ([1], "10:00", "background"), ([3], "18:30", "background")]
    assert "Coffee TG (sandbox)" in slots[0]["title"] and "Coffee VK (sandbox)" in slots[0]["title"]


def test_russian_speaking_owner_gets_the_calendar_in_russian(client, owner, workspace):
    sign_in(client, owner, "ru")

    page = client.get(reverse("calendar", args=["coffee"]))

    assert embedded(page, "calendar-config")["locale"] == "ru"
    assert "fullcalendar/locales/ru.global.min.js" in page.content.decode()


def test_editor_drags_a_post_to_tomorrow_ten_and_it_goes_out_at_seven_utc(client, editor, workspace, channel):
    job = schedule(editor, workspace, channel, datetime(2026, 6, 10, 15, 0, tzinfo=UTC))
    sign_in(client, editor)

    response = move(client, job, "2026-06-11T10:00:00")

    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.due_at == datetime(2026, 6, 11, 7, 0, tzinfo=UTC)
    assert job.not_before == job.due_at
    assert response.json()["warnings"] == []


def test_a_published_post_stays_where_it_went_out(client, editor, workspace, channel):
    job = schedule(editor, workspace, channel, NOW)
    for job_id in dispatcher.claim_due("test-worker"):
        sender.send(job_id, "test-worker")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    sign_in(client, editor)

    [event] = events_of(client).json()
    response = move(client, job, "2026-06-11T10:00:00")

    assert event["startEditable"] is False
    assert response.status_code == 400
    assert "cannot be moved" in response.json()["error"]
    job.refresh_from_db()
    assert job.due_at == NOW


def test_client_sees_the_calendar_but_cannot_move_a_post(client, editor, team, workspace, channel):
    job = schedule(editor, workspace, channel, datetime(2026, 6, 11, 7, 0, tzinfo=UTC))
    sign_in(client, team[Role.CLIENT])

    assert client.get(reverse("calendar", args=["coffee"])).status_code == 200
    [event] = events_of(client).json()
    assert event["startEditable"] is False
    assert move(client, job, "2026-06-12T10:00:00").status_code == 403
    job.refresh_from_db()
    assert job.due_at == datetime(2026, 6, 11, 7, 0, tzinfo=UTC)


def test_member_of_another_workspace_neither_sees_nor_moves_this_ones_posts(client, editor, workspace, channel,
                                                                            other_workspace):
    job = schedule(editor, workspace, channel, datetime(2026, 6, 11, 7, 0, tzinfo=UTC))
    sign_in(client, other_workspace.memberships.get().user)

    assert events_of(client).status_code == 404
    assert move(client, job, "2026-06-12T10:00:00").status_code == 404
    assert move(client, job, "2026-06-12T10:00:00", slug="tea").status_code == 404
    job.refresh_from_db()
    assert job.due_at == datetime(2026, 6, 11, 7, 0, tzinfo=UTC)


def test_a_time_the_clocks_skip_in_london_is_refused_with_a_clear_message(client, owner):
    london = create_workspace(owner=owner, name="Tea Room", slug="tearoom", timezone_name="Europe/London",
                              language="en")
    channel = connect_channel(actor=owner, workspace=london, network="sandbox", name="Tea VK")
    job = schedule(owner, london, channel, datetime(2027, 3, 27, 10, 0, tzinfo=UTC))
    sign_in(client, owner)

    response = move(client, job, "2027-03-28T01:30:00", slug="tearoom")

    assert response.status_code == 400
    assert "01:30 does not exist on 2027-03-28 in Europe/London" in response.json()["error"]
    job.refresh_from_db()
    assert job.due_at == datetime(2027, 3, 27, 10, 0, tzinfo=UTC)


def test_editor_cannot_drag_a_post_into_the_past(client, editor, workspace, channel):
    job = schedule(editor, workspace, channel, datetime(2026, 6, 11, 7, 0, tzinfo=UTC))
    sign_in(client, editor)

    response = move(client, job, "2026-06-09T10:00:00")

    assert response.status_code == 400
    assert "already passed" in response.json()["error"]


def test_post_text_with_html_comes_back_as_plain_text_and_never_raw_on_the_page(client, editor, workspace, channel):
    text = '<img src=x onerror="alert(1)"><b>Latte</b>'
    schedule(editor, workspace, channel, datetime(2026, 6, 11, 7, 0, tzinfo=UTC), text=text)
    sign_in(client, editor)

    [event] = events_of(client).json()
    page = client.get(reverse("calendar", args=["coffee"]))

    assert event["extendedProps"]["text"] == text
    assert event["title"].startswith(text)
    assert "<img src=x" not in page.content.decode()
    assert embedded(page, "calendar-events")[0]["extendedProps"]["text"] == text
