"""The post page once a post is out: editing its text on the network, deleting it there, and what the page says
while the network has not answered yet."""

from django.urls import reverse

from chorus.channels.models import Channel
from chorus.publishing import changes
from chorus.publishing.models import Status
from chorus.sandbox.models import SandboxPost
from chorus.web.tests.test_posts import send_now
from chorus.workspaces.roles import Role


def page_of(client, post) -> str:
    return client.get(reverse("post-detail", args=["coffee", post.pk])).content.decode()


def test_editor_edits_the_published_text_and_sees_the_old_one_until_the_network_has_it(signed_in, editor,
                                                                                       workspace, channel):
    post, job = send_now(editor, workspace, channel, text="Капучино за 250")
    client = signed_in(editor)
    page = page_of(client, post)
    assert "Edit the published text" in page and "Update on the network" in page

    response = client.post(reverse("publication-edit", args=["coffee", job.pk]),
                           {"text": "Капучино за 270", "on_network": "1"})
    assert response.status_code == 302
    page = page_of(client, post)
    assert "Updating on the network" in page and 'hx-trigger="every 3s"' in page
    assert "On the network now" in page and "Капучино за 250" in page

    changes.apply(job.pk, "worker-a")
    page = page_of(client, post)
    assert "On the network now" not in page and "hx-trigger" not in page
    assert SandboxPost.objects.get(remote_id=job.remote_id).text == "Капучино за 270"
    assert "Updated on the network" in page and f"<td>{editor.username}</td>" in page  # the log: who asked


def test_a_text_saved_in_chorus_only_is_shown_beside_what_the_network_still_has(signed_in, editor, workspace,
                                                                                channel):
    post, job = send_now(editor, workspace, channel, text="Капучино за 250")
    client = signed_in(editor)
    client.post(reverse("publication-edit", args=["coffee", job.pk]), {"text": "Капучино за 270"})
    page = page_of(client, post)
    assert "the network still shows the one above" in page and "Капучино за 250" in page
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.sent_text == "Капучино за 250"


def test_an_edit_over_the_limit_is_refused_with_the_networks_words(signed_in, editor, workspace, channel):
    post, job = send_now(editor, workspace, channel)
    client = signed_in(editor)
    response = client.post(reverse("publication-edit", args=["coffee", job.pk]),
                           {"text": "я" * 4001, "on_network": "1"}, follow=True)
    assert "over the limit of 4000" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.variant.effective_text == job.sent_text


def test_owner_deletes_from_the_network_after_confirming(signed_in, owner, editor, workspace, channel):
    post, job = send_now(editor, workspace, channel)
    client = signed_in(owner)
    page = page_of(client, post)
    assert "Delete from the network…" in page and "Yes, delete it from the network" in page
    client.post(reverse("publication-delete", args=["coffee", job.pk]))
    assert "Deleting from the network" in page_of(client, post)
    changes.apply(job.pk, "worker-a")
    page = page_of(client, post)
    assert "Deleted from the network on" in page and f"by {owner.username}" in page
    assert "Edit the published text" not in page and "Yes, delete it" not in page


def test_a_network_that_cannot_edit_says_so_and_offers_deleting(signed_in, editor, workspace, channel):
    post, job = send_now(editor, workspace, channel)
    # A channel whose network keeps published posts as they are (Bluesky): the same page, told by capabilities.
    Channel.objects.filter(pk=channel.pk).update(network="bluesky")
    page = page_of(signed_in(editor), post)
    assert "Bluesky does not let a published post be changed" in page
    assert "Save in Chorus only" in page and "Update on the network" not in page
    assert "Yes, delete it from the network" in page


def test_a_client_sees_the_published_post_but_no_way_to_change_it(signed_in, team, editor, workspace, channel):
    post, job = send_now(editor, workspace, channel)
    client = signed_in(team[Role.CLIENT])
    page = page_of(client, post)
    assert "Published" in page and "Edit the published text" not in page and "Delete from the network" not in page
    assert client.post(reverse("publication-delete", args=["coffee", job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED


def test_after_deleting_the_editor_publishes_the_new_text_again_from_a_prefilled_composer(signed_in, editor,
                                                                                         workspace, channel,
                                                                                         second_channel):
    post, job = send_now(editor, workspace, channel, text="Капучино за 250")
    client = signed_in(editor)
    client.post(reverse("publication-edit", args=["coffee", job.pk]), {"text": "Капучино за 270"})
    client.post(reverse("publication-delete", args=["coffee", job.pk]))
    changes.apply(job.pk, "worker-a")
    again = f"{reverse('composer', args=['coffee'])}?again={job.pk}"
    assert again in page_of(client, post)
    composer = client.get(again).content.decode()
    assert "Капучино за 270" in composer and "Капучино за 250" not in composer
    assert f'id="channel-{channel.pk}" x-model="chosen" checked' in composer
    assert f'id="channel-{second_channel.pk}" x-model="chosen">' in composer


def test_a_russian_speaking_editor_gets_the_edit_and_delete_forms_in_russian(signed_in, editor, workspace, channel):
    post, job = send_now(editor, workspace, channel)
    page = page_of(signed_in(editor, "ru"), post)
    assert "Изменить опубликованный текст" in page and "Обновить в соцсети" in page
    assert "Да, удалить из соцсети" in page and "Кто запросил" in page
