"""The owner sets how fast the coffee page must answer, and sees who answers on time."""

import io
import json
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from chorus.inbox import ingestion, response_times, services
from chorus.inbox.models import InboxItem, IngestTurn
from chorus.networks.base import Conversation
from chorus.notifications.models import Notification
from chorus.sandbox.models import SandboxComment, SandboxPost
from chorus.sandbox.network import create_post

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS_9_TO_18 = response_times.Hours(frozenset(range(5)), time(9), time(18), MOSCOW)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Moscow wall clock (Mon 23 … Sun 29)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


def test_business_time_counts_only_working_hours_across_a_weekend():
    friday_evening, monday_morning = at(27, 17, 30), at(30, 9, 30)
    assert response_times.business_seconds(friday_evening, monday_morning, WEEKDAYS_9_TO_18) == 3600
    assert response_times.add_business_seconds(friday_evening, 3600, WEEKDAYS_9_TO_18) == monday_morning
    saturday = at(28, 12)
    assert response_times.add_business_seconds(saturday, 60, WEEKDAYS_9_TO_18) == at(30, 9, 1)


def test_business_hours_follow_the_wall_clock_through_a_dst_change():
    berlin = response_times.Hours(frozenset(range(7)), time(9), time(18), ZoneInfo("Europe/Berlin"))
    # 25 October 2026: Berlin falls back an hour at night; the working day is still 9 hours of wall clock.
    saturday_noon = datetime(2026, 10, 24, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    sunday_noon = datetime(2026, 10, 25, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert response_times.business_seconds(saturday_noon, sunday_noon, berlin) == 9 * 3600


def comment(channel, number: int, written: datetime) -> InboxItem:
    """A guest's question under the page's post, on the sandbox and in the inbox, which has read the page since
    1 November: the question is new, not the page's history."""
    IngestTurn.objects.get_or_create(channel=channel, defaults={"due_at": written, "watching_since": at(1, 0)})
    post = SandboxPost.objects.filter(account__external_id=channel.external_id).first() or create_post(
        channel.connector._account(), text="Открытие новой кофейни!", media_count=0, idempotency_key="open")
    SandboxComment.objects.create(post=post, remote_id=f"c{number}", author_id=f"u{number}",
                                  author_name=f"Гость {number}", text="Когда откроетесь?", language="ru",
                                  kind="question", created_at=written)
    [item] = ingestion.record_conversations(channel, [Conversation(
        "comment", f"c{number}", f"u{number}", f"Гость {number}", "Когда откроетесь?", written.astimezone(UTC),
        post_remote_id=post.remote_id)])
    item.refresh_from_db()
    return item


def test_a_target_in_business_hours_sets_when_the_answer_is_due(owner, workspace, channel):
    response_times.set_business_hours(actor=owner, workspace=workspace, weekdays=[0, 1, 2, 3, 4],
                                      opens=time(9), closes=time(18))
    response_times.set_response_target(actor=owner, channel=channel, minutes=60, business_hours=True)
    assert comment(channel, 1, at(27, 17, 30)).respond_by == at(30, 9, 30)
    response_times.set_response_target(actor=owner, channel=channel, minutes=60)
    assert comment(channel, 2, at(27, 17, 30)).respond_by == at(27, 18, 30)


def test_a_target_needs_minutes_and_business_hours_need_a_day(owner, workspace, channel):
    with pytest.raises(ValidationError, match="business hours first"):
        response_times.set_response_target(actor=owner, channel=channel, minutes=30, business_hours=True)
    with pytest.raises(ValidationError):
        response_times.set_business_hours(actor=owner, workspace=workspace, weekdays=[], opens=time(9),
                                          closes=time(18))


def test_an_item_past_its_target_is_alerted_once(owner, moderator, workspace, channel):
    response_times.set_response_target(actor=owner, channel=channel, minutes=30)
    late = comment(channel, 1, at(23, 10))
    comment(channel, 2, at(23, 10, 50))
    with time_machine.travel(at(23, 11), tick=False):
        assert response_times.alert_overdue() == 1
        assert response_times.alert_overdue() == 0
    assert Notification.objects.filter(kind="inbox.overdue", recipient=moderator).count() == 1
    late.refresh_from_db()
    assert late.overdue_alerted_at is not None


def test_a_worker_back_after_an_outage_sends_one_alert_for_the_channel_not_one_per_comment(
        signed_in, owner, moderator, workspace, channel):
    response_times.set_response_target(actor=owner, channel=channel, minutes=30)
    waiting = [comment(channel, number, at(23, 10, number)) for number in range(6)]
    with time_machine.travel(at(23, 14), tick=False):
        assert response_times.alert_overdue() == 6
        assert response_times.alert_overdue() == 0
    [alert] = Notification.objects.filter(kind="inbox.overdue", recipient=moderator)
    assert alert.message.startswith("6 comments and messages in ") and "wait past their target" in alert.message
    with time_machine.travel(at(23, 14), tick=False):
        listed = signed_in(moderator).get(alert.link).content.decode()
    assert set(map(int, re.findall(r'data-item="(\d+)"', listed))) == {item.pk for item in waiting}


def test_the_report_gives_medians_p90_and_the_share_answered_in_time(owner, moderator, editor, workspace, channel):
    response_times.set_response_target(actor=owner, channel=channel, minutes=30)
    answers = [(moderator, 10), (moderator, 20), (editor, 40), (editor, 120)]
    for number, (person, minutes) in enumerate(answers):
        item = comment(channel, number, at(24, 10))
        reply = services.queue_reply(item=item, text="Ответ", author=person)
        with time_machine.travel(at(24, 10, 0) + timedelta(minutes=minutes), tick=False):
            services.send_reply(reply.pk)
    comment(channel, 99, at(24, 11))  # still waiting
    report = response_times.response_report(actor=owner, workspace=workspace, since=at(24, 0), until=at(25, 0))
    [row] = report["channels"]
    assert (row.items, row.answered) == (5, 4)
    assert row.first_response_median == 30 * 60  # median of 10, 20, 40 and 120 minutes
    assert row.first_response_p90 == 120 * 60
    assert row.within_target == 2 / 5
    people = {r.key: r for r in report["people"]}
    assert people[moderator.username].first_response_median == 15 * 60
    assert people[editor.username].within_target == 0


def test_the_report_in_business_hours_does_not_count_the_night(owner, moderator, workspace, channel):
    response_times.set_business_hours(actor=owner, workspace=workspace, weekdays=[0, 1, 2, 3, 4],
                                      opens=time(9), closes=time(18))
    item = comment(channel, 1, at(24, 17, 50))
    reply = services.queue_reply(item=item, text="Доброе утро!", author=moderator)
    with time_machine.travel(at(25, 9, 10), tick=False):
        services.send_reply(reply.pk)
    clock = response_times.response_report(actor=owner, workspace=workspace, since=at(24, 0), until=at(25, 0))
    working = response_times.response_report(actor=owner, workspace=workspace, since=at(24, 0), until=at(25, 0),
                                             business_hours=True)
    assert clock["channels"][0].first_response_median == (15 * 60 + 20) * 60
    assert working["channels"][0].first_response_median == 20 * 60


def test_a_page_connected_today_brings_its_history_without_a_flood_of_overdue_alerts(signed_in, owner, workspace,
                                                                                      channel):
    response_times.set_response_target(actor=owner, channel=channel, minutes=60)
    post = create_post(channel.connector._account(), text="Открытие!", media_count=0, idempotency_key="open")
    now = timezone.now()
    for number, ago, text in [(1, timedelta(days=30), "А парковка есть?"), (2, timedelta(hours=3), "Вы открыты?"),
                              (3, timedelta(hours=2), "Заработок без вложений"),
                              (4, timedelta(minutes=10), "Есть овсяное молоко?")]:
        SandboxComment.objects.create(post=post, remote_id=f"c{number}", author_id=f"u{number}",
                                      author_name=f"Гость {number}", text=text, language="ru", kind="question",
                                      created_at=now - ago)
    ingestion.ingest_channel(channel)
    last_month, waiting, spam, fresh = (InboxItem.objects.get(remote_id=f"c{n}") for n in range(1, 5))
    assert last_month.respond_by is None and not last_month.overdue  # the page's history
    assert waiting.overdue
    client = signed_in(owner)
    late = client.get("/w/coffee/inbox/", {"waiting": "overdue"}).content.decode()
    assert {int(pk) for pk in re.findall(r'data-item="(\d+)"', late)} == {waiting.pk, spam.pk}
    by_api = client.get("/api/v1/workspaces/coffee/inbox", {"overdue": "true"}).json()
    out = io.StringIO()
    call_command("inbox", "list", "--overdue", "--workspace", "coffee", "--as", owner.username, "--json", stdout=out)
    assert {i["id"] for i in by_api} == {i["id"] for i in json.loads(out.getvalue())} == {waiting.pk, spam.pk}

    services.moderate(actor=owner, item=spam, action="hide")
    services.send_reply(services.reply_to(actor=owner, item=fresh, text="Есть!").pk)

    assert response_times.alert_overdue() == 1  # the question from three hours ago, not last month's
    [row] = response_times.response_report(actor=owner, workspace=workspace, since=now - timedelta(days=31),
                                           until=now + timedelta(minutes=1))["channels"]
    assert (row.items, row.answered, row.resolution_median) == (4, 1, None)  # hiding spam resolves nothing
    assert row.within_target == 0.5  # the fresh answer on time, the waiting one late; spam and history needed none
