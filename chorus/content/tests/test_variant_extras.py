"""An editor adds a poll, a thread and a first comment to a post, each only where the channel's network has it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.models import Post
from chorus.content.services import (
    PostInvalid,
    check_draft,
    create_and_schedule,
    publication_of,
    write_post,
)
from chorus.networks.base import Poll, Publication
from chorus.networks.telegram import TelegramConnector
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.networks.tests.fakes.telegram import FakeTelegram
from chorus.networks.tests.test_telegram import TOKEN as TELEGRAM_TOKEN
from chorus.publishing.models import PublishJob
from chorus.workspaces.tests.test_api_stories import JSON, bearer

TOMORROW = timezone.now() + timedelta(days=1)
POLL = {"question": "Какой сорт взять?", "options": ["Эфиопия", "Колумбия"], "multiple": True,
        "closes_in_seconds": 3600}


@pytest.fixture
def mastodon(serve, owner, workspace):  # noqa: F811
    api = serve(FakeMastodon())
    return connect_channel(actor=owner, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                           credentials={"access_token": api.token}, config={"instance_url": api.url})


def test_the_extras_are_kept_and_go_out_with_the_variant(editor, workspace, mastodon):
    post = write_post(actor=editor, workspace=workspace, text="Голосуем!", channel_ids=[mastodon.pk],
                      variant_extras={str(mastodon.pk): {"poll": {**POLL, "question": "Какой\r\nсорт?"},
                                                         "thread": ["Часть 2\r\nи дальше", "Часть 3"],
                                                         "first_comment": "Меню: https://example.com/menu"}})
    [variant] = post.variants.all()
    assert variant.poll["question"] == "Какой\nсорт?" and variant.thread == ["Часть 2\nи дальше", "Часть 3"]
    publication = publication_of(variant)
    assert publication.poll == Poll("Какой\nсорт?", ("Эфиопия", "Колумбия"), True, 3600)
    assert publication.thread == ("Часть 2\nи дальше", "Часть 3")
    assert publication.first_comment == "Меню: https://example.com/menu"


def test_an_extra_the_network_lacks_is_refused_by_name_and_nothing_is_lost(editor, workspace, channel):
    with pytest.raises(ValidationError) as refused:
        create_and_schedule(actor=editor, workspace=workspace, text="Голосуем!", channel_ids=[channel.pk],
                            variant_extras={channel.pk: {"poll": POLL, "first_comment": "Меню"}},
                            due_at=TOMORROW)
    assert refused.value.messages == [f"{channel.name}: Sandbox does not take a poll.",
                                      f"{channel.name}: Sandbox does not take a first comment."]
    assert not Post.objects.exists() and not PublishJob.objects.exists()
    # The same text without the extras is fine: only what the network cannot take was refused.
    write_post(actor=editor, workspace=workspace, text="Голосуем!", channel_ids=[channel.pk])


def test_a_too_long_thread_part_is_reported_by_its_number(editor, workspace, mastodon):
    [check] = check_draft(actor=editor, workspace=workspace, text="Начало", channel_ids=[mastodon.pk],
                          variant_extras={mastodon.pk: {"thread": ["Коротко", "я" * 501]}})
    assert [p.message for p in check.problems] == ["part 3: 1 over the limit of 500."]
    post = write_post(actor=editor, workspace=workspace, text="Начало", channel_ids=[mastodon.pk],
                      variant_extras={mastodon.pk: {"thread": ["я" * 501, "Коротко"]}})
    with pytest.raises(PostInvalid) as refused:
        create_and_schedule(actor=editor, workspace=workspace, text="Начало", channel_ids=[mastodon.pk],
                            variant_extras={mastodon.pk: {"thread": ["я" * 501]}}, due_at=TOMORROW, post=post)
    assert refused.value.messages == ["Coffee on Mastodon: part 2: 1 over the limit of 500."]
    assert not PublishJob.objects.exists()


def test_a_poll_needs_a_question_and_two_to_ten_filled_options(editor, workspace, mastodon):
    def problems(poll):
        [check] = check_draft(actor=editor, workspace=workspace, text="Опрос", channel_ids=[mastodon.pk],
                              variant_extras={mastodon.pk: {"poll": poll}})
        return [p.message for p in check.problems]

    assert problems(POLL) == []
    assert problems({"question": "", "options": ["Да"]}) == ["The poll needs a question.",
                                                              "A poll has 2 to 10 options."]
    assert problems({"question": "?", "options": ["Да", ""]}) == ["A poll option is empty."]



def test_a_script_writes_the_extras_over_the_api_and_reads_them_back(editor, workspace, mastodon, channel):
    client = bearer(editor, workspace)
    variant = {"channel": mastodon.pk, "poll": POLL, "thread": ["Часть 2"], "first_comment": "Меню"}
    created = client.post("/api/v1/workspaces/coffee/posts", {"text": "Голосуем!", "channels": [mastodon.pk],
                                                               "variants": [variant]}, content_type=JSON)
    assert created.status_code == 201, created.content
    [saved] = created.json()["variants"]
    assert saved == {"channel": mastodon.pk, "text": "", "poll": POLL, "thread": ["Часть 2"], "first_comment": "Меню"}
    post_url = f"/api/v1/workspaces/coffee/posts/{created.json()['id']}"
    # Changing only the text keeps the extras.
    client.patch(post_url, {"text": "Голосуем за сорт!"}, content_type=JSON)
    [kept] = client.get(post_url).json()["variants"]
    assert (kept["poll"], kept["thread"], kept["first_comment"]) == (POLL, ["Часть 2"], "Меню")
    # A poll for the sandbox channel is refused with its name and network; the post stays as it was.
    refused = client.patch(post_url, {"channels": [channel.pk], "variants": [{"channel": channel.pk, "poll": POLL}]},
                           content_type=JSON)
    assert refused.status_code == 422
    assert f"{channel.name}: Sandbox does not take a poll." in refused.content.decode()
    assert [v["channel"] for v in client.get(post_url).json()["variants"]] == [mastodon.pk]


def test_the_api_documents_the_extras(editor, workspace):
    schemas = bearer(editor, workspace).get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"poll", "thread", "first_comment"} <= set(schemas["VariantIn"]["properties"])
    assert {"poll", "thread", "first_comment"} <= set(schemas["VariantOut"]["properties"])
    assert {"question", "options", "multiple", "closes_in_seconds"} <= set(schemas["PollSchema"]["properties"])


def test_telegrams_own_poll_rules_show_instead_of_the_general_ones(serve, owner, editor, workspace):  # noqa: F811
    serve(FakeTelegram())
    telegram = connect_channel(actor=owner, workspace=workspace, network="telegram", name="Coffee TG",
                               credentials={"token": TELEGRAM_TOKEN}, config={"chat": "@demo_coffee"})
    [check] = check_draft(actor=editor, workspace=workspace, text="Опрос", channel_ids=[telegram.pk],
                          variant_extras={telegram.pk: {"poll": {"question": "?", "options": ["Да"]}}})
    assert [p.message for p in check.problems] == [p.message for p in TelegramConnector.validate(
        Publication("Опрос", poll=Poll("?", ("Да",))))]
    assert len(check.problems) == 1 and "Telegram poll" in check.problems[0].message
