"""Who follows, who came and who left: an owner reads the new and lost followers of a sandbox channel and who its
followers are, exports them, and sees a network that gives neither say so instead of showing zeros."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from chorus.analytics import services
from chorus.analytics.collection import collect_channel
from chorus.analytics.exports import shown
from chorus.analytics.store import AccountReading, store
from chorus.analytics.tests.test_facebook_history import chorus_json
from chorus.analytics.tests.test_pages import as_in_files, change_text, json_of, row_of, tables_of
from chorus.channels.models import Channel
from chorus.sandbox import audience
from chorus.sandbox.models import SandboxAccount, SandboxAudienceDay, SandboxFollowerDay

FIRST, LAST = date(2026, 10, 8), date(2026, 10, 14)  # a week, against 1–7 October
WEEK = f"?period=custom&from={FIRST}&to={LAST}"


def collect_days(channel, first: date, last: date) -> SandboxAccount:
    """Chorus collects the channel at noon every day from `first` to `last`, the sandbox's day written first."""
    account = SandboxAccount.objects.get(external_id=channel.external_id)
    day = first
    while day <= last:
        audience.record_follower_days(account, day)
        collect_channel(channel, datetime.combine(day, time(12), UTC))
        day += timedelta(days=1)
    return account


@pytest.fixture
def sandbox_weeks(channel):
    """The coffee channel's sandbox page has existed since September; Chorus collected it 1–14 October."""
    SandboxAccount.objects.filter(external_id=channel.external_id).update(
        created_at=datetime(2026, 9, 1, tzinfo=UTC), seed=7, followers_at_start=4000)
    return collect_days(channel, date(2026, 10, 1), LAST)


@pytest.fixture
def telegram(workspace):
    """A channel on a network that gives its follower count and nothing about who they are or who left."""
    channel = Channel.objects.create(workspace=workspace, network="telegram", name="Coffee TG",
                                     external_id="@coffee")
    store.ingest_accounts([AccountReading(channel.pk, datetime(2026, 10, day, 12, tzinfo=UTC), followers=count)
                           for day, count in ((1, 500), (7, 510), (14, 530))])
    return channel


def change_of(now: int, then: int) -> float:
    return (now - then) / then * 100


def sandbox_sums(account, first: date, last: date) -> tuple[int, int]:
    days = SandboxFollowerDay.objects.filter(account=account, day__gte=first, day__lte=last)
    return sum(d.joined for d in days), sum(d.left for d in days)


def test_an_owner_sees_the_new_and_lost_followers_the_sandbox_audience_brought(
        signed_in, owner, workspace, channel, sandbox_weeks):
    joined, left = sandbox_sums(sandbox_weeks, FIRST, LAST)
    joined_before, left_before = sandbox_sums(sandbox_weeks, date(2026, 10, 1), date(2026, 10, 7))
    assert joined and left and (joined, left) != (joined_before, left_before)

    board = services.channel_dashboard(owner, workspace, channel.pk, FIRST, LAST)
    new, lost = board["figures"]["new-followers"], board["figures"]["lost-followers"]
    assert (new["current"]["value"], lost["current"]["value"]) == (joined, left)
    assert (new["previous"]["value"], lost["previous"]["value"]) == (joined_before, left_before)
    assert new["current"]["n"] == 7 and new["change"] == change_of(joined, joined_before)

    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/{WEEK}").content.decode()
    followers = tables_of(page)["audience"]
    assert row_of(followers, "New followers")[1:] == [str(joined), str(joined_before),
                                                      change_text(change_of(joined, joined_before), "%")]
    assert row_of(followers, "Lost followers")[1:3] == [str(left), str(left_before)]
    chart = json_of(page, "analytics-series")
    assert sum(chart["gained"]) == joined and sum(chart["lost"]) == left


def test_collecting_a_day_again_does_not_count_its_followers_twice(owner, workspace, channel, sandbox_weeks):
    collect_channel(channel, datetime.combine(LAST, time(18), UTC))  # the same sandbox day, read once more
    joined, _left = sandbox_sums(sandbox_weeks, FIRST, LAST)
    board = services.channel_dashboard(owner, workspace, channel.pk, FIRST, LAST)
    assert board["figures"]["new-followers"]["current"]["value"] == joined


def test_the_audience_section_shows_the_sandboxs_shares(signed_in, owner, workspace, channel, sandbox_weeks):
    breakdown = SandboxAudienceDay.objects.get(account=sandbox_weeks, day=LAST).breakdown
    assert set(breakdown) == {"gender", "age", "country", "city"}
    assert sum(breakdown["age"].values()) == SandboxFollowerDay.objects.get(account=sandbox_weeks, day=LAST).followers
    assert "London" in breakdown["city"]  # a page named in English draws an English-speaking audience
    week_before = SandboxAudienceDay.objects.get(account=sandbox_weeks, day=FIRST - timedelta(days=1)).breakdown
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/{WEEK}").content.decode()
    assert "against the latest count of the previous period, on Oct. 7, 2026" in page
    tables = tables_of(page)
    for dimension, counts in breakdown.items():
        total, earlier = sum(counts.values()), week_before[dimension]
        shown_rows = {row[0]: row[1:] for row in tables[f"audience-{dimension}"]}
        label = {"female": "women", "male": "men"}
        assert shown_rows == {label.get(bucket, bucket): [
            str(count), f"{shown(count / total * 100)} %",
            change_text((count / total - earlier[bucket] / sum(earlier.values())) * 100 if bucket in earlier
                        else None, "pp")]
            for bucket, count in counts.items()}, dimension
    ages = [row[0] for row in tables["audience-age"]]
    assert ages == ["13-17", "18-24", "25-34", "35-44", "45-54", "55+"]
    cities = [int(row[1]) for row in tables["audience-city"]]
    assert cities == sorted(cities, reverse=True)
    chart = json_of(page, "analytics-audience")
    assert [d["id"] for d in chart["dimensions"]] == ["gender", "age", "country", "city"]
    assert 'id="chart-audience-city"' in page


def test_the_first_week_collected_has_no_change_to_show(signed_in, owner, workspace, channel, sandbox_weeks):
    first_week = "?period=custom&from=2026-10-01&to=2026-10-07"
    board = services.channel_dashboard(owner, workspace, channel.pk, date(2026, 10, 1), date(2026, 10, 7))
    assert board["audience"]["previous_as_of"] is None
    assert {line["change"] for lines in board["audience"]["dimensions"].values() for line in lines} == {None}
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{channel.pk}/{first_week}").content.decode()
    assert "against the latest count of the previous period" not in page
    assert {row[3] for row in tables_of(page)["audience-gender"]} == {"—"}
    assert "no audience in the previous period" in page


def test_a_channel_connected_this_week_does_not_pass_for_a_change_in_the_audience(owner, workspace, channel,
                                                                                 sandbox_weeks, second_channel):
    SandboxAccount.objects.filter(external_id=second_channel.external_id).update(
        created_at=datetime(2026, 9, 1, tzinfo=UTC), seed=8, followers_at_start=1500)
    collect_days(second_channel, FIRST, LAST)
    board = services.workspace_dashboard(owner, workspace, FIRST, LAST)
    audience_now = board["audience"]
    assert audience_now["channels"] == 2 and audience_now["previous_as_of"] is None
    assert audience_now["previous_missing"] == "the previous period's audience is of other channels"
    assert {line["change"] for lines in audience_now["dimensions"].values() for line in lines} == {None}
    alone = services.channel_dashboard(owner, workspace, channel.pk, FIRST, LAST)["audience"]
    assert alone["previous_missing"] == "" and alone["dimensions"]["gender"][0]["change"] is not None


def test_the_sandbox_audience_changes_slowly_and_is_the_same_when_replayed(channel, sandbox_weeks):
    days = {d.day: d.breakdown for d in SandboxAudienceDay.objects.filter(account=sandbox_weeks)}
    followers = dict(SandboxFollowerDay.objects.filter(account=sandbox_weeks).values_list("day", "followers"))
    today, yesterday = days[LAST], days[LAST - timedelta(days=1)]
    for dimension in today:
        for bucket in today[dimension]:
            now = today[dimension][bucket] / followers[LAST]
            then = yesterday[dimension][bucket] / followers[LAST - timedelta(days=1)]
            assert abs(now - then) < 0.01, (dimension, bucket)
    assert days[LAST] != days[date(2026, 9, 1)]  # but it does move over the months
    assert audience.audience_of(sandbox_weeks, LAST, followers[LAST]) == today
    sandbox_weeks.name = "Кофейня на Мясницкой"
    assert "Москва" in audience.audience_of(sandbox_weeks, LAST, followers[LAST])["city"]


def test_a_network_without_demographics_says_so_instead_of_zeros(signed_in, owner, workspace, telegram):
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/channels/{telegram.pk}/{WEEK}").content.decode()
    new_followers = page.split('<span class="value">New followers</span>')[1].split("</tr>")[0]
    assert new_followers.count("not given by the network") == 2
    assert row_of(tables_of(page)["audience"], "Lost followers")[1:] == ["—", "—", "—"]
    section = page.split('data-section="audience"')[1].split("</section>")[0]
    assert "not given by the network" in section and 'data-table="audience-' not in section
    board = chorus_json("analytics", "dashboard", "--workspace", workspace.slug, "--channel", str(telegram.pk),
                        "--from", str(FIRST), "--to", str(LAST))
    assert board["figures"]["lost-followers"]["current"]["value"] is None
    assert board["figures"]["lost-followers"]["current"]["missing"] == "not given by the network"
    assert board["audience"]["dimensions"] == {} and board["audience"]["missing"] == "not given by the network"
    out = io.StringIO()
    call_command("analytics", "dashboard", "--workspace", workspace.slug, "--channel", str(telegram.pk),
                 "--from", str(FIRST), "--to", str(LAST), stdout=out)
    assert "Audience: not given by the network" in out.getvalue()


def test_the_workspace_counts_new_followers_of_the_channels_whose_network_gives_them(
        signed_in, owner, workspace, channel, sandbox_weeks, telegram):
    joined, _left = sandbox_sums(sandbox_weeks, FIRST, LAST)
    response = signed_in(owner).get(f"/api/v1/workspaces/{workspace.slug}/analytics/dashboard",
                                    {"first": FIRST, "last": LAST})
    board = response.json()
    new = board["figures"]["new-followers"]["current"]
    assert new["value"] == joined
    assert new["inputs"] == {"channels whose network gives it": 1, "channels": 2}
    assert board["audience"]["channels"] == 1 and board["audience"]["of"] == 2
    lines = {line["name"]: line for line in board["channels"]}
    assert lines["Coffee TG"]["values"]["new-followers"] is None
    assert lines["Coffee TG"]["missing"]["new-followers"] == "not given by the network"
    page = signed_in(owner).get(f"/w/{workspace.slug}/analytics/{WEEK}").content.decode()
    assert row_of(tables_of(page)["channels"], "Coffee TG")[3] == "—"


def test_a_sandbox_channel_collected_before_the_period_has_no_audience_in_it(signed_in, owner, workspace, channel,
                                                                           sandbox_weeks):
    board = services.channel_dashboard(owner, workspace, channel.pk, date(2026, 11, 1), date(2026, 11, 7))
    assert board["audience"]["dimensions"] == {}
    assert board["audience"]["missing"] == "the network gave no audience in this period"
    assert board["figures"]["new-followers"]["current"]["value"] is None
    assert board["figures"]["new-followers"]["current"]["missing"] == "the network counted no day of this period"


def test_the_audience_table_exports_as_shown(signed_in, owner, workspace, channel, sandbox_weeks):
    client = signed_in(owner)
    url = f"/w/{workspace.slug}/analytics/channels/{channel.pk}/{WEEK}"
    on_page = [[as_in_files(v) for v in row]
               for row in tables_of(client.get(url).content.decode())["audience-city"]]
    export = client.get(f"{url}&table=audience-city&export=csv")
    assert export["Content-Type"].startswith("text/csv")
    assert f"{channel.pk}-{FIRST}-{LAST}-audience-city.csv" in export["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["City", "Followers", "Share, %", "Change, pp"] and rows[1:] == on_page


def test_city_names_from_the_network_are_text_on_the_page_and_in_the_files(signed_in, owner, workspace, channel,
                                                                         sandbox_weeks):
    day = SandboxAudienceDay.objects.get(account=sandbox_weeks, day=LAST)
    day.breakdown["city"] = {'<script>alert("city")</script>': 300, '=HYPERLINK("http://evil.example","x")': 200}
    day.save()
    collect_channel(channel, datetime.combine(LAST, time(20), UTC))
    client = signed_in(owner)
    url = f"/w/{workspace.slug}/analytics/channels/{channel.pk}/{WEEK}"
    page = client.get(url).content.decode()
    assert '<script>alert("city")' not in page
    assert "&lt;script&gt;alert(&quot;city&quot;)&lt;/script&gt;" in page
    assert "\\u003Cscript\\u003Ealert" in page  # inside the charts' JSON too
    assert json_of(page, "analytics-audience")["dimensions"][3]["buckets"][0] == '<script>alert("city")</script>'
    rows = list(csv.reader(io.StringIO(client.get(f"{url}&table=audience-city&export=csv").content.decode(
        "utf-8-sig"))))
    assert rows[2][0] == '\'=HYPERLINK("http://evil.example","x")'
