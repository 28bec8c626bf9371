"""An editor adds a poll, a thread and a first comment in the composer, sees them checked live, and finds them again
when editing; a channel whose network lacks them shows no such sections and refuses a forged one."""

import pytest
from django.urls import reverse

from chorus.channels.services import connect_channel
from chorus.content.models import Post
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.publishing.models import PublishJob

NEW = reverse("composer", args=["coffee"])
CHECK = reverse("composer-check", args=["coffee"])


@pytest.fixture
def mastodon(serve, owner, workspace):  # noqa: F811
    api = serve(FakeMastodon())
    return connect_channel(actor=owner, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                           credentials={"access_token": api.token}, config={"instance_url": api.url})


def test_the_poll_section_is_there_only_for_channels_whose_network_has_polls(signed_in, editor, channel, mastodon):
    page = signed_in(editor).get(NEW).content.decode()
    assert f'name="poll-question-{mastodon.pk}"' in page and f'name="first-comment-{mastodon.pk}"' in page
    assert f'name="poll-question-{channel.pk}"' not in page and f'name="thread-{channel.pk}"' not in page
    assert "Poll" in page and "Thread" in page and "First comment" in page


def test_editor_saves_a_poll_a_thread_and_a_first_comment_and_finds_them_when_editing(signed_in, editor, mastodon):
    client = signed_in(editor)
    response = client.post(NEW, {
        "text": "Голосуем!", "channels": [mastodon.pk], "intent": "draft",
        f"poll-question-{mastodon.pk}": "Какой сорт <b>взять</b>?",
        f"poll-options-{mastodon.pk}": "Эфиопия\r\n\r\nКолумбия\r\n", f"poll-multiple-{mastodon.pk}": "1",
        f"thread-{mastodon.pk}": ["Часть 2", "", "Часть 3"], f"first-comment-{mastodon.pk}": "Меню внутри"})
    assert response.status_code == 302, response.content.decode()
    variant = Post.objects.get().variants.get()
    assert variant.poll == {"question": "Какой сорт <b>взять</b>?", "options": ["Эфиопия", "Колумбия"],
                            "multiple": True, "closes_in_seconds": None}
    assert (variant.thread, variant.first_comment) == (["Часть 2", "Часть 3"], "Меню внутри")

    page = client.get(reverse("post-edit", args=["coffee", variant.post_id])).content.decode()
    assert "Какой сорт &lt;b&gt;взять&lt;/b&gt;?" in page and "<b>взять</b>" not in page
    assert "Эфиопия\nКолумбия</textarea>" in page
    assert f'id="poll-multiple-{mastodon.pk}" checked' in page
    assert ">Часть 2</textarea>" in page and ">Часть 3</textarea>" in page and ">Меню внутри</textarea>" in page


def test_the_live_check_names_the_thread_part_that_is_too_long(signed_in, editor, mastodon):
    checks = signed_in(editor).post(CHECK, {"text": "Начало", "channels": [mastodon.pk],
                                            f"thread-{mastodon.pk}": ["я" * 501]}).content.decode()
    assert "part 2: 1 over the limit of 500." in checks


def test_a_forged_poll_for_a_network_without_polls_is_refused_and_the_text_stays(signed_in, editor, channel):
    response = signed_in(editor).post(NEW, {"text": "Голосуем за сорт!", "channels": [channel.pk], "intent": "now",
                                            f"poll-question-{channel.pk}": "Какой?",
                                            f"poll-options-{channel.pk}": "Да\nНет"})
    page = response.content.decode()
    assert response.status_code == 422
    assert f"{channel.name}: Sandbox does not take a poll." in page and "Голосуем за сорт!" in page
    assert not Post.objects.exists() and not PublishJob.objects.exists()
