"""An operator checks a text from the shell: `chorus measure` and `chorus networks`."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chorus.networks.registry import CONNECTORS


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_measure_prints_the_x_count_as_json():
    document = json.loads(run("measure", "--network", "x", "--json", "Привет 日本 https://example.com/очень-длинный"))
    assert document == {
        "network": "x", "length": 7 + 4 + 1 + 23, "limit": 280, "unit": "weighted", "unit_label": "weighted characters",
        "remaining": 280 - 35, "valid": True, "over": [], "problems": [], "preview_fold": None,
    }


def test_measure_shows_where_a_bluesky_post_goes_over_and_exits_non_zero():
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("measure", "--network", "bluesky", "--json", "я" * 310, stdout=out)
    document = json.loads(out.getvalue())
    assert (document["length"], document["valid"], document["over"]) == (310, False, [{"start": 300, "end": 310}])
    assert document["problems"][0]["code"] == "too_long"


def test_measure_takes_an_instance_limit_for_mastodon():
    document = json.loads(run("measure", "--network", "mastodon", "--limit", "1000", "--json", "a" * 600))
    assert (document["limit"], document["valid"], document["unit"]) == (1000, True, "grapheme")


def test_measure_reads_a_telegram_caption_as_the_reader_sees_it():
    document = json.loads(run("measure", "--network", "telegram-caption", "--json", "<b>жирный</b> &lt;3"))
    assert (document["length"], document["limit"]) == (len("жирный <3"), 1024)


def test_measure_in_words_names_the_unit_and_the_fold():
    text = run("measure", "--network", "sandbox", "я" * 300)
    assert text.splitlines() == ["300 of 4000 characters", 'The feed shows the first 280 before "Show more".']


def test_measure_refuses_an_unknown_network():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("measure", "--network", "myspace", "hello")


def test_networks_lists_every_registered_connector_with_its_capabilities():
    networks = json.loads(run("networks", "--json"))
    assert [n["network"] for n in networks] == sorted(CONNECTORS)
    sandbox = next(n for n in networks if n["network"] == "sandbox")
    assert sandbox["sandbox"] is True
    assert sandbox["capabilities"] == json.loads(json.dumps(CONNECTORS["sandbox"].capabilities.as_dict()))


def test_networks_declares_native_deferred_posting_where_the_network_has_it():
    """VK's wall.post publish_date and Mastodon's scheduled_at; Telegram's Bot API and X have none. Chorus declares
    it and still sends from its own outbox (docs/decisions.md)."""
    declared = {n["network"]: n["capabilities"]["native_scheduling"] for n in json.loads(run("networks", "--json"))}
    assert (declared["vk"], declared["mastodon"]) == (True, True)
    assert (declared["telegram"], declared["x"], declared["bluesky"]) == (False, False, False)
    assert "native_scheduling" in run("networks").splitlines()[sorted(CONNECTORS).index("vk")]


def test_an_operator_reads_each_networks_video_rule_from_the_shell():
    networks = {n["network"]: n["capabilities"]["video"] for n in json.loads(run("networks", "--json"))}
    assert networks["bluesky"] == {"max_count": 1, "max_bytes": 100_000_000, "max_seconds": 180,
                                   "formats": ["video/mp4"], "with_images": False}
    assert networks["telegram"]["max_bytes"] == 50 * 2**20 and networks["telegram"]["with_images"] is True
    assert all(networks.values())  # every network here takes video through its API
    lines = {line.split()[0]: line for line in run("networks").splitlines()}
    assert "video: 1 of 95 MB, up to 180 s, mp4" in lines["bluesky"]
    assert "video: 10 of 50 MB, any length, mp4, with images" in lines["telegram"]
