"""A moderator reads the labels every arriving comment gets offline, corrects the wrong ones, and retrains."""

import io
import json

from django.core.management import call_command
from django.utils import timezone

from chorus.inbox import ingestion, labelling, rules, services
from chorus.inbox.models import InboxItem, ItemLabel, LabelCorrection
from chorus.inbox.services import InboxFilter
from chorus.networks.base import Conversation
from chorus.sandbox.models import SandboxComment


def arrive(channel, number: int, text: str, author: str = "Анна") -> InboxItem:
    """A comment the network pushes, taken in as ingestion takes everything in."""
    [item] = ingestion.record_conversations(channel, [Conversation(
        "comment", f"lc{number}", f"a-{number}", author, text, timezone.now(), post_remote_id="p1")])
    ingestion.settle_arrivals(channel, [item])
    item.refresh_from_db()
    return item


def test_every_comment_from_the_network_arrives_labelled(lively_channel, moderator, workspace):
    ingestion.ingest_channel(lively_channel)
    items = list(services.inbox_of(moderator, workspace))
    assert items and all(i.labelled_at and i.language in ("ru", "en") and i.sentiment for i in items)
    assert all(set(i.labels) == {*labelling.SENTIMENTS, *labelling.LABELS} for i in items)
    kinds = dict(SandboxComment.objects.values_list("remote_id", "kind"))

    def share_labelled(kind: str, label: str) -> float:
        of_kind = [i for i in items if kinds.get(i.remote_id) == kind]
        return sum(i.labels[label] >= labelling.LIKELY for i in of_kind) / len(of_kind)

    # The demo's audience is not what the model learnt from, so this is a fair check of both languages.
    assert share_labelled("spam", "spam") >= 0.7
    assert share_labelled("question", "question") >= 0.6
    assert share_labelled("question", "spam") <= 0.1 and share_labelled("praise", "abuse") <= 0.1


def test_the_labels_a_moderator_filters_by(channel, moderator, workspace):
    question = arrive(channel, 1, "Подскажите, а доставка в Казань сколько стоит?")
    spam = arrive(channel, 2, "Заработок от 3000 в день без вложений!!! Пиши мне в лс http://money-fast.example",
                  author="Успех Бизнес")
    assert question.language == "ru"
    assert services.inbox_of(moderator, workspace, InboxFilter(label="question")).get() == question
    assert services.inbox_of(moderator, workspace, InboxFilter(label="spam")).get() == spam


def test_masked_swearing_is_abuse_but_an_honest_complaint_is_not(channel, moderator, workspace):
    rude = arrive(channel, 1, "Вы там совсем о*уели, х*ровый кофе у вас")
    critic = arrive(channel, 2, "Очень жаль, но заказ привезли через два часа и холодный. Верните деньги, пожалуйста")
    assert rude.labels["abuse"] >= labelling.LIKELY
    assert critic.labels["abuse"] < labelling.LIKELY and critic.sentiment == "negative"
    assert rules.reads_as_critic(critic)


def test_a_spam_rule_hides_what_the_model_calls_spam_and_leaves_the_critic(channel, moderator, workspace):
    rules.save_rule(actor=moderator, workspace=workspace, name="Спам прочь", conditions={"labels": {"spam": 0.7}},
                    actions=["hide"], dry_run=False)
    spam = arrive(channel, 1, "Раскрутка вашей группы, 5000 живых подписчиков за сутки! Пишите @promo_fast_bot")
    critic = arrive(channel, 2, "Третий раз пишу в поддержку, никто не отвечает. Разочарована")
    assert spam.hidden and not critic.hidden


def test_a_moderator_corrects_a_label_with_one_click_and_it_stays(client, channel, moderator, workspace):
    item = arrive(channel, 1, "Взаимная подписка? Загляни ко мне в профиль")
    client.force_login(moderator)
    page = client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()
    assert 'value="spam:' in page and 'value="sentiment:positive"' in page
    client.post(f"/w/coffee/inbox/{item.pk}/label/", {"verdict": "question:yes"})
    client.post(f"/w/coffee/inbox/{item.pk}/label/", {"verdict": "sentiment:positive"})
    item.refresh_from_db()
    assert item.labels["question"] == 1.0 and item.sentiment == "positive"
    assert ItemLabel.objects.get(item=item, name="question").corrected_by == moderator
    # The author edits the comment on the network: the model reads it again, the person's verdict stays.
    ingestion.record_conversations(channel, [Conversation("comment", "lc1", "a-1", "Анна", "Взаимная подписка?",
                                                          timezone.now(), post_remote_id="p1")])
    assert labelling.label_pending(channel) == 1
    item.refresh_from_db()
    assert item.labels["question"] == 1.0 and item.sentiment == "positive"


def test_an_unknown_label_or_value_is_refused_with_what_to_write(signed_in, channel, moderator):
    item = arrive(channel, 1, "Спасибо за вкусный кофе!")
    client = signed_in(moderator)
    client.post(f"/w/coffee/inbox/{item.pk}/label/", {"verdict": "sarcasm:yes"})
    client.post(f"/w/coffee/inbox/{item.pk}/label/", {"verdict": "spam:maybe"})
    assert not LabelCorrection.objects.exists()
    messages = [m.message for m in client.get(f"/w/coffee/inbox/{item.pk}/").context["messages"]]
    assert any("Labels are" in m for m in messages) and any("yes or no" in m for m in messages)


def test_retraining_teaches_the_workspace_what_its_moderators_corrected(channel, moderator, workspace):
    phrase = "Кто хочет бесплатный кофе — подписывайтесь на канал кофеманы_дня"
    items = [arrive(channel, n, f"{phrase} {n}") for n in range(12)]
    before = items[0].labels["spam"]
    for item in items:
        labelling.correct_label(actor=moderator, item=item, name="spam", value="yes")
    examples = labelling.corrected_examples(workspace)
    assert len(examples) == 12 and all(e.labels == {"spam": 1.0} for e in examples)
    out = io.StringIO()
    call_command("classify", "retrain", "--workspace", "coffee", "--json", stdout=out)
    assert json.loads(out.getvalue())["corrections"] == 12
    fresh = arrive(channel, 99, f"{phrase} сегодня")
    assert fresh.labels["spam"] > max(before, 0.5)


def test_a_moderator_retrains_from_the_settings_page(client, channel, moderator, workspace):
    item = arrive(channel, 1, "Подписывайтесь на наш канал про кофе, там розыгрыш")
    client.force_login(moderator)
    assert "Retrain with the corrections" in client.get("/w/coffee/inbox/settings/").content.decode()
    labelling.correct_label(actor=moderator, item=item, name="spam", value="yes")
    client.post("/w/coffee/inbox/settings/labels/retrain/")
    item.refresh_from_db()
    assert item.labelled_at is None  # labelled again by the workspace's own model at the next turn
    assert labelling.label_pending(channel) == 1
    item.refresh_from_db()
    assert item.labels["spam"] == 1.0  # the person's verdict still stands


def test_unsure_labels_get_a_second_look_in_the_background(channel, moderator, workspace):
    items = [arrive(channel, n, text) for n, text in enumerate([
        "ну такое", "Ну вы даёте конечно", "хм, интересно а что дальше будет", "ok", "не знаю даже"])]
    unsure = [i for i in items if i.rescore_pending]
    assert len(unsure) >= 3, "short, vague comments leave the fast labels unsure"
    labelling.correct_label(actor=moderator, item=unsure[0], name="praise", value="yes")
    assert labelling.rescore_uncertain(limit=2, budget_seconds=0) == 2  # out of time after one batch
    assert labelling.rescore_uncertain(limit=2) == len(unsure) - 2  # the rest, batch after batch, in one pass
    for item in unsure:
        item.refresh_from_db()
        assert not item.rescore_pending and set(item.labels) == {*labelling.SENTIMENTS, *labelling.LABELS}
    assert unsure[0].labels["praise"] == 1.0  # the person's verdict still wins
    assert labelling.rescore_uncertain() == 0


def test_an_edit_during_the_second_look_is_not_overwritten(channel, moderator):
    item = arrive(channel, 1, "ну такое")
    InboxItem.objects.filter(pk=item.pk).update(rescore_pending=True)
    item.refresh_from_db()
    InboxItem.objects.filter(pk=item.pk).update(text="Отличный кофе, спасибо!", labelled_at=None)
    labelling._label_batch([item], rescoring=True)  # read before the edit, written after it
    item.refresh_from_db()
    assert item.labelled_at is None  # left for the fast path to label the new text
