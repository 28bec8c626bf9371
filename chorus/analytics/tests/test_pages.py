"""The analytics pages as people use them: an owner reads October against September, exports what they see, an
analyst imports a channel's history, a client reads but does not import, a contractor sees nothing."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from openpyxl import load_workbook

from chorus.analytics import services
from chorus.analytics.exports import shown
from chorus.analytics.store import AccountReading, PostFacts, PostReading, store
from chorus.channels.services import connect_channel
from chorus.workspaces.roles import Role

OCTOBER = "?period=month&month=2026-10"


def at(day: int, hour: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def october(channel):
    """The coffee channel's autumn, ingested as collection would: follower counts, posts, their counters.

    Followers 1000 at the end of September, 1100 at the end of October; two October posts (one without reach, none
    with saves or clicks) and one September post for the previous period."""
    store.ingest_accounts([AccountReading(channel.pk, when, followers=count) for when, count in (
        (at(14, 9, 9), 990), (at(30, 12, 9), 1000), (at(10, 8), 1050), (at(20, 14), 1080), (at(31, 12), 1100))])
    september, photo, video = store.register(channel, [
        PostFacts(published_at=at(14, 10, 9), remote_id="p0", kind="photo"),
        PostFacts(published_at=at(10, 9), remote_id="p1", kind="photo"),
        PostFacts(published_at=at(20, 15), remote_id="p2", kind="video")])
    store.ingest_posts([
        PostReading(september.pk, at(15, 10, 9), views=400, likes=20, comments=2, reposts=1, reach=300),
        PostReading(photo.pk, at(11, 9), views=1000, likes=40, comments=10, reposts=5, reach=800),
        PostReading(video.pk, at(21, 15), views=500, likes=10, comments=0, reposts=0)])
    return channel


def tables_of(page: str) -> dict[str, list[list[str]]]:
    """{table name: rows of the values shown} from a page's analytics tables."""
    found = {}
    for name, body in re.findall(r'<section class="mb-3" data-table="([^"]+)">(.*?)</section>', page, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
        found[name] = [[re.sub(r"<[^>]+>", "", value).strip()
                        for value in re.findall(r'<span class="value">(.*?)</span>', row, re.S)] for row in rows]
    return found


def row_of(table: list[list[str]], label: str) -> list[str]:
    return next(row for row in table if row[0] == label)


def page_text(value) -> str:
    return "—" if value is None else str(shown(value))


def change_text(value, unit: str) -> str:
    """A change as the page shows it: a growth carries "+", as in the PDF report."""
    return "—" if value is None else f"{'+' if value > 0 else ''}{shown(value)} {unit}"


def as_in_files(text: str) -> str:
    """What a file holds for a cell on the page: the bare number, and nothing for "—"."""
    return text.replace("—", "").removesuffix(" %").removesuffix(" pp").removeprefix("+")


def json_of(page: str, element_id: str) -> dict:
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page,
                                re.S).group(1))


def test_an_owner_reads_october_as_the_service_computes_it(signed_in, owner, workspace, october):
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/{OCTOBER}").content.decode()
    tables = tables_of(page)
    board = services.workspace_dashboard(owner, workspace, date(2026, 10, 1), date(2026, 10, 31))
    shown_rows = {row[0]: row[1:] for name in ("audience", "activity", "engagement") for row in tables[name]}
    assert len(shown_rows) == len(board["figures"])
    for name, line in board["figures"].items():
        label = {"interactions": "Interactions", "reach": "Reach", "views": "Views", "likes": "Likes",
                 "comments": "Comments", "reposts": "Reposts", "saves": "Saves",
                 "clicks": "Clicks"}.get(name, line["current"]["label"])
        now, then, change = shown_rows[label]
        assert now == page_text(line["current"]["value"]), name
        assert then == page_text(line["previous"]["value"]), name
        assert change == change_text(line["change"], "%"), name
    # By hand from the rows ingested above: 40+10+5 and 10 interactions over 1050 and 1080 followers at post time.
    assert shown_rows["Interactions"][:2] == ["65", "23"]
    assert shown_rows["ER by followers, pooled"][0] == str(round((55 + 10) / (1050 + 1080) * 100, 2))
    assert shown_rows["ER by reach (ERR), pooled"][0] == str(round(55 / 800 * 100, 2))  # the video gave no reach
    assert shown_rows["Followers"] == ["1100", "1000", "+10 %"]
    assert shown_rows["Net follower growth"][0] == "100"
    assert row_of(tables["channels"], "Coffee VK (sandbox)")[1:6] == ["1100", "100", "—", "—", "2"]
    assert [row[3] for row in tables["top"]] == ["p1"]  # ranked by ER by reach: the video has none to rank by


def test_a_number_the_network_did_not_give_is_a_dash_never_zero(signed_in, owner, workspace, october):
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{october.pk}/{OCTOBER}").content.decode()
    activity = tables_of(page)["activity"]
    assert row_of(activity, "Saves")[1:3] == ["—", "—"] and row_of(activity, "Clicks")[1] == "—"
    saves = page.split('<span class="value">Saves</span>')[1].split("</tr>")[0]
    assert saves.count("not reported") == 2  # this period and the previous one
    new_followers = page.split('<span class="value">New followers</span>')[1].split("</tr>")[0]
    assert new_followers.count("the network counted no day of this period") == 2  # the counts came without them


def test_every_number_says_how_it_is_computed(signed_in, owner, workspace, october):
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/{OCTOBER}").content.decode()
    pooled = page.split('<span class="value">ER by followers, pooled</span>')[1].split("</tr>")[0]
    assert "Σ interactions / Σ followers_at_post × 100" in pooled
    assert "sum of interactions = 65" in pooled and "sum of followers_at_post = 2130" in pooled
    assert "followers of the channel when the post was published" in pooled


def test_the_exports_carry_the_numbers_on_the_page(signed_in, owner, workspace, october):
    client = signed_in(owner)
    page = client.get(f"/w/{workspace.slug}/analytics/{OCTOBER}").content.decode()
    for name in ("activity", "engagement", "channels", "top"):
        on_page = [[as_in_files(v) for v in row] for row in tables_of(page)[name]]
        export = client.get(f"/w/{workspace.slug}/analytics/{OCTOBER}&table={name}&export=csv")
        assert export["Content-Type"].startswith("text/csv")
        in_csv = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert in_csv[1:] == on_page, name
        book = load_workbook(io.BytesIO(client.get(
            f"/w/{workspace.slug}/analytics/{OCTOBER}&table={name}&export=xlsx").content))
        in_xlsx = [["" if v is None else str(v) for v in row] for row in book.active.iter_rows(min_row=2,
                                                                                               values_only=True)]
        assert in_xlsx == on_page, name
    assert client.get(f"/w/{workspace.slug}/analytics/{OCTOBER}&table=nope&export=csv").status_code == 404


def test_the_charts_get_the_services_daily_series(signed_in, owner, workspace, october):
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/{OCTOBER}").content.decode()
    chart = json_of(page, "analytics-series")
    by_day = dict(zip(chart["days"], zip(chart["followers"], chart["interactions"], strict=True), strict=True))
    assert len(by_day) == 31 and by_day["2026-10-10"] == (1050, 55) and by_day["2026-10-31"] == (1100, None)
    assert by_day["2026-10-11"] == (None, None)  # no row that day: a gap, not 0
    assert 'src="/static/vendor/echarts/echarts.min.js"' in page


def test_last_seven_days_end_today_in_the_workspaces_zone(signed_in, owner, workspace, october):
    client = signed_in(owner)
    with time_machine.travel(datetime(2026, 10, 31, 22, 30, tzinfo=UTC)):  # already 1 November in Moscow
        board = client.get(f"/w/{workspace.slug}/analytics/?period=7").context["board"]
    assert board["period"] == {"first": date(2026, 10, 26), "last": date(2026, 11, 1)}
    wrong = client.get(f"/w/{workspace.slug}/analytics/?period=month&month=October").content.decode()
    assert "Choose a month like 2026-10." in wrong
    backwards = client.get(f"/w/{workspace.slug}/analytics/?period=custom&from=2026-10-31&to=2026-10-01")
    assert "The period ends before it starts." in backwards.content.decode()
    assert (backwards.context["board"]["period"]["last"] - backwards.context["board"]["period"]["first"]).days == 29


def test_what_works_shows_raw_and_shrunk_values_with_n(signed_in, owner, workspace, october):
    client = signed_in(owner)
    url = f"/w/{workspace.slug}/analytics/channels/{october.pk}/what-works/"
    for average in ("per-post", "pooled"):
        page = client.get(f"{url}?metric=er-followers&average={average}").content.decode()
        table = services.channel_breakdown(owner, workspace, october.pk, "type", "er-followers", average)
        assert tables_of(page)["type"][:-1] == [[c.key, str(c.posts), str(c.n), page_text(c.value),
                                                 page_text(c.shrunk)] for c in table.cells]
    assert "Not enough posts yet: at least 20" in page  # the best-time card with three posts
    unknown = client.get(f"{url}?metric=likes&average=pooled").content.decode()
    assert "Unknown metric likes: use one of er-followers" in unknown and 'data-table="type"' in unknown
    assert "shrunk = (n × raw + k × channel) / (n + k)" in page


def test_the_heatmap_tells_how_many_posts_are_behind_each_cell(signed_in, owner, workspace, channel):
    # Mondays 10:00 and a Tuesday 18:00 in Moscow (UTC+3).
    posts = store.register(channel, [PostFacts(published_at=at(day, hour), remote_id=f"h{day}")
                                     for day, hour in ((5, 7), (12, 7), (6, 15))])
    store.ingest_posts([PostReading(post.pk, at(25, 0), likes=likes) for post, likes in zip(posts, (9, 3, 4),
                                                                                              strict=True)])
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/what-works/").content.decode()
    heat = json_of(page, "analytics-heatmap")
    cells = {(hour, day): (n, raw) for hour, day, _shrunk, n, raw in heat["cells"]}
    assert cells == {(10, 0): (2, 6), (18, 1): (1, 4)}


def test_an_analyst_imports_a_csv_and_sees_the_bad_line_by_its_number(signed_in, team, workspace, channel):
    client = signed_in(team[Role.ANALYST])
    saved = client.post(f"/w/{workspace.slug}/analytics/import/mappings/", {
        "name": "Our export", "columns": json.dumps({"published_at": "Date", "likes": "Likes", "reach": "Reach"})})
    assert saved.status_code == 302
    source = b"Date,Likes,Reach\n2026-10-01 10:00,12,300\nnot a date,5,100\n2026-10-02 11:00,,200\n"
    page = client.post(f"/w/{workspace.slug}/analytics/import/", {
        "channel": channel.pk, "format": "csv", "preset": "Our export",
        "file": SimpleUploadedFile("history.csv", source, content_type="text/csv")}).content.decode()
    assert "Imported 2 post(s), updated 0, skipped 1." in page
    errors = re.findall(r'<tr class="table-danger"><td>(\d+)</td><td>(.*?)</td>', page)
    assert [line for line, _why in errors] == ["3"] and "not a date" in errors[0][1]
    warnings = re.findall(r'<tr class="table-warning"><td>(\d+)</td>', page)
    assert warnings == ["4"]  # the empty likes cell stays missing, and says so


def test_an_import_that_cannot_start_says_what_to_fix(signed_in, team, workspace, channel):
    client = signed_in(team[Role.EDITOR])
    answer = client.post(f"/w/{workspace.slug}/analytics/import/", {
        "channel": channel.pk, "format": "csv", "columns": '{"likes": "Likes"}',
        "file": SimpleUploadedFile("history.csv", b"Likes\n3\n", content_type="text/csv")})
    assert answer.status_code == 400
    assert "Nothing imported: Map &quot;published_at&quot;" in answer.content.decode()


def test_a_client_reads_dashboards_but_does_not_import(signed_in, team, workspace, october):
    client = signed_in(team[Role.CLIENT])
    for page in ("", f"channels/{october.pk}/", f"channels/{october.pk}/what-works/", "how-computed/"):
        assert client.get(f"/w/{workspace.slug}/analytics/{page}").status_code == 200, page
    assert "Import history" not in client.get(f"/w/{workspace.slug}/analytics/").content.decode()
    assert client.get(f"/w/{workspace.slug}/analytics/import/").status_code == 403
    refused = client.post(f"/w/{workspace.slug}/analytics/import/", {
        "channel": october.pk, "format": "facebook-insights",
        "file": SimpleUploadedFile("history.csv", b"Type\nPhoto\n", content_type="text/csv")})
    assert refused.status_code == 403


def test_a_contractor_sees_no_analytics(signed_in, team, workspace, october):
    client = signed_in(team[Role.CONTRACTOR])
    assert client.get(f"/w/{workspace.slug}/analytics/").status_code == 403
    assert client.get(f"/w/{workspace.slug}/analytics/channels/{october.pk}/").status_code == 403
    assert 'href="/w/coffee/analytics/"' not in client.get(f"/w/{workspace.slug}/").content.decode()


def test_a_channel_of_another_workspace_is_not_found(signed_in, owner, workspace, other_workspace):
    theirs = connect_channel(actor=other_workspace.memberships.get().user, workspace=other_workspace,
                             network="sandbox", name="Rival Tea")
    client = signed_in(owner)
    for page in (f"channels/{theirs.pk}/", f"channels/{theirs.pk}/what-works/"):
        assert client.get(f"/w/{workspace.slug}/analytics/{page}").status_code == 404, page


def test_a_channel_named_with_a_script_is_text_everywhere(signed_in, owner, workspace, october):
    october.name = '<script>alert("hi")</script>'
    october.save()
    client = signed_in(owner)
    for page in ("", f"channels/{october.pk}/", f"channels/{october.pk}/what-works/", "import/"):
        html = client.get(f"/w/{workspace.slug}/analytics/{page}").content.decode()
        assert "<script>alert" not in html, page
        assert "&lt;script&gt;alert" in html, page
    for page, chart in ((f"channels/{october.pk}/", "analytics-series"),
                        (f"channels/{october.pk}/what-works/", "analytics-heatmap")):
        html = client.get(f"/w/{workspace.slug}/analytics/{page}").content.decode()
        assert "\\u003Cscript\\u003E" in html
        assert json_of(html, chart)["title"] == october.name


def test_the_formulas_page_lists_every_metric_with_its_denominator(signed_in, team, workspace):
    page = signed_in(team[Role.CLIENT]).get(f"/w/{workspace.slug}/analytics/how-computed/").content.decode()
    for metric in services.explain():
        row = page.split(f'id="metric-{metric["metric"]}"')[1].split("</tr>")[0]
        assert escape(metric["formula"]) in row and escape(metric["denominator"] or "—") in row


def test_an_analyst_keeps_and_deletes_named_mappings(signed_in, team, workspace):
    client = signed_in(team[Role.ANALYST])
    url = f"/w/{workspace.slug}/analytics/import/"
    bad = client.post(f"{url}mappings/", {"name": "VK", "columns": "{likes: Likes}"}, follow=True)
    assert "Mapping not saved: The mapping is not valid JSON" in bad.content.decode()
    client.post(f"{url}mappings/", {"name": "VK", "columns": '{"published_at": "Date", "likes": "Likes"}'})
    assert [m.name for m in services.mappings_of(team[Role.ANALYST], workspace)] == ["VK"]
    assert '<option value="VK">VK</option>' in client.get(url).content.decode()
    client.post(f"{url}mappings/delete/", {"name": "VK"})
    assert services.mappings_of(team[Role.ANALYST], workspace) == []
    assert client.post(f"{url}mappings/delete/", {"name": "VK"}).status_code == 404


def test_charts_load_only_on_the_analytics_pages(signed_in, owner, workspace):
    client = signed_in(owner)
    assert "echarts" not in client.get(f"/w/{workspace.slug}/").content.decode()
    assert "echarts.min.js" in client.get(f"/w/{workspace.slug}/analytics/").content.decode()


def test_a_rubric_that_looks_like_a_formula_stays_text_in_the_files(signed_in, owner, workspace, channel):
    [post] = store.register(channel, [PostFacts(published_at=at(5, 7), remote_id="f1",
                                                rubric='=HYPERLINK("http://evil.example","win")')])
    store.ingest_posts([PostReading(post.pk, at(6, 7), likes=3)])
    url = f"/w/{workspace.slug}/analytics/channels/{channel.pk}/what-works/?table=rubric&export="
    client = signed_in(owner)
    in_csv = list(csv.reader(io.StringIO(client.get(url + "csv").content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(client.get(url + "xlsx").content)).active
    assert in_csv[1][0] == sheet["A2"].value == '\'=HYPERLINK("http://evil.example","win")'
    assert sheet["A2"].data_type == "s"


def test_the_best_time_card_names_the_slots_and_how_sure_they_are(signed_in, owner, workspace, channel):
    # Twelve posts on Monday mornings drew few likes, twelve on Tuesday evenings many (Moscow, UTC+3).
    moments = [(datetime(2026, 10, day, hour, minute, tzinfo=UTC), likes)
               for day, hour, base in ((5, 7, 2), (12, 7, 2), (19, 7, 2), (6, 15, 20), (13, 15, 20), (20, 15, 20))
               for minute, likes in zip((0, 10, 20, 30), (base, base + 1, base + 2, base + 3), strict=True)]
    posts = store.register(channel, [PostFacts(published_at=when, remote_id=f"b{i}")
                                     for i, (when, _likes) in enumerate(moments)])
    store.ingest_posts([PostReading(post.pk, at(28, 0), likes=likes)
                        for post, (_when, likes) in zip(posts, moments, strict=True)])
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/what-works/").content.decode()
    card = page.split('data-card="best-time"')[1].split("</ol>")[0]
    shown_slots = re.findall(r"<strong>(\w+ \d\d:00)</strong>.*?(\d+) posts?; how sure: <span[^>]*>(\w+)</span>",
                             card, re.S)
    slots = services.best_time(owner, workspace, channel.pk)["slots"]
    assert shown_slots == [(f"{s['day']} {s['hour']:02d}:00", str(s["n"]), s["sure"]) for s in slots]
    assert shown_slots[0] == ("Tue 18:00", "12", "high")


def test_an_editor_puts_the_best_times_in_the_queue_and_add_to_queue_fills_them(signed_in, editor, workspace,
                                                                              channel):
    from datetime import time

    from chorus.content.services import write_post
    from chorus.publishing.models import PublishJob

    moments = [(datetime(2026, 10, day, 15, minute, tzinfo=UTC), 20 + minute) for day in (6, 13, 20, 27)
               for minute in range(0, 50, 10)]
    moments += [(datetime(2026, 10, day, 7, 0, tzinfo=UTC), 2) for day in (5, 12, 19, 26)]  # Monday mornings
    posts = store.register(channel, [PostFacts(published_at=when, remote_id=f"q{i}")
                                     for i, (when, _likes) in enumerate(moments)])
    store.ingest_posts([PostReading(post.pk, at(30, 0), likes=likes)
                        for post, (_when, likes) in zip(posts, moments, strict=True)])
    browser = signed_in(editor)
    best = services.best_time(editor, workspace, channel.pk)["slots"][0]
    assert (best["weekday"], best["hour"]) == (1, 18)  # Tuesdays at 18:00 Moscow time

    browser.post(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/what-works/queue/")

    assert (1, time(18)) in {(s.weekday, s.time) for s in channel.queue_slots.all()}
    monday = datetime(2026, 12, 7, 9, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        draft = write_post(actor=editor, workspace=workspace, text="Осенний раф", channel_ids=[channel.pk])
        response = browser.post(f"/api/v1/workspaces/{workspace.slug}/posts/{draft.pk}/queue",
                                content_type="application/json")
    assert response.status_code in (200, 201), response.content
    job = PublishJob.objects.get(variant__post=draft)
    assert job.due_at == datetime(2026, 12, 8, 15, tzinfo=UTC)  # Monday 10:00 has passed: Tuesday, 18:00 in Moscow


def test_the_pages_open_in_russian(signed_in, owner, workspace, october):
    client = signed_in(owner, "ru")
    for page in (OCTOBER, f"channels/{october.pk}/{OCTOBER}", f"channels/{october.pk}/what-works/",
                 "how-computed/", "import/"):
        answer = client.get(f"/w/{workspace.slug}/analytics/{page}")
        assert answer.status_code == 200 and 'lang="ru"' in answer.content.decode(), page
