"""The contract every connector passes against its network's fake (issue 3, "Proven by tests").

A network's test module subclasses `ConnectorContract` and provides two fixtures: `api`, its started fake
(a chorus.networks.tests.fakes.server.FakeApi), and `channel`, a Channel of the `workspace` fixture connected to
that fake. Tests for features the connector does not declare in its capabilities are skipped, not faked.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chorus.content.services import create_and_schedule
from chorus.networks import errors
from chorus.networks.base import Publication
from chorus.publishing import dispatcher, reconciler, sender
from chorus.publishing.models import Status

TEXT = "Новый сорт: Эфиопия Иргачеффе ☕ — https://example.com/menu"


def needs(channel, feature: str):
    if not getattr(channel.connector_class.capabilities, feature):
        pytest.skip(f"{channel.network} does not declare {feature}")


class ConnectorContract:
    def test_publishing_creates_exactly_one_post(self, api, channel):
        remote = channel.connector.publish(Publication(TEXT), "key-one")
        [post] = api.remote_posts()
        assert post["remote_id"] == remote.remote_id and post["text"] == TEXT
        assert remote.url

    def test_the_same_key_again_never_makes_a_second_post(self, api, channel):
        since = datetime.now(UTC) - timedelta(seconds=5)
        first = channel.connector.publish(Publication(TEXT), "key-again")
        if channel.connector_class.capabilities.idempotency != "none":
            assert channel.connector.publish(Publication(TEXT), "key-again").remote_id == first.remote_id
        needs(channel, "find_published")
        assert channel.connector.find_published("key-again", TEXT, since).remote_id == first.remote_id
        assert len(api.remote_posts()) == 1

    def test_a_hang_up_after_the_post_was_made_is_ambiguous_and_read_back(self, api, channel):
        since = datetime.now(UTC) - timedelta(seconds=5)
        api.fail_next("hang_up")
        with pytest.raises(errors.AmbiguousOutcome):
            channel.connector.publish(Publication(TEXT), "key-hang-up")
        assert len(api.remote_posts()) == 1
        needs(channel, "find_published")
        assert channel.connector.find_published("key-hang-up", TEXT, since).remote_id == api.remote_posts()[0][
            "remote_id"]

    def test_a_refusal_is_transient_and_nothing_is_posted(self, api, channel):
        api.fail_next("refuse")
        with pytest.raises(errors.Transient):
            channel.connector.publish(Publication(TEXT), "key-refused")
        assert api.remote_posts() == []

    def test_a_rate_limit_says_when_to_come_back(self, api, channel):
        api.fail_next("rate_limit")
        with pytest.raises(errors.RateLimited) as limited:
            channel.connector.publish(Publication(TEXT), "key-limited")
        assert limited.value.retry_at > datetime.now(UTC)
        assert api.remote_posts() == []

    def test_an_expired_token_is_reported_as_such(self, api, channel):
        api.fail_next("auth_expired")
        with pytest.raises(errors.AuthExpired):
            channel.connector.publish(Publication(TEXT), "key-expired")

    def test_rejected_content_is_a_definite_failure(self, api, channel):
        api.fail_next("reject")
        with pytest.raises((errors.ValidationRejected, errors.ContentRejected)):
            channel.connector.publish(Publication(TEXT), "key-rejected")
        assert api.remote_posts() == []

    def test_edit_and_delete_where_the_network_allows(self, api, channel):
        needs(channel, "edit")
        remote = channel.connector.publish(Publication(TEXT), "key-edit")
        channel.connector.edit(remote.remote_id, Publication(TEXT + " (обновлено)"))
        assert api.remote_posts()[0]["text"] == TEXT + " (обновлено)"
        needs(channel, "delete")
        channel.connector.delete(remote.remote_id)
        assert api.remote_posts() == []

    def test_counters_give_what_is_declared_and_none_for_the_rest(self, api, channel):
        remote = channel.connector.publish(Publication(TEXT), "key-counters")
        [counters] = channel.connector.fetch_counters([remote.remote_id])
        declared = set(channel.connector_class.capabilities.metrics)
        for metric in ("views", "likes", "reposts", "comments", "reach", "saves", "clicks"):
            value = getattr(counters, metric)
            assert (value is not None) == (metric in declared), f"{metric}: {value!r}, declared {declared}"

    def test_comments_arrive_once_and_can_be_answered(self, api, channel):
        needs(channel, "comments")
        remote = channel.connector.publish(Publication(TEXT), "key-comments")
        api.add_comment(remote.remote_id, "<b>Max</b>", "А до скольки вы работаете?")
        page = channel.connector.conversations("")
        [question] = [c for c in page.items if c.text == "А до скольки вы работаете?"]
        assert question.author_name == "<b>Max</b>" and question.post_remote_id == remote.remote_id
        assert channel.connector.conversations(page.cursor).items == []
        answer_id = channel.connector.reply(question, "До 22:00, ждём вас!", "reply-key")
        assert answer_id

    def test_a_public_page_lists_its_recent_posts_with_counters(self, api, channel):
        needs(channel, "public_pages")
        page = channel.connector.public_page(api.public_handle)
        assert page.posts and page.name
        assert all(post.published_at.tzinfo for post in page.posts)

    def test_a_scheduled_post_goes_out_once_despite_a_hang_up(self, api, channel, owner, workspace):
        """The publishing guarantee on this network: dispatcher, sender and reconciler against the fake."""
        _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                           due_at=timezone.now())
        api.fail_next("hang_up")
        for job_id in dispatcher.claim_due("contract-worker"):
            sender.send(job_id, "contract-worker")
        job.refresh_from_db()
        assert job.status == Status.UNKNOWN
        reconciler.reconcile(timezone.now() + timedelta(seconds=1))
        job.refresh_from_db()
        # Read back and found; or, on a network that cannot be read back, handed to a person at once.
        found = channel.connector_class.capabilities.find_published
        assert job.status == (Status.PUBLISHED if found else Status.NEEDS_REVIEW)
        assert len(api.remote_posts()) == 1
