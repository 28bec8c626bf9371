"""A moderator lets rules clean spam and abuse as comments arrive, after watching them in dry run."""

import io
import json
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from chorus.inbox import activity, ingestion, labelling, rules, services
from chorus.inbox.models import InboxItem, InboxReply, IngestTurn, ItemStatus, ModerationAction, SavedReply
from chorus.inbox.response_times import set_business_hours
from chorus.inbox.tests.conftest import comment_on
from chorus.networks.base import Conversation
from chorus.notifications.models import Notification
from chorus.sandbox.models import SandboxComment

MOSCOW = ZoneInfo("Europe/Moscow")


def test_a_dry_run_rule_only_says_what_it_would_have_done(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Спам прочь", conditions={"labels": {"spam": 0.8}},
                    actions=["hide", "ban"])
    spam = comment_on(channel, page_post, 1, "earn_daily", "Заработок без вложений http://x.example", {"spam": 0.97})
    done = rules.apply_rules([spam])
    assert [(a.action, a.dry_run, a.rule_name) for a in done] == [("hide", True, "Спам прочь"),
                                                                   ("ban", True, "Спам прочь")]
    assert SandboxComment.objects.get(remote_id="rc1").hidden_at is None


def test_before_going_live_the_owner_reviews_what_a_dry_run_rule_would_have_done(signed_in, owner, moderator,
                                                                                 workspace, channel, page_post):
    rule = rules.save_rule(actor=owner, workspace=workspace, name="Ссылки", conditions={"pattern": r"https?://"},
                           actions=["hide"])
    client = signed_in(owner)
    assert "Nothing matched yet." in client.get("/w/coffee/inbox/settings/").content.decode()
    spam = comment_on(channel, page_post, 1, "earn_daily", "Заработок без вложений http://x.example")
    menu = comment_on(channel, page_post, 2, "Анна", "Вот ваше меню: https://coffee.example/menu, всем советую")
    question = comment_on(channel, page_post, 3, "Иван", "А раф без сахара бывает?")
    rules.apply_rules([spam, menu, question])
    settings_page = client.get("/w/coffee/inbox/settings/").content.decode()
    assert "2 items acted on (in dry run: what it would have done)" in settings_page
    review = re.search(r'href="(/w/coffee/inbox/\?rule=[^"]+)"', settings_page).group(1)
    assert shown_items(client.get(review)) == {spam.pk, menu.pk}  # Anna's honest link would have gone too

    # The owner lets it go live anyway; a moderator takes back the hide it did to a regular's link.
    client.post(f"/w/coffee/inbox/settings/rules/{rule.pk}/", {"switch": "dry_run"})
    tip = comment_on(channel, page_post, 4, "Анна", "Нашла вас тут: https://maps.example/coffee")
    [hiding] = rules.apply_rules([tip])
    services.undo_moderation(actor=moderator, action=hiding)
    settings_page = client.get("/w/coffee/inbox/settings/").content.decode()
    assert "3 items acted on" in settings_page and "1 action undone by a person" in settings_page
    by_api = client.get("/api/v1/workspaces/coffee/inbox", {"rule": "Ссылки"}).json()
    out = io.StringIO()
    call_command("inbox", "list", "--rule", "Ссылки", "--workspace", "coffee", "--as", owner.username, "--json",
                 stdout=out)
    assert {i["id"] for i in by_api} == {i["id"] for i in json.loads(out.getvalue())} == {spam.pk, menu.pk, tip.pk}


def test_a_dry_run_find_marked_not_spam_counts_against_the_rule_and_a_rename_keeps_its_record(
        signed_in, owner, moderator, workspace, channel, page_post):
    rule = rules.save_rule(actor=owner, workspace=workspace, name="Ссылки", conditions={"pattern": r"https?://"},
                           actions=["hide"])
    spam = comment_on(channel, page_post, 1, "earn_daily", "Заработок без вложений http://x.example", {"spam": 0.97})
    menu = comment_on(channel, page_post, 2, "Анна", "Вот ваше меню: https://coffee.example/menu, всем советую",
                      {"spam": 0.6})
    rules.apply_rules([spam, menu])
    # Reviewing the finds, the moderator says Anna's link is not spam; "not a question" on the spam is no verdict
    # on the rule.
    labelling.correct_label(actor=moderator, item=menu, name="spam", value="no")
    labelling.correct_label(actor=moderator, item=spam, name="question", value="no")
    rules.save_rule(actor=owner, workspace=workspace, name="Ссылки в комментариях", conditions=rule.conditions,
                    actions=rule.actions, rule=rule)

    client = signed_in(owner)
    page = client.get("/w/coffee/inbox/settings/").content.decode()
    assert "2 items acted on" in page and "1 item a person marked as not what the rule took it for" in page
    assert shown_items(client.get("/w/coffee/inbox/", {"rule": "Ссылки в комментариях"})) == {spam.pk, menu.pk}
    with pytest.raises(ValidationError, match="Another rule is called"):
        rules.save_rule(actor=owner, workspace=workspace, name="Ссылки в комментариях ", conditions={"keywords": ["x"]},
                        actions=["alert"])


def test_the_owner_orders_rules_and_lets_a_later_one_see_what_an_earlier_one_matched(signed_in, owner, moderator,
                                                                                      workspace, channel, page_post):
    client = signed_in(owner)
    for name, keyword in [("Конкуренты", "кофемани"), ("Цены", "дешевле")]:
        client.post("/w/coffee/inbox/settings/rules/", {"name": name, "keywords": keyword, "actions": ["assign"],
                                                         "assignee": moderator.pk, "stop": "1"})
    competitors, prices = workspace.moderation_rules.order_by("position")
    comparison = comment_on(channel, page_post, 1, "Анна", "В Кофемании дешевле")
    assert {a.rule_name for a in rules.apply_rules([comparison])} == {"Конкуренты"}

    client.post(f"/w/coffee/inbox/settings/rules/{prices.pk}/", {"switch": "up"})
    again = comment_on(channel, page_post, 2, "Иван", "В Кофемании дешевле на 50 рублей")
    assert {a.rule_name for a in rules.apply_rules([again])} == {"Цены"}

    client.post("/w/coffee/inbox/settings/rules/", {"rule": prices.pk, "name": "Цены", "keywords": "дешевле",
                                                     "actions": ["assign"], "assignee": moderator.pk})
    third = comment_on(channel, page_post, 3, "Пётр", "В Кофемании дешевле, но у вас вкуснее")
    assert {a.rule_name for a in rules.apply_rules([third])} == {"Цены", "Конкуренты"}
    assert "later rules run too" in client.get("/w/coffee/inbox/settings/").content.decode()


def test_the_team_report_shows_who_cleaned_what_people_and_rules_apart(signed_in, owner, moderator, workspace,
                                                                       channel, page_post):
    rules.save_rule(actor=owner, workspace=workspace, name="Ссылки", conditions={"pattern": r"https?://"},
                    actions=["hide"], dry_run=False)
    rules.save_rule(actor=owner, workspace=workspace, name="Очереди", conditions={"keywords": ["очередь"]},
                    actions=["delete"])  # still in dry run: it has cleaned nothing
    spam = comment_on(channel, page_post, 1, "earn_daily", "Заработок без вложений http://x.example")
    tip = comment_on(channel, page_post, 2, "Анна", "Мы тут отмечались: https://maps.example/coffee")
    queue = comment_on(channel, page_post, 3, "Иван", "Опять очередь до двери")
    troll = comment_on(channel, page_post, 4, "Павел", "Вы все тут идиоты")
    done = rules.apply_rules([spam, tip, queue])
    services.undo_moderation(actor=moderator, action=next(a for a in done if a.item_id == tip.pk))
    services.moderate(actor=moderator, item=troll, action="hide")
    services.moderate(actor=owner, item=troll, action="ban")

    now = timezone.now()
    report = activity.moderation_report(actor=owner, workspace=workspace, since=now - timedelta(days=1), until=now)
    assert [(row.person, row.rule, row.hidden, row.deleted, row.banned, row.undone) for row in report] == [
        ("moderator-user", "", 1, 0, 0, 0), ("olga", "", 0, 0, 1, 0), ("", "Ссылки", 2, 0, 0, 1)]
    page = signed_in(owner).get("/w/coffee/inbox/response-times/").content.decode()
    table = re.search(r"data-moderation>(.*?)</table>", page, re.S).group(1)
    assert "rule “Ссылки”" in table and "Очереди" not in table and "moderator-user" in table


def shown_items(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-item="(\d+)"', response.content.decode())}


def test_a_live_rule_hides_spam_and_bans_the_bot_on_the_network(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Спам прочь", conditions={"labels": {"spam": 0.8}},
                    actions=["delete", "ban"], dry_run=False)
    spam = comment_on(channel, page_post, 1, "earn_daily", "Заработок без вложений http://x.example", {"spam": 0.97})
    honest = comment_on(channel, page_post, 2, "Анна", "А раф без сахара бывает?", {"spam": 0.03})
    rules.apply_rules([spam, honest])
    assert SandboxComment.objects.get(remote_id="rc1").deleted_at is not None
    assert SandboxComment.objects.get(remote_id="rc2").deleted_at is None
    spam.refresh_from_db()
    assert spam.deleted_on_network and spam.author.banned_at is not None
    assert [a.rule_name for a in ModerationAction.objects.filter(item=spam)] == ["Спам прочь"] * 2


def test_an_honest_critic_is_routed_to_a_person_even_by_a_broad_rule(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Ругань", conditions={"keywords": ["ужас"]},
                    actions=["hide"], dry_run=False)
    critic = comment_on(channel, page_post, 1, "Ольга", "Ужас, ждали заказ 40 минут, никто не извинился",
                        {"negative": 0.91, "complaint": 0.88, "abuse": 0.05, "spam": 0.01})
    [action] = rules.apply_rules([critic])
    assert "complaint" in action.outcome and SandboxComment.objects.get(remote_id="rc1").hidden_at is None
    assert Notification.objects.filter(kind="inbox.critic").exists()


def test_a_rule_that_would_hide_complaints_is_refused(moderator, workspace):
    with pytest.raises(ValidationError, match="goes to a person"):
        rules.save_rule(actor=moderator, workspace=workspace, name="Негатив", actions=["hide"],
                        conditions={"labels": {"negative": 0.5}})
    with pytest.raises(ValidationError, match="regular expression"):
        rules.save_rule(actor=moderator, workspace=workspace, name="Плохой", actions=["hide"],
                        conditions={"pattern": "(unclosed"})
    with pytest.raises(ValidationError, match="There is no label “spamm”"):  # it would never match anything
        rules.save_rule(actor=moderator, workspace=workspace, name="Опечатка", actions=["hide"],
                        conditions={"labels": {"spamm": 0.9}})


def test_complaints_are_assigned_and_questions_get_the_saved_answer(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Жалобы — Ольге", actions=["assign", "alert"],
                    conditions={"labels": {"complaint": 0.6}}, dry_run=False, assignee=moderator)
    hours = SavedReply.objects.create(workspace=workspace, title="Часы", text="{author}, мы открыты с 8 до 22!")
    rules.save_rule(actor=moderator, workspace=workspace, name="Часы работы", actions=["reply"],
                    conditions={"pattern": r"до скольки|часы работы"}, dry_run=False, saved_reply=hours)
    complaint = comment_on(channel, page_post, 1, "Ольга", "Кофе был холодный", {"complaint": 0.9})
    question = comment_on(channel, page_post, 2, "Иван Соколов", "А до скольки вы сегодня?", {"question": 0.9})
    rules.apply_rules([complaint, question])
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assignee) == (ItemStatus.ASSIGNED, moderator)
    assert InboxReply.objects.get(item=question).text == "Иван, мы открыты с 8 до 22!"

    # Ivan asks again the same evening: the saved answer is not sent twice; the question waits for a person.
    again = comment_on(channel, page_post, 3, "Иван Соколов", "А в субботу до скольки?", {"question": 0.9})
    [unsent] = rules.apply_rules([again])
    assert "answered this author less than a day ago" in unsent.outcome and not again.replies.exists()
    assert [n.message for n in Notification.objects.filter(kind="inbox.alert", recipient=moderator)] == [
        "Rule Жалобы — Ольге: Кофе был холодный"]


def test_a_wave_of_matches_makes_one_alert_that_opens_the_rules_finds(signed_in, moderator, workspace, channel,
                                                                      page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Упоминания конкурента", actions=["alert"],
                    conditions={"keywords": ["кофемани"]}, dry_run=False)
    wave = [comment_on(channel, page_post, number, f"user{number}", f"В Кофемании дешевле, вариант {number}")
            for number in range(5)]
    rules.apply_rules(wave)
    [alert] = Notification.objects.filter(kind="inbox.alert", recipient=moderator)
    assert alert.message.startswith("Rule Упоминания конкурента: 5 new items; the first: В Кофемании дешевле")
    assert shown_items(signed_in(moderator).get(alert.link)) == {item.pk for item in wave}


def test_an_away_message_answers_direct_messages_written_at_night_only(owner, workspace, channel):
    set_business_hours(actor=owner, workspace=workspace, weekdays=list(range(7)), opens=time(9), closes=time(18))
    away = SavedReply.objects.create(workspace=workspace, title="Ночью", text="{author}, ответим утром, с 9:00!")
    with pytest.raises(ValidationError, match="kinds are"):
        rules.save_rule(actor=owner, workspace=workspace, name="Ночь", conditions={"kinds": ["letter"]},
                        actions=["reply"], saved_reply=away)
    rule = rules.save_rule(actor=owner, workspace=workspace, name="Ночью", actions=["reply"], dry_run=False,
                           conditions={"kinds": ["message"], "hours": "outside"}, saved_reply=away)
    assert rules.summary(rule) == "direct message · outside business hours → answer with a saved reply"
    IngestTurn.objects.create(channel=channel, due_at=timezone.now(),
                              watching_since=timezone.now() - timedelta(days=30))
    day = (timezone.now().astimezone(MOSCOW) - timedelta(days=2)).date()

    def written(kind: str, number: int, hour: int) -> InboxItem:
        at = datetime.combine(day, time(hour), tzinfo=MOSCOW)
        [item] = ingestion.record_conversations(channel, [Conversation(
            kind, f"away{number}", f"u{number}", f"Гость{number}", "Вы работаете завтра?", at,
            post_remote_id="" if kind == "message" else "p1")])
        return item

    night, noon, night_comment = written("message", 1, 23), written("message", 2, 11), written("comment", 3, 23)
    rules.apply_rules([night, noon, night_comment])
    assert [r.text for r in InboxReply.objects.all()] == ["Гость1, ответим утром, с 9:00!"]


def test_author_signs_catch_link_only_newcomers_and_copy_paste(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Ссылки от новичков", actions=["hide"],
                    conditions={"authors": ["new", "link_only"]})
    rules.save_rule(actor=moderator, workspace=workspace, name="Копипаста", actions=["hide"],
                    conditions={"authors": ["repeated_text"]})
    link = comment_on(channel, page_post, 1, "promo_bot", "Смотри http://promo.example/go")
    copies = [comment_on(channel, page_post, 10 + n, f"bot{n}", "Взаимная подписка? 💯") for n in range(3)]
    # Three regulars say the same short thanks on their own: that is not copy-paste.
    thanks = [comment_on(channel, page_post, 20 + n, f"fan{n}", "Спасибо!") for n in range(3)]
    done = {(a.item_id, a.rule_name) for a in rules.apply_rules([link, *copies, *thanks])}
    assert (link.pk, "Ссылки от новичков") in done and (copies[2].pk, "Копипаста") in done
    assert (copies[0].pk, "Копипаста") not in done  # the first of them was not yet a repeat
    assert not {item.pk for item in thanks} & {pk for pk, _rule in done}


def test_rules_run_on_what_arrives_from_the_network(moderator, workspace, lively_channel):
    rules.save_rule(actor=moderator, workspace=workspace, name="Ссылки", actions=["hide"], dry_run=False,
                    conditions={"pattern": r"https?://"})
    ingestion.ingest_channel(lively_channel)
    with_links = [i for i in InboxItem.objects.filter(kind="comment", deleted_on_network=False)
                  if "http" in i.text]
    assert with_links, "the simulated audience posts spam links"
    assert all(SandboxComment.objects.get(remote_id=i.remote_id).hidden_at for i in with_links)


def test_a_new_channels_old_comments_are_cleaned_but_never_answered_or_alerted(moderator, workspace, channel,
                                                                                page_post):
    hours = SavedReply.objects.create(workspace=workspace, title="Часы", text="{author}, мы открыты с 8 до 22!")
    rules.save_rule(actor=moderator, workspace=workspace, name="Часы работы", actions=["reply", "alert"],
                    conditions={"pattern": "до скольки"}, dry_run=False, saved_reply=hours)
    rules.save_rule(actor=moderator, workspace=workspace, name="Спам", actions=["hide"], dry_run=False,
                    conditions={"keywords": ["заработок"]})
    last_month = timezone.now() - timedelta(days=30)
    old_question = comment_on(channel, page_post, 1, "Ольга", "А до скольки вы?", written=last_month)
    old_spam = comment_on(channel, page_post, 2, "bot_1", "Заработок без вложений", written=last_month)
    question = comment_on(channel, page_post, 3, "Иван", "А до скольки вы сегодня?")

    rules.apply_rules([old_question, old_spam, question])

    assert [reply.item for reply in InboxReply.objects.all()] == [question]  # a month late would be no answer
    assert {n.link for n in Notification.objects.filter(kind="inbox.alert")} == {f"/w/coffee/inbox/{question.pk}/"}
    assert SandboxComment.objects.get(remote_id="rc2").hidden_at is not None  # old spam is still cleaned
