"""An analyst loads a real page's 2014 history (the UCI Facebook metrics file) and reads what worked: every
breakdown matches what plain Python computes from the same CSV, both averaging methods."""

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from chorus.analytics.models import AccountSnapshot, PublishedPost
from chorus.home import PROJECT_DIR

DATASET = PROJECT_DIR.parent / "shared" / "datasets" / "facebook-metrics" / "dataset_Facebook.csv"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def chorus_json(*args):
    out = io.StringIO()
    call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def rows():
    """The file as the csv module reads it, each row with its line number (header = line 1)."""
    with DATASET.open(newline="", encoding="utf-8") as handle:
        return [(line, row) for line, row in enumerate(csv.DictReader(handle), 2)]


@pytest.fixture
def imported(workspace, channel):
    return chorus_json("import", "history", "--workspace", workspace.slug, "--channel", str(channel.pk),
                       "--format", "facebook-insights", str(DATASET))


def expected(rows, key_of, denominator_column):
    """{cell: (n, mean of per-post rates, pooled rate)} of Total Interactions / the column, in %."""
    cells = defaultdict(list)
    for _line, row in rows:
        cells[key_of(row)].append((int(row["Total Interactions"]), int(row[denominator_column])))
    return {key: (len(pairs), sum(t / d * 100 for t, d in pairs) / len(pairs),
                  sum(t for t, _d in pairs) / sum(d for _t, d in pairs) * 100)
            for key, pairs in cells.items()}


def breakdown(channel, by, metric, average):
    answer = chorus_json("analytics", "breakdown", "--channel", str(channel.pk), "--by", by, "--metric", metric,
                         "--average", average)
    return {row["key"]: (row["n"], row["value"]) for row in answer["rows"]}


def paid_flag(row):
    return {"1": "paid", "0": "organic", "": "unknown"}[row["Paid"]]


@pytest.mark.parametrize("by, key_of", [
    ("type", lambda row: row["Type"].lower()),
    ("paid", paid_flag),
    ("weekday", lambda row: WEEKDAYS[int(row["Post Weekday"]) - 1]),
    ("hour", lambda row: int(row["Post Hour"])),
])
@pytest.mark.parametrize("metric, column", [("er-reach", "Lifetime Post Total Reach"),
                                            ("er-followers", "Page total likes")])
def test_breakdowns_of_the_facebook_page_match_plain_python(imported, channel, rows, by, key_of, metric, column):
    truth = expected(rows, key_of, column)
    per_post = breakdown(channel, by, metric, "per-post")
    pooled = breakdown(channel, by, metric, "pooled")
    assert set(per_post) == set(truth) == set(pooled)
    for key, (n, mean_rate, pooled_rate) in truth.items():
        assert per_post[key][0] == n == pooled[key][0]
        assert per_post[key][1] == pytest.approx(mean_rate, rel=1e-9)
        assert pooled[key][1] == pytest.approx(pooled_rate, rel=1e-9)


def test_the_import_places_each_post_on_a_2014_day_it_could_have_been_and_says_the_date_is_approximate(
        imported, workspace, channel, rows):
    assert imported["imported"] == len(rows) == 500 and imported["skipped"] == 0 and imported["errors"] == []
    zone = ZoneInfo(workspace.timezone)
    posts = PublishedPost.objects.filter(channel=channel)
    assert posts.count() == 500 and all(p.date_is_approximate for p in posts)
    placed = sorted(p.published_at.astimezone(zone) for p in posts)
    wanted = sorted((int(r["Post Month"]), int(r["Post Weekday"]) - 1, int(r["Post Hour"])) for _l, r in rows)
    assert sorted((t.month, t.weekday(), t.hour) for t in placed) == wanted
    assert {t.year for t in placed} == {2014}
    # Each post keeps the page's fans the file gives for it: the denominator at post time, not today's.
    assert sorted(p.followers_at_post for p in posts) == sorted(int(r["Page total likes"]) for _l, r in rows)
    assert AccountSnapshot.objects.filter(channel=channel).count() == len({p.published_at for p in posts})


def test_the_empty_cells_are_warnings_with_their_lines_and_stay_missing(imported, channel, rows):
    empty = sorted((line, column) for line, row in rows for column in ("Paid", "like", "share") if row[column] == "")
    # The README's "5 missing cells" are 6 cells on 5 rows (Paid 1, like 1, share 4; like and share share a row).
    assert len({line for line, _c in empty}) == 5
    assert sorted(w["line"] for w in imported["warnings"]) == [line for line, _c in empty]
    for line, column in empty:
        assert any(w["line"] == line and column in w["message"] for w in imported["warnings"])
    no_like = next(row for _line, row in rows if row["like"] == "")
    post = PublishedPost.objects.get(channel=channel, reach=int(no_like["Lifetime Post Total Reach"]),
                                     views=int(no_like["Lifetime Post Total Impressions"]))
    assert post.likes is None and post.interactions == int(no_like["Total Interactions"])


def test_importing_the_same_file_again_adds_nothing(imported, workspace, channel):
    again = chorus_json("import", "history", "--workspace", workspace.slug, "--channel", str(channel.pk),
                        "--format", "facebook-insights", str(DATASET))
    assert again["imported"] == 0 and again["updated"] == 0 and again["skipped"] == 500
    assert PublishedPost.objects.filter(channel=channel).count() == 500


def test_best_time_card_names_slots_with_their_posts_behind_them(imported, channel, rows):
    card = chorus_json("analytics", "best-time", "--channel", str(channel.pk), "--days", "366")
    assert card["metric"] == "er-reach" and card["posts"] == 500 and len(card["slots"]) == 3
    counts = defaultdict(int)
    for _line, row in rows:
        counts[(int(row["Post Weekday"]) - 1, int(row["Post Hour"]))] += 1
    for slot in card["slots"]:
        assert slot["n"] == counts[(slot["weekday"], slot["hour"])]
        assert slot["sure"] in ("high", "medium", "low")
    values = [s["value"] for s in card["slots"]]
    assert values == sorted(values, reverse=True)


def test_a_dashboard_over_the_imported_year_adds_up_to_the_file(imported, workspace, channel, rows):
    board = chorus_json("analytics", "dashboard", "--workspace", workspace.slug, "--channel", str(channel.pk),
                        "--from", "2014-01-01", "--to", "2014-12-31")
    figures = board["figures"]
    assert figures["posts"]["current"]["value"] == 500
    assert figures["reach"]["current"]["value"] == sum(int(r["Lifetime Post Total Reach"]) for _l, r in rows)
    assert figures["interactions"]["current"]["value"] == sum(int(r["Total Interactions"]) for _l, r in rows)
    assert figures["followers"]["current"]["value"] == max(int(r["Page total likes"]) for _l, r in rows)
    assert figures["new-followers"]["current"]["value"] is None  # not given by the network: missing, not 0
    assert figures["posts"]["previous"]["value"] == 0
    top = board["top_posts"][0]["figure"]
    assert board["ranked_by"] == "er-reach" and top["value"] == max(
        int(r["Total Interactions"]) / int(r["Lifetime Post Total Reach"]) * 100 for _l, r in rows)
    assert datetime.fromisoformat(board["period"]["first"]).year == 2014


def test_an_analyst_reads_the_same_heatmap_over_the_api(imported, workspace, channel, team, signed_in):
    client = signed_in(team["analyst"])
    response = client.get(f"/api/v1/workspaces/{workspace.slug}/channels/{channel.pk}/breakdown",
                          {"by": "hour-weekday", "metric": "er-followers", "average": "pooled"})
    assert response.status_code == 200
    cli = chorus_json("analytics", "breakdown", "--channel", str(channel.pk), "--by", "hour-weekday",
                      "--metric", "er-followers", "--average", "pooled")
    assert response.json() == cli
    assert sum(row["n"] for row in cli["rows"]) == 500 and cli["shrinkage_k"] >= 1
