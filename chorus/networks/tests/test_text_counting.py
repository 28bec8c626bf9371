"""An SMM manager writes one post for several networks; each counts it the way that network does (networks.md §1.1)."""

import pytest

from chorus.networks.text import (
    bluesky_facets,
    graphemes,
    measure_bluesky,
    measure_for,
    measure_mastodon,
    measure_telegram,
    measure_telegram_caption,
    measure_x,
    telegram_entities,
    utf8_bytes,
    utf16_units,
)

FAMILY = "👨‍👩‍👧‍👦"  # man, woman, girl, boy joined by three ZWJs


def test_a_zwj_family_is_one_character_to_a_reader_but_many_bytes_and_units():
    assert (graphemes(FAMILY), utf8_bytes(FAMILY), utf16_units(FAMILY), len(FAMILY)) == (1, 25, 11, 7)


# Bluesky: 300 graphemes and 3,000 UTF-8 bytes.

def test_bluesky_counts_a_family_emoji_as_one_and_cyrillic_letter_by_letter():
    measure = measure_bluesky(f"Привет {FAMILY}")
    assert (measure.length, measure.limit, measure.unit, measure.problems) == (8, 300, "grapheme", [])


def test_bluesky_post_of_301_characters_is_over_by_one_at_the_end():
    [problem] = measure_bluesky("я" * 301).problems
    assert (problem.code, problem.start, problem.end) == ("too_long", 300, 301)


def test_bluesky_refuses_accent_heavy_text_that_fits_in_graphemes_but_not_in_bytes():
    # Each letter carries five combining accents: one grapheme, 11 bytes. 273 of them pass 3,000 bytes.
    text = ("a" + "\u0301\u0300\u0302\u0303\u0308") * 300
    measure = measure_bluesky(text)
    assert measure.length == 300
    [problem] = measure.problems
    assert (problem.code, problem.start, problem.end) == ("too_many_bytes", 272, 300)


def test_bluesky_facets_point_at_utf8_bytes_of_links_tags_and_resolved_mentions():
    text = f"Привет {FAMILY} @alice.bsky.social и @nobody.example.com: https://example.com/путь #новости"
    facets = bluesky_facets(text, did_for={"alice.bsky.social": "did:plc:alice"}.get)
    encoded = text.encode("utf-8")

    def covered(facet):
        return encoded[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode("utf-8")

    assert [(covered(f), f["features"][0]) for f in facets] == [
        ("@alice.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}),
        ("https://example.com/путь", {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/путь"}),
        ("#новости", {"$type": "app.bsky.richtext.facet#tag", "tag": "новости"}),
    ]
    assert facets[0]["index"]["byteStart"] == len(f"Привет {FAMILY} ".encode())


# Mastodon: graphemes of CW + text; URL = characters_reserved_per_url; @user@domain = @user.

def test_mastodon_counts_any_url_with_a_scheme_as_23():
    long_link = "https://example.com/" + "a" * 200
    assert measure_mastodon(f"Читайте {long_link}").length == len("Читайте ") + 23
    assert measure_mastodon("http://a.io").length == 23


def test_mastodon_counts_a_link_without_a_scheme_as_written():
    assert measure_mastodon("example.com").length == 11


def test_mastodon_counts_a_remote_mention_as_the_local_part_only():
    assert measure_mastodon("Hi @Gargron@mastodon.social!").length == len("Hi @Gargron!")


def test_mastodon_counts_the_content_warning_and_reports_what_goes_over():
    measure = measure_mastodon("x" * 490, content_warning="Спойлеры!!!")
    assert measure.length == 501
    [problem] = measure.problems
    assert (problem.code, problem.start, problem.end) == ("too_long", 500, 501)


def test_mastodon_instance_with_its_own_limit_and_url_reservation():
    measure = measure_mastodon(f"{FAMILY} https://example.com", limit=1000, url_length=40)
    assert (measure.length, measure.limit, measure.problems) == (1 + 1 + 40, 1000, [])


# Telegram: 4,096 / 1,024 code points of the visible text; entities in UTF-16 units.

def test_telegram_counts_what_the_reader_sees_not_the_html():
    html = '<b>Привет</b> &amp; <a href="https://example.com">мир</a>'
    measure = measure_telegram(html)
    assert (measure.length, measure.limit, measure.unit) == (len("Привет & мир"), 4096, "codepoint")


def test_telegram_entity_offsets_count_an_emoji_as_two_utf16_units():
    text, entities = telegram_entities('<b>👍</b> <i>ok</i> <a href="https://example.com">ссылка</a>')
    assert text == "👍 ok ссылка"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 6, "length": 6, "url": "https://example.com"},
    ]


def test_telegram_message_full_of_formatting_still_fits_when_the_visible_text_does():
    html = "<b>й</b>" * 4096
    assert measure_telegram(html).problems == []
    assert measure_telegram(html, html=False).length == len(html)


def test_telegram_caption_is_over_at_1025():
    [problem] = measure_telegram_caption("<i>" + "я" * 1025 + "</i>").problems
    assert (problem.code, problem.start, problem.end) == ("too_long", 1024, 1025)


# X and the networks that count plainly.

def test_x_counts_cyrillic_as_one_cjk_and_emoji_as_two_and_a_url_as_23():
    measure = measure_x(f"Привет 日本 {FAMILY} example.com")
    assert (measure.length, measure.unit) == (7 + 4 + 1 + 2 + 1 + 23, "weighted")


def test_x_post_over_280_reports_the_weighted_range_past_the_limit():
    [problem] = measure_x("日" * 141).problems
    assert (problem.code, problem.start, problem.end) == ("too_long", 280, 282)


@pytest.mark.parametrize("network", ["x", "bluesky", "mastodon", "telegram", "sandbox"])
def test_an_empty_post_is_refused_everywhere(network):
    assert [p.code for p in measure_for(network, "  ").problems] == ["empty"]


def test_sandbox_counts_by_its_declared_rule_and_shows_the_fold():
    measure = measure_for("sandbox", "я" * 300)
    assert (measure.length, measure.limit, measure.preview_fold) == (300, 4000, 280)
    assert measure_for("sandbox", "я" * 300, limit=200).problems[0].start == 200
