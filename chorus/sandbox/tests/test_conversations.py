"""A moderator reads, answers and cleans the sandbox page's comments and messages through its connector."""

from datetime import timedelta

import pytest

from chorus.networks import errors
from chorus.sandbox import audience
from chorus.sandbox import comment_templates as voices
from chorus.sandbox.models import SandboxComment, SandboxPost
from chorus.sandbox.network import create_post


def everything(connector, cursor: str = "") -> tuple[list, str]:
    """Read the page's conversations to the end, page by page, as an inbox would."""
    items = []
    while True:
        page = connector.conversations(cursor)
        if not page.items:
            return items, cursor
        items += page.items
        cursor = page.cursor


def test_comments_and_messages_arrive_once_each_and_the_cursor_moves_on(channel, busy_page):
    account, posts, now = busy_page
    items, cursor = everything(channel.connector)
    comments = [i for i in items if i.kind == "comment"]
    assert len(comments) == SandboxComment.objects.filter(post__in=posts).count() > 10
    assert {c.post_remote_id for c in comments} == {p.remote_id for p in posts}
    assert len({i.remote_id for i in items}) == len(items)
    assert [i for i in items if i.kind == "message"] == [] or all(not m.post_remote_id for m in items
                                                                  if m.kind == "message")
    assert channel.connector.conversations(cursor).items == []

    audience.simulate(now + timedelta(days=1))  # a day later more people have read and written
    later, _ = everything(channel.connector, cursor)
    seen_before = {i.remote_id for i in items}
    assert [i for i in later if i.remote_id not in seen_before]
    assert all(i.edited_at or i.deleted for i in later if i.remote_id in seen_before)  # only changes come back


def test_the_audience_writes_every_kind_in_both_languages_with_masked_swearing(channel, busy_page):
    account, _posts, now = busy_page
    for day in range(1, 30):
        create_post(account, text="New single origin from Ethiopia ☕ Tried it yet?" if day % 2 else "Новинка недели!",
                    media_count=0, idempotency_key=f"d{day}", at=now - timedelta(days=day, hours=3))
    audience.settle_posts(list(SandboxPost.objects.filter(account=account)), now)
    seen = set(SandboxComment.objects.filter(post__account=account).values_list("language", "kind"))
    assert seen >= {(language, kind) for language in ("ru", "en") for kind in voices.KINDS}
    texts = list(SandboxComment.objects.filter(kind="abuse", language="ru").values_list("text", flat=True))
    assert any("*" in text for text in texts)
    assert len(set(SandboxComment.objects.values_list("text", flat=True))) > 100  # not five canned lines


def test_the_page_answers_a_comment_once_even_when_asked_twice(channel, busy_page):
    items, cursor = everything(channel.connector)
    question = next(i for i in items if i.kind == "comment" and not i.deleted)
    first = channel.connector.reply(question, "Работаем до 22:00 😊", "answer-1")
    assert channel.connector.reply(question, "Работаем до 22:00 😊", "answer-1") == first
    [answer] = [i for i in everything(channel.connector, cursor)[0]]
    assert (answer.kind, answer.remote_id, answer.parent_remote_id, answer.from_page) == (
        "reply", first, question.remote_id, True)
    assert answer.post_remote_id == question.post_remote_id


def test_a_direct_message_gets_an_answer_in_the_same_conversation(channel, busy_page):
    items, cursor = everything(channel.connector)
    messages = [i for i in items if i.kind == "message"]
    assert messages, "a page with 20,000 followers gets direct messages within a week"
    answer_id = channel.connector.reply(messages[0], "Здравствуйте! Уже смотрим.", "dm-1")
    [answer] = everything(channel.connector, cursor)[0]
    assert (answer.kind, answer.remote_id, answer.author_id, answer.from_page) == (
        "message", answer_id, messages[0].author_id, True)


def test_hidden_and_deleted_comments_come_back_marked(channel, busy_page):
    items, cursor = everything(channel.connector)
    spam, rude = [i for i in items if i.kind == "comment" and not i.deleted][:2]
    channel.connector.moderate(spam, "delete")
    channel.connector.moderate(rude, "hide")
    changed = {i.remote_id: i for i in everything(channel.connector, cursor)[0]}
    assert changed[spam.remote_id].deleted and not changed[rude.remote_id].deleted
    assert changed[rude.remote_id].hidden
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.moderate(spam, "delete")


def test_a_banned_bot_writes_no_more(channel, busy_page):
    account, posts, now = busy_page
    items, cursor = everything(channel.connector)
    bot = next(i for i in items if i.author_name in voices.BOT_AUTHORS)
    channel.connector.moderate(bot, "ban")
    for day in range(2, 6):
        create_post(account, text=f"Пост дня {day}: что нового в кофейне?", media_count=0,
                    idempotency_key=f"later{day}", at=now + timedelta(hours=day))
    audience.simulate(now + timedelta(days=6))
    later, _ = everything(channel.connector, cursor)
    assert later and bot.author_id not in {i.author_id for i in later}


def test_authors_edits_and_deletions_are_seen_again(channel, busy_page):
    account, posts, now = busy_page
    for hour in range(1, 10):  # a busy evening: enough comments that some authors change their minds
        create_post(account, text=f"Вечерний пост №{hour}: как вам наш новый раф?", media_count=0,
                    idempotency_key=f"evening{hour}", at=now - timedelta(hours=hour))
    _, cursor = everything(channel.connector)
    audience.simulate(now + timedelta(days=2))
    changed, _ = everything(channel.connector, cursor)
    edited = [i for i in changed if i.edited_at]
    deleted = [i for i in changed if i.deleted]
    assert edited and deleted
    stored = SandboxComment.objects.get(remote_id=edited[0].remote_id)
    assert stored.text == edited[0].text and stored.edited_at == edited[0].edited_at


def test_anyone_can_look_at_the_page_from_outside(channel, busy_page):
    account, posts, now = busy_page
    page = channel.connector.public_page(account.name)
    assert page.handle == account.external_id and page.followers >= 20000 * 0.9
    assert [p.remote_id for p in page.posts] == [p.remote_id for p in sorted(posts, key=lambda p: p.created_at,
                                                                               reverse=True)]
    assert all(p.counters.views > 0 and p.counters.comments is not None for p in page.posts)
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.public_page("no-such-page")
