"""PUB-5 on the sandbox network (its real tables): a published post edited or deleted from Chorus, one change at
a time, with what the network shows kept apart from what Chorus holds until the network has answered."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from chorus.analytics.collection import collect_channel
from chorus.analytics.models import PostSnapshot
from chorus.content.services import PostInvalid, create_and_schedule
from chorus.publishing import changes, dispatcher, reconciler, sender
from chorus.publishing.models import PublishAttempt, Status
from chorus.publishing.services import delete_published, edit_published
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import delete_post, set_faults
from chorus.web.views import sandbox_account
from chorus.workspaces.roles import Role

Outcome, Action = PublishAttempt.Outcome, PublishAttempt.Action


def published(editor, workspace, channel, text="Новый сорт: Эфиопия Иргачефе"):
    _post, [job] = create_and_schedule(actor=editor, workspace=workspace, text=text, channel_ids=[channel.pk],
                                       due_at=timezone.now())
    for job_id in dispatcher.claim_due("worker-a"):
        sender.send(job_id, "worker-a")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    return job


def on_sandbox(job) -> SandboxPost:
    return SandboxPost.objects.get(remote_id=job.remote_id)


def test_editor_fixes_a_typo_and_the_network_shows_it_once_the_worker_has_sent_it(editor, workspace, channel):
    job = published(editor, workspace, channel)
    assert job.sent_text == "Новый сорт: Эфиопия Иргачефе"

    job = edit_published(actor=editor, job=job, text="Новый сорт: Эфиопия Иргачеффе")
    # Until the worker has sent it, Chorus says the network still shows the old text.
    assert job.status == Status.EDITING
    assert job.sent_text == "Новый сорт: Эфиопия Иргачефе" and on_sandbox(job).text == job.sent_text
    assert job.variant.effective_text == "Новый сорт: Эфиопия Иргачеффе"

    assert changes.apply(job.pk, "worker-b") == Status.PUBLISHED
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.last_error == ""
    assert job.sent_text == on_sandbox(job).text == "Новый сорт: Эфиопия Иргачеффе"
    assert on_sandbox(job).edited_at is not None
    edit = job.attempts_log.last()
    assert (edit.action, edit.outcome, edit.requested_by, edit.worker) == (Action.EDIT, Outcome.EDITED, editor,
                                                                           "worker-b")


def test_a_text_over_the_networks_limit_is_refused_as_in_the_composer(editor, workspace, channel):
    job = published(editor, workspace, channel)
    with pytest.raises(PostInvalid, match="over the limit"):
        edit_published(actor=editor, job=job, text="я" * 4001)
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.variant.effective_text == job.sent_text


def test_one_change_at_a_time_and_a_redelivered_message_does_nothing(editor, owner, workspace, channel):
    job = published(editor, workspace, channel)
    edit_published(actor=editor, job=job, text="Первая правка")
    with pytest.raises(ValidationError, match="one change at a time"):
        edit_published(actor=owner, job=job, text="Вторая правка")
    with pytest.raises(ValidationError, match="one change at a time"):
        delete_published(actor=owner, job=job)
    with pytest.raises(ValidationError, match="not being changed"):
        edit_published(actor=owner, job=job, text="Только в Chorus", on_network=False)
    assert changes.apply(job.pk, "worker-a") == Status.PUBLISHED
    assert changes.apply(job.pk, "worker-b") == "skipped"
    assert on_sandbox(job).text == "Первая правка"
    assert job.attempts_log.filter(action=Action.EDIT).count() == 1


def test_a_second_worker_cannot_take_a_change_another_has_claimed(editor, workspace, channel):
    job = published(editor, workspace, channel)
    edit_published(actor=editor, job=job, text="Правка")
    # Worker A has claimed it and is mid-call when the broker hands the same message to worker B.
    job.__class__.objects.filter(pk=job.pk).update(claimed_by="worker-a")
    assert changes.apply(job.pk, "worker-b") == "skipped"
    assert on_sandbox(job).edited_at is None


def test_text_changed_in_chorus_only_leaves_the_network_and_sent_text_alone(editor, workspace, channel):
    job = published(editor, workspace, channel)
    job = edit_published(actor=editor, job=job, text="Черновик новой версии", on_network=False)
    assert job.status == Status.PUBLISHED
    assert job.variant.effective_text == "Черновик новой версии"
    assert job.sent_text == on_sandbox(job).text == "Новый сорт: Эфиопия Иргачефе"


def test_a_refused_edit_keeps_what_the_network_shows_and_says_why(editor, workspace, channel):
    job = published(editor, workspace, channel)
    set_faults(sandbox_account(channel), error_before_send=1)
    edit_published(actor=editor, job=job, text="Не дойдёт")
    assert changes.apply(job.pk, "worker-a") == Status.PUBLISHED
    job.refresh_from_db()
    assert "503" in job.last_error
    assert job.sent_text == on_sandbox(job).text == "Новый сорт: Эфиопия Иргачефе"
    assert job.variant.effective_text == "Не дойдёт"
    assert job.attempts_log.last().outcome == Outcome.FAILED
    set_faults(sandbox_account(channel), error_before_send=0)
    edit_published(actor=editor, job=job, text="Не дойдёт")
    changes.apply(job.pk, "worker-a")
    job.refresh_from_db()
    assert job.sent_text == on_sandbox(job).text == "Не дойдёт" and job.last_error == ""


def test_owner_deletes_a_post_and_metrics_stop_asking_for_it(editor, owner, workspace, channel):
    kept = published(editor, workspace, channel, text="Остаётся")
    job = published(editor, workspace, channel, text="Удалим")
    job = delete_published(actor=owner, job=job)
    assert job.status == Status.DELETING and on_sandbox(job).deleted_at is None
    assert changes.apply(job.pk, "worker-a") == Status.DELETED
    job.refresh_from_db()
    assert job.status == Status.DELETED and job.deleted_by == owner and job.deleted_at is not None
    assert on_sandbox(job).deleted_at is not None
    assert job.attempts_log.last().outcome == Outcome.DELETED
    collect_channel(channel, timezone.now())
    assert set(PostSnapshot.objects.values_list("post__job", flat=True)) == {kept.pk}
    with pytest.raises(ValidationError):
        delete_published(actor=owner, job=job)


def test_a_post_already_gone_from_the_network_counts_as_deleted(editor, workspace, channel):
    job = published(editor, workspace, channel)
    delete_post(sandbox_account(channel), job.remote_id)  # someone deleted it in the network's own app
    delete_published(actor=editor, job=job)
    assert changes.apply(job.pk, "worker-a") == Status.DELETED
    assert job.attempts_log.last().reason == "The post was already gone from the network."


def test_a_rate_limited_delete_leaves_the_post_and_blocks_the_channel_until_the_given_time(editor, workspace,
                                                                                          channel):
    job = published(editor, workspace, channel)
    set_faults(sandbox_account(channel), rate_limit=1, rate_limit_seconds=600)
    delete_published(actor=editor, job=job)
    assert changes.apply(job.pk, "worker-a") == Status.PUBLISHED
    job.refresh_from_db()
    assert "Try again after" in job.last_error and on_sandbox(job).deleted_at is None
    set_faults(sandbox_account(channel), rate_limit=0)
    with pytest.raises(ValidationError, match="rate-limited until"):
        delete_published(actor=editor, job=job)


def test_a_change_no_worker_picked_up_is_handed_back_and_can_be_repeated(editor, workspace, channel, settings):
    job = published(editor, workspace, channel)
    delete_published(actor=editor, job=job)
    result = reconciler.reconcile(timezone.now() + timedelta(seconds=settings.CHORUS_CLAIM_LEASE + 1))
    assert result["changes_returned"] == 1
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and "nothing was sent" in job.last_error
    assert job.attempts_log.last().outcome == Outcome.FAILED
    delete_published(actor=editor, job=job, background=False)
    job.refresh_from_db()
    assert job.status == Status.DELETED


def test_a_worker_that_stopped_mid_change_leaves_the_outcome_open(editor, workspace, channel, settings):
    job = published(editor, workspace, channel)
    edit_published(actor=editor, job=job, text="Правка")
    job.__class__.objects.filter(pk=job.pk).update(claimed_by="worker-a")
    reconciler.reconcile(timezone.now() + timedelta(seconds=settings.CHORUS_CLAIM_LEASE + 1))
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and "doing it again is safe" in job.last_error
    assert job.attempts_log.last().outcome == Outcome.UNKNOWN


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ANALYST, Role.CLIENT, Role.CONTRACTOR])
def test_only_people_who_publish_may_change_what_is_published(team, editor, workspace, channel, role):
    job = published(editor, workspace, channel)
    with pytest.raises(PermissionDenied, match="does not allow"):
        edit_published(actor=team[role], job=job, text="Чужая правка")
    with pytest.raises(PermissionDenied, match="does not allow"):
        delete_published(actor=team[role], job=job)
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
