"""An editor adds a poll, a thread and a first comment in the composer, sees them checked live, and finds them again
when editing; a channel whose network lacks them shows no such sections and refuses a forged one."""

from pathlib import Path

import pytest
from django.urls import reverse

from chorus.channels.services import connect_channel
from chorus.conftest import make_user
from chorus.content.models import Post
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.publishing.models import PublishJob
from chorus.web.tests.test_browser_e2e import CHROMIUM, CHROMIUM_ARGS
from chorus.workspaces.services import choose_language, create_workspace

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
    russian = signed_in(editor, "ru").get(NEW).content.decode()
    assert "Опрос" in russian and "Тред" in russian and "Первый комментарий" in russian


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


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Debian's chromium is not installed at {CHROMIUM}")
def test_in_the_browser_the_editor_adds_and_removes_thread_parts(live_server, serve, transactional_db):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    olga = make_user("olga")
    choose_language(olga, "en")
    workspace = create_workspace(owner=olga, name="Demo Coffee", slug="coffee", timezone_name="Europe/Moscow",
                                 language="ru")
    api = serve(FakeMastodon())
    mastodon = connect_channel(actor=olga, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                               credentials={"access_token": api.token}, config={"instance_url": api.url})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", olga.username)
        page.fill("#id_password", "olga-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/w/coffee/")

        page.goto(f"{live_server.url}/w/coffee/posts/new/")
        page.fill("#composer-text", "Голосуем!")
        thread = page.locator("details", has_text="Thread")
        expect(thread).to_be_hidden()  # the sections belong to a chosen channel
        page.check(f"#channel-{mastodon.pk}")
        thread.locator("summary").click()
        for _part in range(3):
            thread.get_by_role("button", name="Add a part").click()
        parts = thread.locator(f"textarea[name=thread-{mastodon.pk}]")
        for number, text in enumerate(["Лишняя часть", "Часть 2", "я" * 501]):
            parts.nth(number).fill(text)
        parts.last.press("Tab")  # leaving the field is a change: the live check runs
        expect(page.locator("#checks")).to_contain_text("part 4: 1 over the limit of 500.")
        thread.get_by_role("button", name="Remove this part").first.click()
        thread.get_by_role("button", name="Remove this part").last.click()
        expect(page.locator("#checks")).not_to_contain_text("over the limit")
        page.click("button[name=intent][value=draft]")
        page.wait_for_url("**/w/coffee/posts/*/")
        browser.close()

    assert Post.objects.get().variants.get().thread == ["Часть 2"]
