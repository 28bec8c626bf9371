"""The publishing guarantee under every interleaving hypothesis can find: never twice, never silently dropped.

Olga schedules posts on three sandbox channels; two of them ignore idempotency keys, like a network without
server-side dedupe, so only the outbox stands between a flaky network and a duplicate post. Hypothesis plays
the broker (duplicate deliveries), the network (refusals, timeouts after the post was made, 429s), the clock,
crashing workers and Olga resolving what lands on her desk.
"""

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.publishing import dispatcher, reconciler, sender, services, states
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.states import WAITING_FOR_HUMAN
from chorus.sandbox import network as sandbox_server
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import set_faults

FAULTS = ("error_before_send", "timeout_after_send", "rate_limit")
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class WorkerKilled(BaseException):
    """The worker process died (SIGKILL) while its HTTP call was in flight: no code after it runs."""


def posts_sent_for(job: PublishJob) -> int:
    # The sandbox keeps the key as sent even when it does not honour it, so every copy is counted.
    return SandboxPost.objects.filter(idempotency_key=job.idempotency_key).count()


class PublishingWorld(RuleBasedStateMachine):
    owner = workspace = None
    channels: list = []

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back: the next one starts from the same world.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = time_machine.travel(START, tick=False)
        self.traveller = self.clock.start()
        self.broker: list[int] = []  # claimed job ids whose message has not been consumed
        self.undecided: dict[int, tuple[int, int]] = {}  # unknown/needs_review job → (attempts, posts) seen
        self.posts_written = 0

    def teardown(self):
        try:
            for account in self.accounts():
                set_faults(account, **dict.fromkeys(FAULTS, 0))
            for _round in range(12):  # each round outlasts every lease, grace window, backoff and 429
                self.traveller.shift(timedelta(seconds=1000))
                self.dispatch()
                while self.broker:
                    sender.send(self.broker.pop(0), "final-worker")
                reconciler.reconcile()
            for job in PublishJob.objects.all():
                assert job.status in {Status.PUBLISHED, *WAITING_FOR_HUMAN}, f"{job} left in limbo"
                if job.status == Status.FAILED:
                    assert job.last_error
            self.check_no_post_twice()
        finally:
            self.clock.stop()
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def accounts(self):
        return [c.connector._account() for c in self.channels]

    def jobs_in(self, *statuses):
        return list(PublishJob.objects.filter(status__in=statuses).order_by("pk").values_list("pk", flat=True))

    @rule(channel=st.integers(0, 2), due_in=st.sampled_from([0, 0, 20, 90]))
    def olga_schedules_a_post(self, channel, due_in):
        self.posts_written += 1
        create_and_schedule(actor=self.owner, workspace=self.workspace, text=f"Пост №{self.posts_written}",
                            channel_ids=[self.channels[channel].pk],
                            due_at=timezone.now() + timedelta(seconds=due_in))

    @rule(channel=st.integers(0, 2), fault=st.sampled_from(FAULTS), on=st.booleans())
    def the_network_misbehaves(self, channel, fault, on):
        set_faults(self.accounts()[channel], **{fault: int(on)})

    @rule(seconds=st.sampled_from([1, 15, 61, 130, 400]))
    def time_passes(self, seconds):
        self.traveller.shift(timedelta(seconds=seconds))

    @rule()
    def dispatch(self):
        self.broker += dispatcher.claim_due("dispatcher", now=timezone.now(), limit=5)

    @precondition(lambda self: self.broker)
    @rule(data=st.data(), redeliver=st.booleans())
    def a_worker_sends(self, data, redeliver):
        job_id = data.draw(st.sampled_from(self.broker))
        if not redeliver:  # a redelivered message stays in the queue and will be consumed again
            self.broker.remove(job_id)
        sender.send(job_id, "worker-a")

    @precondition(lambda self: self.broker)
    @rule(data=st.data(), after_the_call=st.booleans())
    def a_worker_dies_mid_send(self, data, after_the_call):
        job_id = data.draw(st.sampled_from(self.broker))
        self.broker.remove(job_id)  # acks_late with a lost worker: the sqla broker drops the message
        if not after_the_call:
            lease = timezone.now() + timedelta(seconds=120)
            states.move(job_id, Status.CLAIMED, Status.SENDING, claimed_by="worker-b", lease_until=lease)
            return
        real_create = sandbox_server.create_post

        def create_then_die(*args, **kwargs):
            real_create(*args, **kwargs)
            raise WorkerKilled

        with mock.patch.object(sandbox_server, "create_post", create_then_die), suppress(WorkerKilled):
            sender.send(job_id, "worker-b")  # a refusal or a 429 comes back before the worker dies

    @rule()
    def reconcile(self):
        reconciler.reconcile(timezone.now())

    @precondition(lambda self: self.jobs_in(*WAITING_FOR_HUMAN))
    @rule(data=st.data())
    def olga_resolves_one(self, data):
        """Olga looks at the channel's feed: she marks it posted if she sees it there, else asks for a retry."""
        job = PublishJob.objects.get(pk=data.draw(st.sampled_from(self.jobs_in(*WAITING_FOR_HUMAN))))
        if posts_sent_for(job):
            services.mark_as_posted(actor=self.owner, job=job)
        else:
            services.retry(actor=self.owner, job=job)
        self.undecided.pop(job.pk, None)

    @invariant()
    def check_no_post_twice(self):
        for job in PublishJob.objects.all():
            sent = posts_sent_for(job)
            assert sent <= 1, f"{job} is on the network {sent} times"
            if job.status == Status.PUBLISHED:
                assert sent == 1, f"{job} is published but not on the network"
                if job.remote_id:
                    assert SandboxPost.objects.get(idempotency_key=job.idempotency_key).remote_id == job.remote_id

    @invariant()
    def check_undecided_jobs_are_never_retried_blindly(self):
        for job in PublishJob.objects.filter(status__in=[Status.UNKNOWN, Status.NEEDS_REVIEW]):
            seen = self.undecided.setdefault(job.pk, (job.attempts, posts_sent_for(job)))
            assert (job.attempts, posts_sent_for(job)) == seen, f"{job} was sent again without Olga's decision"


@pytest.mark.django_db
def test_no_interleaving_posts_twice_or_drops_a_post_silently(owner, workspace):
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Кофе {n}")
                for n in range(3)]
    for channel in channels[1:]:
        set_faults(channel.connector._account(), honour_idempotency_key=False)
    PublishingWorld.owner, PublishingWorld.workspace, PublishingWorld.channels = owner, workspace, channels
    run_state_machine_as_test(PublishingWorld, settings=settings(
        max_examples=100, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)))
