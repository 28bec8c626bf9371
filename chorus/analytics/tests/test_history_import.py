"""An analyst brings a channel's past into Chorus from their own export: bad rows are named by line, a mapping
can be saved and reused, Excel files work, and who may read or import follows the role matrix."""

import io
import json
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from chorus.analytics.models import PostSnapshot, PublishedPost
from chorus.workspaces.roles import Role

MAPPING = {"published_at": "Date", "remote_id": "Id", "likes": "Likes", "reach": "Reach", "type": "Kind",
           "text": "Text"}


def chorus_json(*args):
    out = io.StringIO()
    call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def import_file(workspace, channel, path, *extra):
    return chorus_json("import", "history", "--workspace", workspace.slug, "--channel", str(channel.pk),
                       "--format", "csv", *extra, str(path))


def test_bad_rows_are_reported_by_line_and_the_good_ones_imported(workspace, channel, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Date;Id;Likes;Reach;Kind;Text\n"
                    "2026-10-01 10:00;a1;12;400;photo;Осенний латте\n"
                    "yesterday;a2;3;100;photo;x\n"
                    "2026-10-02 11:00;a3;12.5;100;video;y\n"
                    '2026-10-03 12:00;a4;5;;link;"two\nlines"\n'
                    "2026-10-04T09:00+00:00;a5;1;10;photo;z\n", encoding="utf-8")
    report = import_file(workspace, channel, path, "--mapping", json.dumps(MAPPING))
    assert (report["imported"], report["skipped"]) == (3, 2)
    assert [(e["line"], "yesterday" in e["message"] or "12.5" in e["message"]) for e in report["errors"]] == [
        (3, True), (4, True)]
    assert [(w["line"], "Reach" in w["message"]) for w in report["warnings"]] == [(5, True)]
    latte = PublishedPost.objects.get(channel=channel, remote_id="a1")
    assert (latte.likes, latte.reach, latte.kind, latte.text_length) == (12, 400, "photo", len("Осенний латте"))
    assert latte.local_hour == 10 and not latte.date_is_approximate  # wall-clock in the workspace's zone
    assert PublishedPost.objects.get(remote_id="a5").local_hour == 12  # 09:00 UTC is noon in Moscow
    assert PublishedPost.objects.get(remote_id="a4").reach is None


def test_a_newer_export_updates_the_counters_without_duplicating_posts(workspace, channel, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Date,Id,Likes,Reach,Kind,Text\n2026-10-01 10:00,a1,12,400,photo,Латте\n", encoding="utf-8")
    import_file(workspace, channel, path, "--mapping", json.dumps(MAPPING))
    path.write_text("Date,Id,Likes,Reach,Kind,Text\n2026-10-01 10:00,a1,15,480,photo,Латте\n", encoding="utf-8")
    report = import_file(workspace, channel, path, "--mapping", json.dumps(MAPPING))
    assert (report["imported"], report["updated"]) == (0, 1)
    post = PublishedPost.objects.get(channel=channel)
    assert (post.likes, post.reach) == (15, 480) and PostSnapshot.objects.filter(post=post).count() == 2


def test_a_saved_mapping_imports_an_excel_workbook(workspace, channel, tmp_path, team):
    analyst = team[Role.ANALYST].username
    saved = chorus_json("import", "save-mapping", "--workspace", workspace.slug, "--as", analyst,
                        "--name", "VK export", "--columns", json.dumps(MAPPING))
    assert saved["name"] == "VK export"
    assert [m["name"] for m in chorus_json("import", "mappings", "--workspace", workspace.slug)] == ["VK export"]
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Id", "Likes", "Reach", "Kind", "Text"])
    sheet.append([datetime(2026, 9, 1, 18, 0), "x1", 40, 1000.0, "Video", "Кофе"])
    sheet.append([datetime(2026, 9, 2, 8, 15), "x2", None, 500, "photo", ""])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = import_file(workspace, channel, path, "--mapping", "VK export", "--as", analyst)
    assert (report["imported"], report["errors"]) == (2, [])
    assert [w["line"] for w in report["warnings"]] == [3]
    first = PublishedPost.objects.get(remote_id="x1")
    assert (first.local_hour, first.reach, first.kind, first.likes) == (18, 1000, "video", 40)
    assert PublishedPost.objects.get(remote_id="x2").likes is None


def test_a_mapping_with_an_unknown_field_says_which_fields_exist(workspace, channel, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Date,Likes\n2026-10-01 10:00,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown field.*lieks.*published_at"):
        import_file(workspace, channel, path, "--mapping", '{"published_at": "Date", "lieks": "Likes"}')
    with pytest.raises(CommandError, match="No saved mapping"):
        import_file(workspace, channel, path, "--mapping", "never saved")
    with pytest.raises(CommandError, match="no column 'Reach'.*Date, Likes"):
        import_file(workspace, channel, path, "--mapping", '{"published_at": "Date", "reach": "Reach"}')


def test_an_export_saved_in_windows_1251_names_the_line_to_fix_and_imports_nothing(workspace, channel, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Date,Id,Likes,Reach,Kind,Text\n2026-10-01 10:00,a1,12,400,photo,latte\n"
                     "2026-10-02 10:00,a2,3,90,photo,Осенний латте\n".encode("cp1251"))
    with pytest.raises(CommandError, match="not UTF-8.*line 3"):
        import_file(workspace, channel, path, "--mapping", json.dumps(MAPPING))
    assert not PublishedPost.objects.filter(channel=channel).exists()


def test_analysts_and_clients_read_analytics_a_contractor_does_not(workspace, channel, team, tmp_path):
    for role in (Role.ANALYST, Role.CLIENT, Role.MODERATOR):
        answer = chorus_json("analytics", "breakdown", "--channel", str(channel.pk), "--by", "type",
                             "--metric", "interactions", "--as", team[role].username)
        assert answer["rows"] == []
    with pytest.raises(CommandError, match="does not allow"):
        chorus_json("analytics", "breakdown", "--channel", str(channel.pk), "--by", "type",
                    "--metric", "interactions", "--as", team[Role.CONTRACTOR].username)
    path = tmp_path / "export.csv"
    path.write_text("Date,Id,Likes\n2026-10-01 10:00,a1,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="does not allow"):
        import_file(workspace, channel, path, "--mapping", '{"published_at": "Date", "remote_id": "Id"}',
                    "--as", team[Role.CLIENT].username)
    assert not PublishedPost.objects.exists()


def test_another_workspaces_channel_is_not_found(workspace, other_workspace, owner):
    from chorus.channels.services import connect_channel

    theirs = connect_channel(actor=other_workspace.memberships.get().user, workspace=other_workspace,
                             network="sandbox", name="Tea VK")
    with pytest.raises(CommandError, match="No such channel"):
        chorus_json("analytics", "dashboard", "--workspace", workspace.slug, "--channel", str(theirs.pk),
                    "--from", "2026-11-01", "--to", "2026-11-30")
