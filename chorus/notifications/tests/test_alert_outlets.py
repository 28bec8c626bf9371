"""Inbox alerts leave Chorus by e-mail and through the team's Telegram bot, from a worker, and a failure stays
in sight on the inbox settings page with Telegram's reason."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chorus.inbox import response_times, rules
from chorus.inbox.ingestion import record_conversations
from chorus.inbox.models import InboxItem
from chorus.networks import errors
from chorus.networks.base import Conversation
from chorus.networks.tests.fakes.telegram import ALERTS, TOKEN, FakeTelegram
from chorus.notifications.models import AlertDelivery, AlertOutlets
from chorus.notifications.services import deliver_alert, set_outlets
from chorus.workspaces.roles import Role
from chorus.workspaces.services import choose_language


@pytest.fixture
def moderator(team):
    choose_language(team[Role.MODERATOR], "en")  # reads the pages in English, whatever the workspace speaks
    return team[Role.MODERATOR]


@pytest.fixture
def telegram(settings):
    """The project's Telegram Bot API fake, where the alert bot writes."""
    api = FakeTelegram()
    settings.CHORUS_NETWORK_BASE_URLS = {**settings.CHORUS_NETWORK_BASE_URLS, "telegram": api.start()}
    yield api
    api.stop()


@pytest.fixture
def outbox(settings, tmp_path):
    """The embedded mode's mail: one file per letter under HOME/outbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"
    return settings.EMAIL_FILE_PATH


def letters(outbox) -> list[str]:
    """Every letter in the outbox. Django's file backend names a file by the second and its connection's id, so two
    letters sent in one second may share a file, each followed by a line of 79 dashes."""
    files = sorted(outbox.glob("*")) if outbox.exists() else []
    return [letter for path in files for letter in path.read_text().split("\n" + "-" * 79 + "\n") if letter.strip()]


def comment(channel, text: str):
    [item] = record_conversations(channel, [Conversation("comment", f"c-{abs(hash(text))}", "u-1", "Игорь", text,
                                                         timezone.now(), post_remote_id="p1")])
    return item


def test_a_rules_alert_reaches_the_moderators_mailbox_and_the_teams_telegram_chat(
        moderator, workspace, channel, telegram, outbox, django_capture_on_commit_callbacks):
    set_outlets(actor=moderator, workspace=workspace, email=True, telegram_chat=str(ALERTS["id"]),
                telegram_token=TOKEN)
    rules.save_rule(actor=moderator, workspace=workspace, name="Опт", conditions={"keywords": ["оптом"]},
                    actions=["alert"], dry_run=False)
    item = comment(channel, "Продаёте зёрна оптом? Нужно 50 кг")

    with django_capture_on_commit_callbacks() as after_commit:
        rules.apply_rules([item])
    # Reading the comment did not wait for Telegram: the alerts leave from the worker, after the commit.
    assert len(after_commit) == 2 and telegram.said_in(ALERTS) == [] and letters(outbox) == []
    for delivery in AlertDelivery.objects.all():
        deliver_alert(delivery.pk)  # as the worker does

    [chat_message] = telegram.said_in(ALERTS)
    assert "Rule Опт: Продаёте зёрна оптом?" in chat_message and f"/w/coffee/inbox/{item.pk}/" in chat_message
    to_moderator = [letter for letter in letters(outbox) if f"To: {moderator.email}" in letter]
    assert len(to_moderator) == 1 and "Продаёте зёрна оптом?" in to_moderator[0]
    assert all(letter.count("To: ") == 1 for letter in letters(outbox))  # nobody sees the others' addresses
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {AlertDelivery.Status.SENT}


def test_a_bot_token_telegram_refuses_is_reported_on_the_settings_page_with_the_reason(
        client, moderator, workspace, telegram, caplog):
    set_outlets(actor=moderator, workspace=workspace, email=False, telegram_chat=str(ALERTS["id"]),
                telegram_token="999999:revoked-token")
    client.force_login(moderator)

    with caplog.at_level(logging.WARNING):
        page = client.post("/w/coffee/inbox/settings/alerts/test/", follow=True).content.decode()

    assert "Telegram: the test alert failed: Telegram does not accept the bot token" in page
    assert AlertDelivery.objects.get().status == AlertDelivery.Status.FAILED
    assert "revoked-token" not in page and "revoked-token" not in caplog.text
    assert "failed" in caplog.text  # the failure is logged, not lost
    assert "Telegram does not accept the bot token" in client.get("/w/coffee/inbox/settings/").content.decode()


def test_the_bot_token_is_stored_encrypted_and_kept_when_the_form_leaves_it_empty(moderator, workspace):
    set_outlets(actor=moderator, workspace=workspace, email=False, telegram_chat="@coffee_team", telegram_token=TOKEN)
    with connection.cursor() as cursor:
        cursor.execute("SELECT telegram_bot FROM notifications_alertoutlets")
        [(stored,)] = cursor.fetchall()
    assert TOKEN not in stored
    outlets = set_outlets(actor=moderator, workspace=workspace, email=True, telegram_chat="@coffee_team")
    assert outlets.telegram_bot == {"token": TOKEN} and outlets.telegram
    assert not set_outlets(actor=moderator, workspace=workspace, email=True).telegram  # an empty chat: off


def test_a_rate_limited_alert_waits_for_the_next_try_and_a_lasting_failure_stays_failed(
        moderator, workspace, channel, telegram):
    set_outlets(actor=moderator, workspace=workspace, email=False, telegram_chat=str(ALERTS["id"]),
                telegram_token=TOKEN)
    item = comment(channel, "Где заказ? Жду третий день")
    InboxItem.objects.filter(pk=item.pk).update(respond_by=timezone.now() - timedelta(minutes=5))
    assert response_times.alert_overdue() == 1
    delivery = AlertDelivery.objects.get(kind="inbox.overdue")
    telegram.fail_next("rate_limit")
    with pytest.raises(errors.RateLimited):
        deliver_alert(delivery.pk, last_try=False)
    delivery.refresh_from_db()
    assert delivery.status == AlertDelivery.Status.QUEUED and "wait 7 s" in delivery.error
    assert deliver_alert(delivery.pk).status == AlertDelivery.Status.SENT
    assert "No answer yet" in telegram.said_in(ALERTS)[0]

    AlertOutlets.objects.filter(workspace=workspace).update(telegram_chat="-100999")
    again = AlertDelivery.objects.create(workspace=workspace, outlet="telegram", kind="inbox.alert", message="x")
    failed = deliver_alert(again.pk, last_try=False)
    assert failed.status == AlertDelivery.Status.FAILED and "chat not found" in failed.error
