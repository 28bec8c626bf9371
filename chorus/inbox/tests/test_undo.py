"""A moderator takes back a hide or a ban where the network allows; a delete and a dry run have nothing to undo."""

import pytest
from django.core.exceptions import ValidationError

from chorus.inbox import rules, services
from chorus.inbox.models import ItemStatus, ModerationAction
from chorus.inbox.tests.conftest import comment_on
from chorus.sandbox.models import SandboxBan, SandboxComment
from chorus.workspaces.services import choose_language


@pytest.fixture
def moderator(moderator):
    choose_language(moderator, "en")  # reads the pages in English, whatever the workspace speaks
    return moderator


def test_a_comment_hidden_by_mistake_is_shown_again_and_the_undo_is_logged(moderator, channel, page_post):
    item = comment_on(channel, page_post, 1, "Пётр", "Где купить зёрна? www.zerno.example")
    hide = services.moderate(actor=moderator, item=item, action="hide")
    assert SandboxComment.objects.get(remote_id="rc1").hidden_at is not None
    item.refresh_from_db()
    assert item.status == ItemStatus.CLOSED  # out of sight is out of the queue

    unhide = services.undo_moderation(actor=moderator, action=hide)

    assert SandboxComment.objects.get(remote_id="rc1").hidden_at is None
    item.refresh_from_db()
    hide.refresh_from_db()
    assert not item.hidden and hide.undone_at is not None
    assert (item.status, item.resolved_at) == (ItemStatus.NEW, None)  # and back in it, waiting for an answer
    assert (unhide.action, unhide.by, unhide.outcome) == ("unhide", moderator, "")
    with pytest.raises(ValidationError, match="Already undone"):
        services.undo_moderation(actor=moderator, action=hide)


def test_an_unbanned_author_may_comment_again_whichever_ban_was_undone(moderator, workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Ссылки", conditions={"keywords": ["скидка"]},
                    actions=["ban"], dry_run=False)
    first = comment_on(channel, page_post, 1, "Дима", "Скидка 90% по ссылке")
    second = comment_on(channel, page_post, 2, "Дима", "Скидка 90%, пишите")
    [ban_one], [ban_two] = rules.apply_rules([first]), rules.apply_rules([second])
    assert SandboxBan.objects.filter(author_id="a-Дима").exists()

    services.undo_moderation(actor=moderator, action=ban_two)

    assert not SandboxBan.objects.exists()
    ban_one.refresh_from_db()
    first.author.refresh_from_db()
    assert ban_one.undone_at is not None and first.author.banned_at is None
    assert [a.action for a in ModerationAction.objects.filter(item=second)] == ["unban", "ban"]


def test_a_delete_and_a_dry_run_cannot_be_undone_and_the_page_says_why(client, moderator, workspace, channel,
                                                                         page_post):
    item = comment_on(channel, page_post, 1, "bot_777", "Заработок без вложений")
    delete = services.moderate(actor=moderator, item=item, action="delete")
    rehearsal = ModerationAction.objects.create(item=item, action="ban", rule_name="Спам", dry_run=True)
    for action, reason in [(delete, "cannot be brought back"), (rehearsal, "dry run did nothing")]:
        with pytest.raises(ValidationError, match=reason):
            services.undo_moderation(actor=moderator, action=action)
    client.force_login(moderator)
    page = client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()
    assert "A deleted comment cannot be brought back." in page and ">Undo<" not in page


def test_the_undo_button_on_the_item_page_takes_back_a_hide(client, moderator, channel, page_post):
    item = comment_on(channel, page_post, 1, "Пётр", "Где купить зёрна?")
    hide = services.moderate(actor=moderator, item=item, action="hide")
    client.force_login(moderator)
    assert f"/w/coffee/inbox/actions/{hide.pk}/undo/" in client.get(f"/w/coffee/inbox/{item.pk}/").content.decode()

    page = client.post(f"/w/coffee/inbox/actions/{hide.pk}/undo/", follow=True).content.decode()

    assert "Undone on the network." in page and "unhide" in page
    assert SandboxComment.objects.get(remote_id="rc1").hidden_at is None


def test_an_undo_the_network_refuses_is_logged_and_can_be_tried_again(moderator, channel, page_post):
    item = comment_on(channel, page_post, 1, "Пётр", "Где купить зёрна?")
    hide = services.moderate(actor=moderator, item=item, action="hide")
    account = channel.connector._account()
    account.token = "revoked"
    account.save()
    with pytest.raises(ValidationError, match="refused"):
        services.undo_moderation(actor=moderator, action=hide)
    hide.refresh_from_db()
    assert hide.undone_at is None
    assert item.moderation_actions.filter(action="unhide").exclude(outcome="").exists()


def test_another_workspace_cannot_reach_the_action(client, moderator, channel, page_post, other_workspace):
    item = comment_on(channel, page_post, 1, "Пётр", "Где купить зёрна?")
    hide = services.moderate(actor=moderator, item=item, action="hide")
    stranger = other_workspace.memberships.get().user
    client.force_login(stranger)
    assert client.post(f"/w/{other_workspace.slug}/inbox/actions/{hide.pk}/undo/").status_code == 404
