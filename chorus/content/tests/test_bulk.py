"""An editor brings a season's posts in from a spreadsheet and takes them out again (CONT-6)."""

import json
from datetime import UTC, datetime, time

import pytest
from django.utils import timezone

from chorus.channels.services import connect_channel, set_queue_slots
from chorus.content.bulk import MAX_BYTES, export_posts, import_posts
from chorus.content.models import Post
from chorus.content.services import create_and_schedule, write_post
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob, Status
from chorus.workspaces.roles import Role
from chorus.workspaces.services import NotAllowed
from chorus.workspaces.timezones import to_local

VK, TG = "Coffee VK (sandbox)", "Coffee TG (sandbox)"


def semicolon_csv(channel) -> str:
    # As Russian Excel saves it: semicolons, a BOM, CRLF line ends, and a date rewritten as DD.MM.YYYY.
    return "\ufeff" + "\r\n".join([
        "text;channels;at",
        f"Новый сорт эфиопии уже в кофейне ☕;{VK};2030-12-01 10:00",
        f"Скидка на капучино до пятницы;{channel.pk}|{TG};02.12.2030 09:30",
        f"Латте-арт по субботам;{VK};2030-13-01 10:00",
        f"Черновик про раф;{TG};",
        "Раф с лавандой;Coffee Instagram;2030-12-03 12:00",
    ]) + "\r\n"


def import_file(editor, workspace, source, keep_valid=True, file_format="auto"):
    return import_posts(actor=editor, workspace=workspace, source=source, file_format=file_format,
                        keep_valid=keep_valid)


def test_editor_keeps_valid_rows_of_a_russian_excel_csv(editor, workspace, channel, second_channel):
    report = import_file(editor, workspace, semicolon_csv(channel).encode())

    assert (report.imported, report.skipped, report.refused) == (3, 2, False)
    assert [e.line for e in report.errors] == [4, 6]
    assert "2030-13-01 10:00" in report.errors[0].message and '"at"' in report.errors[0].message
    assert "Coffee Instagram" in report.errors[1].message and '"channels"' in report.errors[1].message
    first, second, draft = Post.objects.filter(pk__in=report.post_ids).order_by("pk")
    assert first.text == "Новый сорт эфиопии уже в кофейне ☕"
    # Wall-clock times are Moscow time (UTC+3) in the workspace's zone.
    assert [j.due_at for j in PublishJob.objects.filter(variant__post=first)] == [datetime(2030, 12, 1, 7, 0,
                                                                                           tzinfo=UTC)]
    second_jobs = PublishJob.objects.filter(variant__post=second)
    assert {j.channel for j in second_jobs} == {channel, second_channel}
    assert {j.due_at for j in second_jobs} == {datetime(2030, 12, 2, 6, 30, tzinfo=UTC)}
    assert draft.text == "Черновик про раф" and not PublishJob.objects.filter(variant__post=draft).exists()


def test_all_or_nothing_refuses_the_whole_file_and_lists_the_same_errors(editor, workspace, channel, second_channel):
    kept = import_file(editor, workspace, semicolon_csv(channel), keep_valid=True)
    Post.objects.all().delete()

    refused = import_file(editor, workspace, semicolon_csv(channel), keep_valid=False)

    assert refused.refused and refused.imported == 0 and refused.post_ids == []
    assert refused.errors == kept.errors
    assert not Post.objects.exists() and not PublishJob.objects.exists()


def test_a_multiline_quoted_text_keeps_the_line_numbers_of_later_rows(editor, workspace, channel):
    source = (f'text,channels,at\n"Три строки:\nвторая\nтретья",{VK},2030-12-01 10:00\n'
              f"Следующий пост,{VK},2030-12-01 11:00\nА этот с ошибкой,{VK},завтра\n")

    report = import_file(editor, workspace, source)

    assert report.imported == 2
    assert [e.line for e in report.errors] == [6]
    assert Post.objects.get(pk=report.post_ids[0]).text == "Три строки:\nвторая\nтретья"


def test_json_array_reports_the_line_where_the_bad_object_starts(editor, workspace, channel):
    source = f"""[
  {{"text": "Один", "channels": ["{VK}"], "at": "2030-12-01T10:00+03:00"}},
  {{
    "text": "Два",
    "channels": ["Нет такого канала"]
  }},
  {{"text": "Три", "channels": [{channel.pk}], "at": "queue"}},
  "не объект"
]"""

    report = import_file(editor, workspace, source, file_format="json")

    assert report.imported == 1
    assert [e.line for e in report.errors] == [3, 7, 8]
    assert "Нет такого канала" in report.errors[0].message
    assert "queue slots" in report.errors[1].message
    assert PublishJob.objects.get().due_at == datetime(2030, 12, 1, 7, 0, tzinfo=UTC)


def test_json_lines_with_a_broken_line_and_another_workspaces_channel(editor, workspace, channel, other_workspace):
    stranger = other_workspace.memberships.get().user
    their_channel = connect_channel(actor=stranger, workspace=other_workspace, network="sandbox", name="Tea VK")
    source = "\n".join([
        f'{{"text": "Хороший", "channels": ["{VK}"]}}',
        "",
        '{"text": "Сломанный", "channels": [',
        f'{{"text": "Чужой канал", "channels": [{their_channel.pk}]}}',
    ])

    report = import_file(editor, workspace, source)

    assert report.imported == 1
    assert [e.line for e in report.errors] == [3, 4]
    assert "unknown channel" in report.errors[1].message
    assert "Tea VK" not in report.errors[1].message  # the other workspace's channel is never named
    assert not Post.objects.filter(workspace=other_workspace).exists()


def test_a_text_over_the_networks_limit_is_reported_with_the_channel(editor, workspace, channel, second_channel):
    source = [{"text": "x" * 4001, "channels": [VK]},
              {"text": "Коротко", "channels": [VK, TG], f"text:{TG}": "y" * 4010}]

    report = import_file(editor, workspace, json.dumps(source))

    assert report.imported == 0
    assert [(e.line, e.message) for e in report.errors] == [
        (1, f'channel "{VK}": 1 over the limit of 4000.'),
        (1, f'channel "{TG}": 10 over the limit of 4000.'),
    ]


def test_a_file_that_is_not_utf8_gets_a_clear_message(editor, workspace, channel):
    source = f"text;channels;at\nКофе дня;{VK};\n".encode("cp1251")

    report = import_file(editor, workspace, source)

    assert report.refused and report.imported == 0
    assert report.errors[0].line == 2
    assert "UTF-8" in report.errors[0].message


def test_a_file_over_the_size_limit_is_refused(editor, workspace, channel):
    report = import_file(editor, workspace, b"text,channels\n" + b"x" * MAX_BYTES)

    assert report.refused and "MB" in report.errors[0].message


def test_times_the_clocks_skip_or_that_are_past_are_explained(other_workspace):
    stranger = other_workspace.memberships.get().user
    connect_channel(actor=stranger, workspace=other_workspace, network="sandbox", name="Tea VK")
    source = "text,channels,at\nSpring,Tea VK,2030-03-31 01:30\nOld news,Tea VK,2020-01-01 10:00\n"

    report = import_file(stranger, other_workspace, source)

    assert report.imported == 0
    assert [e.line for e in report.errors] == [2, 3]
    assert "clocks jump forward" in report.errors[0].message
    assert "in the past" in report.errors[1].message


def test_queue_rows_take_the_next_free_slots_in_turn(editor, owner, workspace, channel):
    set_queue_slots(actor=owner, channel=channel, slots=[(0, time(10, 0))])
    source = f"text,channels,at\nПервый,{VK},queue\nВторой,{VK},QUEUE\n"

    report = import_file(editor, workspace, source)

    first, second = (PublishJob.objects.get(variant__post_id=pk) for pk in report.post_ids)
    for job in (first, second):
        local = to_local(job.due_at, workspace.timezone)
        assert (local.weekday(), local.time()) == (0, time(10, 0))
    assert (second.due_at - first.due_at).days == 7


def test_a_name_two_channels_share_needs_an_id(editor, owner, workspace, channel):
    twin = connect_channel(actor=owner, workspace=workspace, network="sandbox", name=VK)

    report = import_file(editor, workspace, f"text,channels\nПост,{VK}\nПост,{twin.pk}\n")

    assert report.imported == 1
    assert report.errors[0].line == 2 and str(twin.pk) in report.errors[0].message


def test_clients_cannot_import_and_analysts_can_only_export(team, workspace, channel):
    with pytest.raises(NotAllowed):
        import_file(team[Role.CLIENT], workspace, f"text,channels\nПост,{VK}\n")
    with pytest.raises(NotAllowed):
        import_file(team[Role.ANALYST], workspace, f"text,channels\nПост,{VK}\n")
    assert export_posts(actor=team[Role.ANALYST], workspace=workspace, file_format="csv").startswith("text,")


def published_now(editor, workspace, channel, text):
    post, _jobs = create_and_schedule(actor=editor, workspace=workspace, text=text, channel_ids=[channel.pk],
                                      due_at=timezone.now())
    for job_id in dispatcher.claim_due("test-worker"):
        sender.send(job_id, "test-worker")
    return post


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_then_import_into_another_workspace_recreates_the_posts(
        file_format, editor, workspace, channel, second_channel, other_workspace):
    markup = '<b>Акция</b> & <script>alert("hi")</script>, "кавычки"; точка с запятой\nи вторая строка'
    create_and_schedule(actor=editor, workspace=workspace, text=markup, channel_ids=[channel.pk, second_channel.pk],
                        variant_texts={second_channel.pk: "Для TG | свой текст"},
                        due_at=datetime(2030, 12, 1, 7, 0, tzinfo=UTC))
    write_post(actor=editor, workspace=workspace, text="Черновик", channel_ids=[second_channel.pk])
    published_now(editor, workspace, channel, "Уже вышел")
    stranger = other_workspace.memberships.get().user
    for name in (TG, VK):
        connect_channel(actor=stranger, workspace=other_workspace, network="sandbox", name=name)

    exported = export_posts(actor=editor, workspace=workspace, file_format=file_format)
    report = import_file(stranger, other_workspace, exported, keep_valid=False)

    assert report.errors == [] and report.imported == 3
    scheduled, draft, was_published = Post.objects.filter(workspace=other_workspace).order_by("pk")
    assert scheduled.text == markup
    assert {(v.channel.name, v.text) for v in scheduled.variants.all()} == {(VK, ""), (TG, "Для TG | свой текст")}
    assert {j.due_at for j in PublishJob.objects.filter(variant__post=scheduled)} == {
        datetime(2030, 12, 1, 7, 0, tzinfo=UTC)}
    assert draft.text == "Черновик" and [v.channel.name for v in draft.variants.all()] == [TG]
    # Already out in the first workspace: it comes back as a draft, never as a second publication.
    assert was_published.text == "Уже вышел"
    assert not PublishJob.objects.filter(variant__post=was_published).exists()


def test_export_shows_each_publications_status_and_local_due_time(editor, workspace, channel):
    published_now(editor, workspace, channel, "Уже вышел")
    job = PublishJob.objects.get()

    exported = json.loads(export_posts(actor=editor, workspace=workspace, file_format="json"))

    assert exported == [{"text": "Уже вышел", "channels": [VK], "at": "",
                         f"status:{VK}": Status.PUBLISHED,
                         f"due:{VK}": to_local(job.due_at, workspace.timezone).strftime("%Y-%m-%d %H:%M")}]


def test_an_unclosed_quote_or_array_refuses_the_file_at_the_line_it_opens(editor, workspace, channel):
    unclosed_quote = import_file(editor, workspace, f'text,channels\nГотово,{VK}\n"Забыли кавычку,{VK}\nещё\n')
    unclosed_array = import_file(editor, workspace, f'[\n{{"text": "Готово", "channels": ["{VK}"]}},\n')

    assert unclosed_quote.refused and unclosed_quote.errors[0].line == 3
    assert unclosed_array.refused and "]" in unclosed_array.errors[0].message
    assert not Post.objects.exists()


def test_a_channel_name_with_semicolons_and_commas_survives_a_csv_round_trip(editor, owner, workspace):
    odd = connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Чай; кофе, какао;;;")
    write_post(actor=editor, workspace=workspace, text="Всё вместе", channel_ids=[odd.pk],
               variant_texts={odd.pk: "Свой текст"})
    exported = export_posts(actor=editor, workspace=workspace, file_format="csv")
    Post.objects.all().delete()

    report = import_file(editor, workspace, exported, keep_valid=False)

    assert report.errors == [] and report.imported == 1
    assert Post.objects.get().variants.get(channel=odd).text == "Свой текст"
