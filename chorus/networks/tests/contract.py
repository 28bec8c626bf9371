"""The contract every connector passes against its network's fake (issue 3, "Proven by tests").

A network's test module subclasses `ConnectorContract` and provides two fixtures: `api`, its started fake
(a chorus.networks.tests.fakes.server.FakeApi), and `channel`, a Channel of the `workspace` fixture connected to
that fake. Tests for features the connector does not declare in its capabilities are skipped, not faked.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from chorus.content.media import upload_media
from chorus.content.services import create_and_schedule
from chorus.content.tests.clips import mp4_bytes, upload
from chorus.networks import errors
from chorus.networks.base import MediaFacts, Poll, Publication
from chorus.publishing import dispatcher, reconciler, sender, services
from chorus.publishing.models import Status

TEXT = "Новый сорт: Эфиопия Иргачеффе ☕ — https://example.com/menu"
# Faults on the second write of a post of several parts: nothing happened, or it happened and the answer was lost.
SECOND_PART_FAULTS = ("refuse", "rate_limit", "reject", "hang_up", "error_after", "garbled")
# Each refusal a network documents, and the one shared error it must become (fakes.server.REFUSALS).
REFUSED_AS = {"forbidden": errors.PermissionMissing, "not_found": errors.RemoteNotFound,
              "captcha": errors.CaptchaRequired, "content_refused": errors.ContentRejected}


def needs(channel, feature: str):
    if not getattr(channel.connector_class.capabilities, feature):
        pytest.skip(f"{channel.network} does not declare {feature}")


def keyed(channel) -> bool:
    return channel.connector_class.capabilities.idempotency != "none"


def several_parts(channel) -> Publication:
    """A post this network sends as several posts or messages (a thread and a first comment, or Telegram's poll
    after its text); skipped where every post is one."""
    capabilities = channel.connector_class.capabilities
    replies = capabilities.threads or capabilities.first_comment
    publication = Publication(
        TEXT, thread=("Часть 2: обжарка средняя", "Часть 3: помол под воронку") if capabilities.threads else (),
        first_comment="Меню: https://example.com/menu/autumn" if capabilities.first_comment else "",
        poll=Poll("Какой сорт взять?", ("Эфиопия", "Кения")) if capabilities.polls and not replies else None)
    if channel.connector_class.part_count(publication) < 2:
        pytest.skip(f"{channel.network} sends every post as one")
    return publication


def part_texts(publication: Publication) -> list[str]:
    """What each part shows on the network, in order (a Telegram poll shows its question)."""
    texts = [publication.text, *publication.thread] + ([publication.first_comment] if publication.first_comment
                                                        else [])
    return texts if len(texts) > 1 else texts + [publication.poll.question]


def extras_of(publication: Publication) -> dict:
    poll = publication.poll
    return {"thread": list(publication.thread), "first_comment": publication.first_comment,
            "poll": {"question": poll.question, "options": list(poll.options)} if poll else None}


def texts_on_the_network(api) -> list[str]:
    return sorted(part["text"] for part in api.own_parts())


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

    def test_a_refusal_posts_nothing_and_only_a_network_with_keys_calls_it_safe_to_send_again(self, api, channel):
        api.fail_next("refuse")
        # Without an idempotency key a server error cannot be told from one after the post was made: ambiguous.
        with pytest.raises(errors.Transient if keyed(channel) else (errors.Transient, errors.AmbiguousOutcome)):
            channel.connector.publish(Publication(TEXT), "key-refused")
        assert api.remote_posts() == []

    @pytest.mark.parametrize("fault", ["error_after", "garbled"])
    def test_a_lost_answer_to_a_post_that_was_made_never_leads_to_a_second(self, api, channel, fault):
        """A gateway's 502 or a cut-off body after the network made the post: read back, or sent again only under
        the same key, never posted twice."""
        since = datetime.now(UTC) - timedelta(seconds=5)
        api.fail_next(fault)
        try:
            remote = channel.connector.publish(Publication(TEXT), "key-lost-answer")
        except errors.AmbiguousOutcome:
            if channel.connector_class.capabilities.find_published:
                remote = channel.connector.find_published("key-lost-answer", TEXT, since)
            else:
                remote = None  # the reconciler hands it to a person at once
        except errors.NetworkError as exc:
            assert exc.retryable and keyed(channel), f"{type(exc).__name__} would send a post without a key again"
            remote = channel.connector.publish(Publication(TEXT), "key-lost-answer")  # the outbox's retry
        [post] = api.remote_posts()
        assert remote is None or remote.remote_id == post["remote_id"]

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

    def test_a_request_the_network_finds_invalid_is_a_definite_validation_failure(self, api, channel):
        api.fail_next("reject")
        with pytest.raises(errors.NetworkError) as raised:
            channel.connector.publish(Publication(TEXT), "key-rejected")
        assert type(raised.value) is errors.ValidationRejected and not raised.value.retryable
        assert api.remote_posts() == []

    @pytest.mark.parametrize("fault", sorted(REFUSED_AS))
    def test_each_refusal_the_network_documents_is_named_as_such_and_never_retried(self, api, channel, fault):
        """A lost right, a missing chat, a captcha or the network's own content rules: the person is told which,
        and the outbox does not send again what will be refused again."""
        if fault not in api.documented_refusals():
            pytest.skip(f"{channel.network} has no such refusal")
        api.fail_next(fault)
        with pytest.raises(errors.NetworkError) as raised:
            channel.connector.publish(Publication(TEXT), f"key-{fault}")
        assert type(raised.value) is REFUSED_AS[fault], raised.value.reason
        assert raised.value.definite and not raised.value.retryable
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

    def test_account_counters_give_new_lost_and_audience_only_where_declared(self, api, channel):
        needs(channel, "account_metrics")
        counters = channel.connector.account_counters()
        capabilities = channel.connector_class.capabilities
        for metric in ("followers_gained", "followers_lost"):
            value = getattr(counters, metric)
            assert (value is not None) == (metric in capabilities.account_metrics), f"{metric}: {value!r}"
        assert set(counters.audience or {}) == set(capabilities.audience)

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

    def test_direct_messages_arrive_once_and_are_answered_where_declared(self, api, channel):
        needs(channel, "messages")
        api.add_direct_message("Анна", "Можно заказать зёрна оптом?")
        page = channel.connector.conversations("")
        [message] = [c for c in page.items if c.kind == "message"]
        assert (message.text, message.author_name, message.from_page) == ("Можно заказать зёрна оптом?", "Анна", False)
        assert channel.connector.conversations(page.cursor).items == []
        assert channel.connector.reply(message, "Да, напишите объём.", "reply-dm")

    def test_every_moderation_declared_is_done_on_the_network_and_every_undo_declared_takes_it_back(self, api,
                                                                                                   channel):
        """What `chorus networks --json` says a network moderates, it moderates: each action reaches the network as a
        write, the ones it takes back first, a delete last."""
        capabilities = channel.connector_class.capabilities
        if not capabilities.moderation:
            pytest.skip(f"{channel.network} declares no moderation")
        remote = channel.connector.publish(Publication(TEXT), "key-moderated")
        api.add_comment(remote.remote_id, "Spam Bot", "Заработок без вложений")
        [comment] = [c for c in channel.connector.conversations("").items if c.text == "Заработок без вложений"]
        for action in sorted(capabilities.moderation, key=lambda a: a == "delete"):
            steps = [channel.connector.moderate] + ([channel.connector.undo] if action in capabilities.undo else [])
            for step in steps:
                writes = sum(1 for r in api.requests if api.changes_state(r))
                step(comment, action)
                assert sum(1 for r in api.requests if api.changes_state(r)) > writes, f"{step.__name__} {action}"

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

    # Video ------------------------------------------------------------------------------------------------------

    def test_a_scheduled_post_with_a_video_goes_out_once_with_the_video_on_the_network(self, api, channel, owner,
                                                                                       workspace, settings, tmp_path):
        """An editor uploads a clip to the library, attaches it and schedules the post: the outbox sends it once,
        and the network holds the very file."""
        needs(channel, "video")
        settings.MEDIA_ROOT = tmp_path
        clip = mp4_bytes(seconds=12.5)
        asset = upload_media(actor=owner, workspace=workspace, uploaded_file=upload(clip, "pour-over.mp4"))
        _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                           media_ids=[asset.pk], due_at=timezone.now())
        for job_id in dispatcher.claim_due("contract-worker"):
            sender.send(job_id, "contract-worker")
        job.refresh_from_db()
        assert job.status == Status.PUBLISHED, job.last_error
        assert len(api.remote_posts()) == 1 and api.posted_videos() == [clip]

    def test_a_video_the_network_cannot_process_is_rejected_and_nothing_is_posted(self, api, channel, tmp_path):
        needs(channel, "video")
        if not api.processes_video:
            pytest.skip(f"{channel.network} has no processing step of its own before the post")
        clip = tmp_path / "broken.mp4"
        clip.write_bytes(mp4_bytes())
        api.fail_video_processing()
        publication = Publication(TEXT, media=[MediaFacts("video/mp4", clip.stat().st_size, 1280, 720, "broken.mp4",
                                                          12.5)], media_paths=[str(clip)])
        with pytest.raises(errors.ContentRejected, match="broken.mp4"):
            channel.connector.publish(publication, "key-broken-video")
        assert api.remote_posts() == []

    # Posts of several parts: a thread, a first comment, Telegram's poll after its text ------------------------

    @pytest.mark.parametrize("fault", SECOND_PART_FAULTS)
    def test_a_second_part_that_fails_is_reported_with_the_parts_made_and_never_doubles(self, api, channel, fault):
        publication = several_parts(channel)
        total = channel.connector_class.part_count(publication)
        api.fail_next("pass", fault)
        try:
            remote = channel.connector.publish(publication, "key-parts")
        except errors.PartialPublication as exc:
            partial = exc
        else:  # a network that reads a cut-off part back on the spot (Bluesky's record keys) heals it
            assert fault in ("error_after", "garbled") and len(remote.parts) == total
            assert texts_on_the_network(api) == sorted(part_texts(publication))
            return
        assert (len(partial.made), partial.total, partial.next_part) == (1, total, 2)
        assert partial.made[0] in {part["remote_id"] for part in api.own_parts()}
        assert partial.post.remote_id == partial.made[0] and partial.post.url
        assert partial.reason.startswith(f"part 2 of {total} did not go out: ")
        if fault in ("hang_up", "error_after", "garbled") and not keyed(channel):
            assert not partial.cause.definite  # the part may exist: without a key it must never be sent again
        texts = texts_on_the_network(api)
        assert publication.text in texts and all(texts.count(text) == 1 for text in texts)

    def test_going_on_after_a_refused_part_sends_only_the_parts_that_are_missing(self, api, channel):
        publication = several_parts(channel)
        api.fail_next("pass", "refuse")
        with pytest.raises(errors.PartialPublication) as partial:
            channel.connector.publish(publication, "key-go-on")
        remote = channel.connector.publish(publication, "key-go-on", already=partial.value.made)
        assert remote.parts[0] == partial.value.made[0] and len(remote.parts) == len(part_texts(publication))
        assert texts_on_the_network(api) == sorted(part_texts(publication))

    def test_deleting_a_post_of_several_parts_removes_every_part_chorus_made(self, api, channel):
        needs(channel, "delete")
        publication = several_parts(channel)
        remote = channel.connector.publish(publication, "key-delete-parts")
        assert len(remote.parts) == channel.connector_class.part_count(publication)
        channel.connector.delete(remote.remote_id, parts=remote.parts)
        assert api.own_parts() == []

    @pytest.mark.parametrize("fault", ["hang_up", "error_after"])
    def test_with_a_key_per_part_going_on_after_a_lost_answer_does_not_double_that_part(self, api, channel, fault):
        needs(channel, "resumable_parts")
        publication = several_parts(channel)
        api.fail_next("pass", fault)
        try:
            made = channel.connector.publish(publication, "key-lost-part").parts[:1]
        except errors.PartialPublication as exc:
            made = exc.made
        channel.connector.publish(publication, "key-lost-part", already=made)
        assert texts_on_the_network(api) == sorted(part_texts(publication))

    @pytest.mark.parametrize("faults", [("pass", "hang_up"), ("pass", "refuse"), ("pass", "rate_limit"),
                                        ("pass", "error_after"), ("pass", "reject"), ("hang_up",)],
                             ids=["part-2-hang-up", "part-2-refused", "part-2-rate-limited", "part-2-lost-answer",
                                  "part-2-rejected", "part-1-hang-up"])
    def test_a_scheduled_post_of_several_parts_ends_whole_or_with_a_person_asked(self, api, channel, owner,
                                                                                   workspace, faults):
        """Dispatcher, sender and reconciler, with time passing beyond every backoff, rate limit and grace window:
        every part goes out exactly once, or the post waits for a person with the reason, its first part recorded
        as live; nothing is dropped in silence and nothing is sent twice."""
        publication = several_parts(channel)
        total = len(part_texts(publication))
        _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                           variant_extras={channel.pk: extras_of(publication)},
                                           due_at=timezone.now())
        api.fail_next(*faults)
        with time_machine.travel(timezone.now(), tick=True) as traveller:
            for _round in range(8):
                for job_id in dispatcher.claim_due("contract-worker"):
                    sender.send(job_id, "contract-worker")
                reconciler.reconcile()
                job.refresh_from_db()
                if job.status in (Status.PUBLISHED, Status.NEEDS_REVIEW):
                    break
                traveller.shift(timedelta(seconds=1000))
        texts = texts_on_the_network(api)
        assert all(texts.count(text) <= 1 for text in part_texts(publication)), texts  # never twice
        assert job.remote_id and job.remote_id.split(",")[0] in {part["remote_id"].split(",")[0]
                                                                for part in api.own_parts()}
        if job.status == Status.PUBLISHED:
            assert texts == sorted(part_texts(publication)) and len(job.parts_out) == total and not job.last_error
        else:
            assert job.status == Status.NEEDS_REVIEW, job.status
            assert f"of {total}" in job.last_error and "Retry sends what is missing" in job.last_error
            assert job.last_error.startswith(("part 2 of", "Part 1 of"))
            assert job in services.needing_attention(owner, workspace)
        # Where every part has its own key, only a refusal that will not pass (the content itself) needs a person.
        if channel.connector_class.capabilities.resumable_parts:
            assert (job.status == Status.NEEDS_REVIEW) == ("reject" in faults)
