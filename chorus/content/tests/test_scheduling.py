"""An editor writes one post for two channels, checks it, schedules, moves and unschedules it."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chorus.channels.services import set_queue_slots
from chorus.content.models import Post
from chorus.content.services import (
    PostInvalid,
    add_to_queue,
    check_text,
    create_and_schedule,
    schedule_post,
    unschedule_post,
    write_post,
)
from chorus.publishing import states
from chorus.publishing.models import PublishJob, Status
from chorus.workspaces.services import NotAllowed

TOMORROW = timezone.now() + timedelta(days=1)


def test_the_composer_counts_and_folds_as_the_network_does(channel):
    check = check_text(channel, "☕" * 300)
    assert (check.measure.length, check.measure.limit, check.measure.unit) == (300, 4000, "codepoint")
    assert check.measure.preview_fold == 280 and check.ok
    too_long = check_text(channel, "x" * 4001)
    assert [p.code for p in too_long.problems] == ["too_long"]
    assert (too_long.problems[0].start, too_long.problems[0].end) == (4000, 4001)


def test_each_channel_may_get_its_own_text(editor, workspace, channel, second_channel):
    post = write_post(actor=editor, workspace=workspace, text="Общий текст",
                      channel_ids=[channel.pk, second_channel.pk],
                      variant_texts={second_channel.pk: "Текст для Телеграма"})
    texts = {v.channel_id: v.effective_text for v in post.variants.all()}
    assert texts == {channel.pk: "Общий текст", second_channel.pk: "Текст для Телеграма"}


def test_scheduling_twice_keeps_one_job_per_channel_and_moves_it(editor, workspace, channel):
    post, [job] = create_and_schedule(actor=editor, workspace=workspace, text="Акция", channel_ids=[channel.pk],
                                      due_at=TOMORROW)
    [moved] = schedule_post(actor=editor, post=post, due_at=TOMORROW + timedelta(hours=2))
    assert moved.pk == job.pk and moved.due_at == TOMORROW + timedelta(hours=2)
    assert PublishJob.objects.count() == 1


def test_an_invalid_variant_schedules_nothing_and_keeps_the_text(editor, workspace, channel):
    long_text = "Очень длинный пост " * 300
    with pytest.raises(PostInvalid) as refused:
        create_and_schedule(actor=editor, workspace=workspace, text=long_text, channel_ids=[channel.pk],
                            due_at=TOMORROW)
    assert "over the limit" in refused.value.messages[0]
    assert not PublishJob.objects.exists()
    draft = write_post(actor=editor, workspace=workspace, text=long_text, channel_ids=[channel.pk])
    with pytest.raises(PostInvalid):
        schedule_post(actor=editor, post=draft, due_at=TOMORROW)
    assert Post.objects.get(pk=draft.pk).text == long_text


def test_a_channel_of_another_workspace_cannot_be_used(editor, workspace, other_workspace, owner):
    from chorus.channels.services import connect_channel

    foreign = connect_channel(actor=other_workspace.memberships.get().user, workspace=other_workspace,
                              network="sandbox", name="Their page")
    with pytest.raises(ValidationError, match=f"Unknown channel.*{foreign.pk}"):
        write_post(actor=editor, workspace=workspace, text="Hi", channel_ids=[foreign.pk])


def test_a_post_on_its_way_out_cannot_be_edited_or_moved(editor, workspace, channel):
    post, [job] = create_and_schedule(actor=editor, workspace=workspace, text="Скоро", channel_ids=[channel.pk],
                                      due_at=timezone.now())
    states.move(job.pk, Status.SCHEDULED, Status.CLAIMED)
    with pytest.raises(ValidationError, match="already going out"):
        write_post(actor=editor, workspace=workspace, text="Поздно", channel_ids=[channel.pk], post=post)
    with pytest.raises(ValidationError, match="cannot be moved"):
        schedule_post(actor=editor, post=post, due_at=TOMORROW)
    assert unschedule_post(actor=editor, post=post) == 0


def test_a_client_may_read_but_not_schedule(team, workspace, channel):
    with pytest.raises(NotAllowed):
        create_and_schedule(actor=team["client"], workspace=workspace, text="Хочу", channel_ids=[channel.pk],
                            due_at=TOMORROW)


def test_add_to_queue_fills_each_channels_next_slot(editor, owner, workspace, channel, second_channel):
    set_queue_slots(actor=owner, channel=channel, slots=[(d, time(10, 0)) for d in range(7)])
    set_queue_slots(actor=owner, channel=second_channel, slots=[(d, time(19, 0)) for d in range(7)])
    first = write_post(actor=editor, workspace=workspace, text="Первый", channel_ids=[channel.pk, second_channel.pk])
    second = write_post(actor=editor, workspace=workspace, text="Второй", channel_ids=[channel.pk])
    jobs = {j.channel_id: j for j in add_to_queue(actor=editor, post=first)}
    [next_job] = add_to_queue(actor=editor, post=second)
    assert jobs[channel.pk].due_at.astimezone(UTC).hour == 7  # 10:00 Moscow
    assert jobs[second_channel.pk].due_at.astimezone(UTC).hour == 16  # 19:00 Moscow
    assert next_job.due_at - jobs[channel.pk].due_at == timedelta(days=1)


def test_unscheduling_returns_the_post_to_drafts(editor, workspace, channel):
    post, _jobs = create_and_schedule(actor=editor, workspace=workspace, text="Передумали",
                                      channel_ids=[channel.pk], due_at=TOMORROW)
    assert unschedule_post(actor=editor, post=post) == 1
    assert Post.objects.filter(pk=post.pk).exists() and not PublishJob.objects.exists()


def test_scheduling_in_the_past_is_allowed_and_goes_out_at_once(editor, workspace, channel):
    _post, [job] = create_and_schedule(actor=editor, workspace=workspace, text="Срочно",
                                       channel_ids=[channel.pk], due_at=datetime(2020, 1, 1, tzinfo=UTC))
    from chorus.publishing.dispatcher import claim_due

    assert claim_due("w") == [job.pk]


def test_a_line_break_from_the_browser_counts_once_and_is_stored_plainly(editor, workspace, channel):
    typed = "Первая строка\r\nВторая строка"
    assert check_text(channel, typed).measure.length == len("Первая строка\nВторая строка")
    post = write_post(actor=editor, workspace=workspace, text=typed, channel_ids=[channel.pk],
                      variant_texts={channel.pk: "Свой\r\nтекст"})
    assert post.text == "Первая строка\nВторая строка"
    assert post.variants.get().text == "Свой\nтекст"
