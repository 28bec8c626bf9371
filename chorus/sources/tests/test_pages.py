"""The sources pages: an editor follows a feed and writes its rules; a client can look but not add."""

import pytest
from django.urls import reverse

from chorus.sources.models import Feed
from chorus.sources.services import add_feed, poll_feed, save_rule
from chorus.sources.tests.test_feeds import follow, later, publish_next_item
from chorus.workspaces.roles import Role
from chorus.workspaces.services import choose_language


@pytest.fixture
def browser(client):
    def sign_in(person):
        choose_language(person, "en")
        client.force_login(person)
        return client

    return sign_in


def test_editor_adds_a_feed_and_is_told_old_items_will_not_become_posts(browser, editor, workspace, feed_server,
                                                                        allow_private):
    url = feed_server.serve_fixture("/feed", "rss_1.xml")
    response = browser(editor).post(reverse("source-add", args=["coffee"]), {"url": url}, follow=True)
    page = response.content.decode()
    assert "Кофейня «Зерно» — новости" in page
    assert "2 items already in it are marked as seen" in page
    assert Feed.objects.get().url == url


def test_a_refused_feed_address_is_explained_on_the_page(browser, editor, workspace, settings):
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    response = browser(editor).post(reverse("source-add", args=["coffee"]),
                                    {"url": "http://169.254.169.254/latest/"}, follow=True)
    assert "internal address" in response.content.decode()
    assert not Feed.objects.exists()


def test_a_client_cannot_add_feeds_or_rules(browser, team, workspace, channel, feed_server, allow_private):
    feed = follow(team[Role.EDITOR], workspace, feed_server)
    client = browser(team[Role.CLIENT])
    assert client.post(reverse("source-add", args=["coffee"]), {"url": feed.url + "?2"}).status_code == 403
    assert client.post(reverse("source-rules", args=["coffee", feed.pk]),
                       {"channels": [channel.pk], "template": "{title}", "mode": "draft"}).status_code == 403
    assert Feed.objects.count() == 1 and not feed.rules.exists()
    assert client.get(reverse("source-detail", args=["coffee", feed.pk])).status_code == 200


def test_editor_writes_a_rule_and_sees_which_post_each_item_became(browser, editor, workspace, channel,
                                                                   feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    page = browser(editor)
    page.post(reverse("source-rules", args=["coffee", feed.pk]),
              {"channels": [channel.pk], "template": "{title} {link}", "mode": "draft", "active": "1"})
    [rule] = feed.rules.all()
    assert (rule.mode, list(rule.channels.all()), rule.author) == ("draft", [channel], editor)
    publish_next_item(feed_server)
    [item] = poll_feed(feed, later(feed))

    html = page.get(reverse("source-detail", args=["coffee", feed.pk])).content.decode()

    [post] = item.posts.all()
    assert reverse("post-detail", args=["coffee", post.pk]) in html
    assert "Кофе &amp; чай: дегустация в субботу" in html and "<script>" not in html
    assert "seen, no post" in html  # the two items that were there before


def test_a_feed_error_shows_on_the_list(browser, editor, workspace, feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    feed_server.serve("/feed", "gone", status=500, content_type="text/plain")
    poll_feed(feed, later(feed))
    html = browser(editor).get(reverse("sources", args=["coffee"])).content.decode()
    assert "The server answered 500 instead of the feed." in html


def test_a_rule_with_no_channel_is_not_saved_and_the_page_says_why(browser, editor, workspace, feed_server,
                                                                   allow_private):
    feed = add_feed(actor=editor, workspace=workspace, url=feed_server.serve_fixture("/feed", "rss_1.xml"))
    response = browser(editor).post(reverse("source-rules", args=["coffee", feed.pk]),
                                    {"template": "{title}", "mode": "draft"}, follow=True)
    assert "Choose at least one channel" in response.content.decode()
    assert not feed.rules.exists()


def test_editing_a_rule_changes_it_in_place(editor, workspace, channel, second_channel, feed_server, allow_private,
                                            browser):
    feed = follow(editor, workspace, feed_server)
    rule = save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="draft")
    browser(editor).post(reverse("source-rules", args=["coffee", feed.pk]),
                         {"rule": rule.pk, "channels": [second_channel.pk], "template": "{link}", "mode": "queue"})
    rule.refresh_from_db()
    assert (rule.template, rule.mode, rule.active, list(rule.channels.all())) == ("{link}", "queue", False,
                                                                                   [second_channel])
