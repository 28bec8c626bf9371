"""The moderator's inbox in the browser: the list, live additions, one item, answering and moderating."""

import re
from datetime import timedelta
from importlib import import_module
from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone

from chorus.inbox import ingestion, labelling, rules, services
from chorus.inbox.models import InboxItem, InboxReply, ItemStatus
from chorus.networks.base import Conversation
from chorus.publishing.tests.test_published_changes import published
from chorus.sandbox.models import SandboxComment
from chorus.sandbox.network import create_post
from chorus.workspaces.services import choose_language, grant


def test_the_inbox_escapes_what_strangers_write(client, moderator, workspace, channel):
    ingestion.record_conversations(channel, [Conversation(
        "comment", "x1", "u-evil", '"><script>alert("chorus")</script>', "<script>alert(1)</script><b>hi</b>",
        timezone.now(), post_remote_id="p1")])
    client.force_login(moderator)
    for url in ("/w/coffee/inbox/", f"/w/coffee/inbox/{InboxItem.objects.get().pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;hi&lt;/b&gt;" in page


def test_new_comments_join_the_open_list_without_a_reload(client, moderator, workspace, lively_channel):
    ingestion.ingest_channel(lively_channel)
    client.force_login(moderator)
    page = client.get("/w/coffee/inbox/").content.decode()
    poll = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(poll).content.decode().count("data-item=") == 0  # nothing new yet
    ingestion.record_conversations(lively_channel, [Conversation(
        "comment", "fresh-1", "u-new", "Катя", "А завтра работаете?", timezone.now(), post_remote_id="p1")])
    fresh = client.get(poll).content.decode()
    assert "А завтра работаете?" in fresh and 'hx-swap-oob="afterbegin:#inbox-rows"' in fresh
    next_poll = re.search(r'hx-get="([^"]+)"', fresh).group(1).replace("&amp;", "&")
    assert "А завтра работаете?" not in client.get(next_poll).content.decode()  # shown once


def test_filtering_the_list_by_status_and_search(client, moderator, workspace, lively_channel):
    ingestion.ingest_channel(lively_channel)
    item = InboxItem.objects.filter(kind="comment", deleted_on_network=False).first()
    services.close(actor=moderator, item=item)
    client.force_login(moderator)
    closed = client.get("/w/coffee/inbox/", {"status": "closed"}).content.decode()
    assert closed.count("data-item=") == 1 and f'data-item="{item.pk}"' in closed
    assert "data-item=" not in client.get("/w/coffee/inbox/", {"q": "zzzz-nothing"}).content.decode()


def test_a_search_in_russian_ignores_case_and_yo_as_people_type(client, moderator, workspace, channel):
    """SQLite, the default, folds only ASCII case by itself."""
    now = timezone.now()
    late, tree, by_ivan, other = ingestion.record_conversations(channel, [
        Conversation("comment", "s1", "u1", "Катя", "Доставка опять опоздала на час", now, post_remote_id="p1"),
        Conversation("comment", "s2", "u2", "Оля", "Когда поставите ЁЛКУ у входа?", now, post_remote_id="p1"),
        Conversation("comment", "s3", "u3", "Иван Соколов", "Спасибо за раф!", now, post_remote_id="p1"),
        Conversation("comment", "s4", "u4", "Dmitry", "Great coffee", now, post_remote_id="p1")])
    client.force_login(moderator)

    def found(query: str) -> set[int]:
        page = client.get("/w/coffee/inbox/", {"q": query}).content.decode()
        return set(map(int, re.findall(r'data-item="(\d+)"', page)))

    assert found("доставка") == {late.pk} and found("ДОСТАВКА час") == {late.pk}
    assert found("елку") == {tree.pk} and found("иван") == {by_ivan.pk} and found("COFFEE") == {other.pk}
    ingestion.record_conversations(channel, [Conversation(  # edited on the network: found by its new words
        "comment", "s4", "u4", "Dmitry", "Great coffee, но доставка долгая", now, post_remote_id="p1")])
    assert found("Доставка") == {late.pk, other.pk}

    # An install upgraded from before the folded column finds its old comments once the migration has run.
    InboxItem.objects.update(search_text="")
    import_module("chorus.inbox.migrations.0006_inbox_item_search_text").fold_existing_items(django_apps, None)
    assert found("ёлку") == {tree.pk}


def test_a_moderator_answers_and_hides_from_the_item_page(client, moderator, workspace, lively_channel):
    ingestion.ingest_channel(lively_channel)
    item = InboxItem.objects.filter(kind="comment", deleted_on_network=False).first()
    client.force_login(moderator)
    page = client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()
    assert "Send answer" in page and "Ban the author" in page
    client.post(f"/w/coffee/inbox/{item.pk}/reply/", {"text": "Спасибо, что написали!"})
    reply = InboxReply.objects.get(item=item)
    services.send_reply(reply.pk)
    client.post(f"/w/coffee/inbox/{item.pk}/moderate/", {"action": "hide"})
    item.refresh_from_db()
    assert item.status == ItemStatus.ANSWERED and item.hidden
    assert SandboxComment.objects.get(remote_id=item.remote_id).hidden_at is not None
    page = client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()
    # The page now speaks the workspace's language (Russian), the moderator's last workspace.
    assert "Спасибо, что написали!" in page and "Журнал модерации" in page


def test_two_people_on_one_shift_do_not_both_answer_and_a_refused_answer_keeps_its_text(owner, moderator,
                                                                                           workspace, channel):
    [question] = ingestion.record_conversations(channel, [Conversation(
        "comment", "c-q", "u-1", "Катя", "А овсяное молоко есть?", timezone.now(), post_remote_id="p1")])
    olga, marina = Client(), Client()
    olga.force_login(owner)
    marina.force_login(moderator)
    for person in (owner, moderator):
        choose_language(person, "en")
    seen = re.search(r'name="seen_reply" value="(\d+)"', marina.get(f"/w/coffee/inbox/{question.pk}/")
                     .content.decode()).group(1)
    olga.post(f"/w/coffee/inbox/{question.pk}/reply/", {"text": "Есть, и кокосовое тоже!", "seen_reply": seen})

    refused = marina.post(f"/w/coffee/inbox/{question.pk}/reply/", {"text": "Да, овсяное есть", "seen_reply": seen})
    page = refused.content.decode()
    assert refused.status_code == 400 and "olga answered this meanwhile: “Есть, и кокосовое тоже!”" in page
    assert ">Да, овсяное есть</textarea>" in page and question.replies.count() == 1
    seen = re.search(r'name="seen_reply" value="(\d+)"', page).group(1)
    marina.post(f"/w/coffee/inbox/{question.pk}/reply/", {"text": "Да, овсяное есть", "seen_reply": seen})
    assert [r.text for r in question.replies.all()] == ["Есть, и кокосовое тоже!", "Да, овсяное есть"]

    too_long = marina.post(f"/w/coffee/inbox/{question.pk}/reply/", {"text": "Очень " * 3000, "seen_reply": seen})
    assert "longer than 10000 characters" in too_long.content.decode()
    assert "Очень Очень" in too_long.content.decode() and question.replies.count() == 2


def test_a_moderator_weighs_a_trolls_record_before_banning(signed_in, moderator, workspace, channel):
    now = timezone.now()
    insults = ["Ты тупой идиот, заткнись уже", "Какие же вы дебилы, ненавижу", "Админ, ты урод и кретин"]
    ingestion.record_conversations(channel, [
        Conversation("comment", f"troll-{n}", "u-troll", "Павел", text, now - timedelta(hours=3 - n),
                     post_remote_id="p1") for n, text in enumerate(insults)] + [
        Conversation("comment", "fan-1", "u-fan", "Анна", "Лучший капучино в городе, спасибо!", now,
                     post_remote_id="p1"),
        # The page wrote to the troll in private; its messages are kept in the troll's thread, not on their record.
        Conversation("message", "dm-1", "u-troll", "Павел", "Павел, давайте обсудим в личке", now, from_page=True)])
    labelling.label_pending(channel)  # as the worker does after each read
    first, *_, latest = InboxItem.objects.filter(author__remote_id="u-troll", from_page=False).order_by("written_at")
    services.moderate(actor=moderator, item=first, action="hide")
    client = signed_in(moderator)
    page = client.get(f"/w/coffee/inbox/{latest.pk}/").content.decode()
    record = re.search(r"data-author-record>(.*?)</p>", page, re.S).group(1)
    assert "3 items in this workspace" in record and "answered 0 · hidden 1" in record
    assert "abuse × 3" in record and "praise" not in record
    assert "давайте обсудим" not in page.split("data-author-record")[1]
    assert page.count('<span class="badge text-bg-warning">hidden</span>') == 1  # the hidden one, in the history
    fan = InboxItem.objects.get(remote_id="fan-1")
    record = re.search(r"data-author-record>(.*?)</p>", client.get(f"/w/coffee/inbox/{fan.pk}/").content.decode(),
                       re.S).group(1)
    assert "1 item in this workspace" in record and "abuse" not in record
    # A script reads the same record.
    by_api = client.get(f"/api/v1/workspaces/coffee/inbox/{latest.pk}/author").json()
    assert (by_api["name"], by_api["items"], by_api["hidden"], by_api["labels"]["abuse"]) == ("Павел", 3, 1, 3)
    assert [past["text"] for past in by_api["history"]] == insults[1::-1]  # the other two, newest first


def test_an_editor_answers_but_sees_no_moderation_buttons(client, editor, workspace, lively_channel):
    ingestion.ingest_channel(lively_channel)
    item = InboxItem.objects.filter(kind="comment").first()
    client.force_login(editor)
    page = client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()
    assert "Send answer" in page and "Ban the author" not in page
    assert client.post(f"/w/coffee/inbox/{item.pk}/moderate/", {"action": "delete"}).status_code == 403


def test_the_owner_sets_hours_a_target_a_saved_reply_and_a_rule_from_the_settings_page(signed_in, owner, workspace,
                                                                                        channel):
    client = signed_in(owner)
    client.post("/w/coffee/inbox/settings/hours/", {"weekdays": ["0", "1", "2", "3", "4"], "opens": "09:00",
                                                     "closes": "18:00"})
    client.post("/w/coffee/inbox/settings/target/", {"channel": channel.pk, "minutes": "30", "business": "1"})
    client.post("/w/coffee/inbox/settings/saved-replies/", {
        "title": "Дорого", "objection": "Слишком дорого", "text": "{author}, у нас зерно свежей обжарки",
        "labels": "complaint", "keywords": "дорого, цена"})
    client.post("/w/coffee/inbox/settings/rules/", {"name": "Спам", "labels": "spam:0.9", "actions": ["hide"],
                                                     "dry_run": "1"})
    refused = client.post("/w/coffee/inbox/settings/rules/", {"name": "Плохой", "labels": "spam:очень",
                                                               "actions": ["hide"]}, follow=True)
    assert "Write labels as name:confidence" in refused.content.decode()
    page = client.get("/w/coffee/inbox/settings/").content.decode()
    assert "Слишком дорого" in page and "dry run" in page and 'value="30"' in page
    rule = workspace.moderation_rules.get()
    assert (rule.conditions, rule.actions, rule.dry_run) == ({"labels": {"spam": 0.9}}, ["hide"], True)
    assert channel.response_target.business_hours
    client.post(f"/w/coffee/inbox/settings/rules/{rule.pk}/", {"switch": "dry_run"})
    rule.refresh_from_db()
    assert not rule.dry_run


def test_after_the_dry_run_the_owner_tightens_a_rule_and_a_typo_costs_nothing_she_typed(signed_in, owner, moderator,
                                                                                          workspace, channel):
    client = signed_in(owner)
    client.post("/w/coffee/inbox/settings/rules/", {"name": "Спам", "labels": "spam:0.8", "authors": ["new"],
                                                     "actions": ["hide", "ban"], "channel": channel.pk,
                                                     "assignee": moderator.pk, "dry_run": "1"})
    rule = workspace.moderation_rules.get()
    form = client.get("/w/coffee/inbox/settings/", {"edit": rule.pk}).content.decode()
    form = re.search(r"<form[^>]*data-rule-form>(.*?)</form>", form, re.S).group(1)
    assert f'name="rule" value="{rule.pk}"' in form and 'value="spam:0.8"' in form
    assert re.search(r'value="new" checked', form) and re.search(r'value="ban" checked', form)
    assert f'value="{channel.pk}" selected' in form and f'value="{moderator.pk}" selected' in form

    # She adds a pattern with a typo: the page says what is wrong and keeps what she typed.
    refused = client.post("/w/coffee/inbox/settings/rules/", {
        "rule": rule.pk, "name": "Спам со ссылками", "labels": "spam:0.95", "pattern": "(https?://", "authors": ["new"],
        "actions": ["hide", "ban"], "channel": channel.pk, "dry_run": "1"})
    page = refused.content.decode()
    assert refused.status_code == 400 and "The pattern is not a valid regular expression" in page
    assert 'value="Спам со ссылками"' in page and 'value="spam:0.95"' in page and 'value="(https?://"' in page
    client.post("/w/coffee/inbox/settings/rules/", {
        "rule": rule.pk, "name": "Спам со ссылками", "labels": "spam:0.95", "pattern": "https?://", "authors": ["new"],
        "actions": ["hide", "ban"], "channel": channel.pk, "dry_run": "1"})
    rule.refresh_from_db()
    assert workspace.moderation_rules.count() == 1
    assert (rule.name, rule.conditions, rule.channel_id) == (
        "Спам со ссылками", {"labels": {"spam": 0.95}, "pattern": "https?://", "authors": ["new"]}, channel.pk)


def test_prices_change_so_the_owner_edits_a_saved_reply_and_a_wrong_placeholder_never_reaches_a_customer(
        signed_in, owner, workspace):
    client = signed_in(owner)
    client.post("/w/coffee/inbox/settings/saved-replies/", {
        "title": "Дорого", "objection": "Слишком дорого", "text": "{author}, капучино стоит 250 ₽",
        "labels": "complaint", "keywords": "дорого, цена"})
    saved = workspace.saved_replies.get()
    form = client.get("/w/coffee/inbox/settings/", {"reply": saved.pk}).content.decode()
    form = re.search(r"<form[^>]*data-reply-form>(.*?)</form>", form, re.S).group(1)
    assert f'name="saved" value="{saved.pk}"' in form and ">{author}, капучино стоит 250 ₽</textarea>" in form
    assert 'value="complaint"' in form and 'value="дорого, цена"' in form

    refused = client.post("/w/coffee/inbox/settings/saved-replies/", {
        "saved": saved.pk, "title": "Дорого", "text": "{имя}, капучино теперь 270 ₽", "labels": "complaint"})
    page = refused.content.decode()
    assert refused.status_code == 400 and "{имя} is not a placeholder we can fill" in page
    assert ">{имя}, капучино теперь 270 ₽</textarea>" in page
    client.post("/w/coffee/inbox/settings/saved-replies/", {
        "saved": saved.pk, "title": "Дорого", "text": "{author}, капучино теперь 270 ₽", "labels": "complaint"})
    saved.refresh_from_db()
    assert (saved.text, workspace.saved_replies.count()) == ("{author}, капучино теперь 270 ₽", 1)

    rules.save_rule(actor=owner, workspace=workspace, name="Цены", conditions={"keywords": ["дорого"]},
                    actions=["reply"], saved_reply=saved)
    kept = client.post(f"/w/coffee/inbox/settings/saved-replies/{saved.pk}/delete/", follow=True).content.decode()
    assert "The rule “Цены” answers with it; change the rule first." in kept and workspace.saved_replies.exists()
    workspace.moderation_rules.all().delete()
    client.post(f"/w/coffee/inbox/settings/saved-replies/{saved.pk}/delete/")
    assert not workspace.saved_replies.exists()


def test_response_times_page_shows_the_channel_row(signed_in, owner, workspace, lively_channel):
    ingestion.ingest_channel(lively_channel)
    client = signed_in(owner)
    page = client.get("/w/coffee/inbox/response-times/", {"days": "7"}).content.decode()
    assert lively_channel.name in page and "First response, median" in page
    told = client.get("/w/coffee/inbox/response-times/", {"business": "1"}, follow=True).content.decode()
    assert "business hours first" in told


def test_a_comment_shows_the_post_it_was_left_under(client, moderator, editor, workspace, channel):
    job = published(editor, workspace, channel, text="Новый сорт: Эфиопия Иргачефе, 250 г за 690 ₽")
    ingestion.record_conversations(channel, [Conversation(
        "comment", "c-under", "u-1", "Катя", "А в зёрнах есть?", timezone.now(), post_remote_id=job.remote_id)])
    client.force_login(moderator)
    page = client.get(f"/w/coffee/inbox/{InboxItem.objects.get(remote_id='c-under').pk}/").content.decode()
    assert "Новый сорт: Эфиопия Иргачефе, 250 г за 690 ₽" in page
    assert f'href="/w/coffee/posts/{job.variant.post_id}/"' in page
    listed = client.get("/w/coffee/inbox/").content.decode()
    assert "под постом «Новый сорт: Эфиопия Иргачефе, 250 г за 690 ₽»" in listed  # the moderator reads Russian


def test_a_russian_speaking_owner_writes_a_rule_in_her_words_and_reads_it_back_in_them(signed_in, owner, workspace):
    client = signed_in(owner, "ru")
    client.post("/w/coffee/inbox/settings/saved-replies/", {
        "title": "Извинение", "text": "{author}, простите нас", "labels": "Жалоба, негатив"})
    client.post("/w/coffee/inbox/settings/rules/", {
        "name": "Спам от новичков", "labels": "спам:0.9", "authors": ["new", "link_only"], "actions": ["hide", "ban"],
        "dry_run": "1"})
    refused = client.post("/w/coffee/inbox/settings/rules/", {"name": "Опечатка", "labels": "спан:0.9",
                                                               "actions": ["hide"]}, follow=True).content.decode()
    assert "Метки «спан» нет. Есть такие метки: негатив, нейтрально, позитив, спам" in refused

    rule = workspace.moderation_rules.get()
    assert rule.conditions == {"labels": {"spam": 0.9}, "authors": ["new", "link_only"]}
    assert workspace.saved_replies.get().labels == ["complaint", "negative"]
    page = client.get("/w/coffee/inbox/settings/").content.decode()
    assert "спам ≥ 0,9 · автор: новый аккаунт, только ссылка → скрыть, забанить автора" in page
    assert "метки: жалоба, негатив" in page
    assert "{&#x27;labels&#x27;" not in page and "link_only</label>" not in page


def test_a_moderator_closes_a_mornings_thanks_and_hides_spam_in_two_clicks(client, moderator, workspace, channel):
    written = timezone.now()
    ingestion.record_conversations(channel, [
        Conversation("comment", f"t{n}", f"u{n}", f"Гость {n}", "Спасибо!", written, post_remote_id="p1")
        for n in range(3)] + [
        Conversation("comment", "s1", "bot", "promo_bot", "Заработок без вложений", written, post_remote_id="p1"),
        Conversation("message", "m1", "bot", "promo_bot", "Заработок в личке", written)])
    SandboxComment.objects.create(post=create_post(channel.connector._account(), text="Раф", media_count=0,
                                                   idempotency_key="raf"),
                                  remote_id="s1", author_id="bot", author_name="promo_bot",
                                  text="Заработок без вложений", language="ru", kind="spam", created_at=written)
    thanks = list(InboxItem.objects.filter(text="Спасибо!").values_list("pk", flat=True))
    spam, message = InboxItem.objects.get(remote_id="s1"), InboxItem.objects.get(remote_id="m1")
    client.force_login(moderator)
    page = client.get("/w/coffee/inbox/", {"q": "Спасибо"}).content.decode()
    assert page.count('name="items"') == 3 and 'form="inbox-many"' in page

    query = urlencode({"q": "Спасибо"})  # as the page's form carries it
    assert f'name="query" value="{query}"' in page
    closed = client.post("/w/coffee/inbox/many/", {"items": thanks, "action": "close", "query": query})
    assert closed.url == f"/w/coffee/inbox/?{query}"  # back to the same filtered list
    assert set(InboxItem.objects.filter(pk__in=thanks).values_list("status", flat=True)) == {ItemStatus.CLOSED}

    typo = client.post("/w/coffee/inbox/many/", {"items": thanks, "action": "assign", "assignee": "99999"},
                       follow=True).content.decode()
    assert "Назначить можно только участника этого рабочего пространства." in typo  # not read as "nobody"
    assert set(InboxItem.objects.filter(pk__in=thanks).values_list("status", flat=True)) == {ItemStatus.CLOSED}

    hidden = client.post("/w/coffee/inbox/many/", {"items": [spam.pk, message.pk], "action": "hide"}, follow=True)
    said = hidden.content.decode()
    assert "Готово: 1 обращение." in said  # the moderator reads Russian
    assert "Заработок в личке" in said  # the message is named with why it was left
    spam.refresh_from_db()
    message.refresh_from_db()
    assert (spam.hidden, spam.status) == (True, ItemStatus.CLOSED) and not message.hidden


def test_a_client_who_may_only_read_the_inbox_cannot_act_on_many(client, team, workspace, channel):
    ingestion.record_conversations(channel, [Conversation(
        "comment", "c1", "u1", "Гость", "Спасибо!", timezone.now(), post_remote_id="p1")])
    item = InboxItem.objects.get()
    client_person = team["client"]
    grant(actor=team["owner"], workspace=workspace, user=client_person, actions=["inbox.view"])
    client.force_login(client_person)
    assert 'name="items"' not in client.get("/w/coffee/inbox/").content.decode()
    assert client.post("/w/coffee/inbox/many/", {"items": [item.pk], "action": "close"}).status_code == 403
    item.refresh_from_db()
    assert item.status == ItemStatus.NEW
