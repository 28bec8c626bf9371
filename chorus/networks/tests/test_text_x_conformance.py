"""X's counter against twitter-text's own conformance suite, read from ../shared (never copied here).

validate.yml: every case, with the config twitter-text's conformance runner uses for its section: v2 for
WeightedTweetsCounterTest, v3 for the emoji and directional-marker counters, and the legacy 140-character v1
for the old `tweets` validity section (js/test/conformance.html calls isValidTweetText with configs.version1).
extract.yml: the URL, hashtag and mention sections, since the counter and Mastodon's URL rule stand on them.
"""

import json
from pathlib import Path

import pytest

from chorus.networks.text import (
    TwitterTextConfig,
    utf16_units,
    x_hashtags,
    x_is_valid_hashtag,
    x_is_valid_list,
    x_is_valid_url,
    x_is_valid_username,
    x_mentions,
    x_urls,
    x_weighted_length,
)

SUITE = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata" / "twitter-text"
V1 = TwitterTextConfig(max_weighted_length=140, scale=1, default_weight=1, emoji_parsing=False, ranges=())


def cases(file: str) -> list:
    if not (SUITE / file).exists():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"{SUITE / file} is absent"))]
    import yaml

    tests = yaml.safe_load((SUITE / file).read_text(encoding="utf-8"))["tests"]
    return [pytest.param(section, case, id=f"{section}-{number}-{case['description']}")
            for section, section_cases in tests.items() for number, case in enumerate(section_cases)]


def config(version: int) -> TwitterTextConfig:
    return TwitterTextConfig.from_json(json.loads((SUITE / f"config-v{version}.json").read_text()))


def parse_tweet(text: str, config: TwitterTextConfig) -> dict:
    result = x_weighted_length(text, config)
    return {"weightedLength": result.weighted_length, "valid": result.valid, "permillage": result.permillage,
            "displayRangeStart": result.display_range_start, "displayRangeEnd": result.display_range_end,
            "validRangeStart": result.valid_range_start, "validRangeEnd": result.valid_range_end}


VALIDATORS = {
    "tweets": lambda text: x_weighted_length(text, V1).valid,
    "usernames": x_is_valid_username,
    "lists": x_is_valid_list,
    "hashtags": x_is_valid_hashtag,
    "urls": x_is_valid_url,
    "urls_without_protocol": lambda text: x_is_valid_url(text, require_protocol=False),
    "WeightedTweetsCounterTest": lambda text: parse_tweet(text, config(2)),
    "WeightedTweetsWithDiscountedEmojiCounterTest": lambda text: parse_tweet(text, config(3)),
    "UnicodeDirectionalMarkerCounterTest": lambda text: parse_tweet(text, config(3)),
}


@pytest.mark.parametrize(("section", "case"), cases("validate.yml"))
def test_validate_yml(section, case):
    assert VALIDATORS[section](case["text"]) == case["expected"], case["description"]


def urls_with_utf16_indices(text: str) -> list[dict]:
    return [{"url": text[start:end], "indices": [utf16_units(text[:start]), utf16_units(text[:end])]}
            for start, end in x_urls(text)]


EXTRACTORS = {
    "urls": lambda text: [text[start:end] for start, end in x_urls(text)],
    "tco_urls_with_params": lambda text: [text[start:end] for start, end in x_urls(text)],
    "urls_with_indices": urls_with_utf16_indices,
    "urls_with_directional_markers": urls_with_utf16_indices,
    "hashtags": x_hashtags,
    "hashtags_from_astral": x_hashtags,
    "hashtags_with_indices": lambda text: [{"hashtag": tag} for tag in x_hashtags(text)],
    "mentions": x_mentions,
}


@pytest.mark.parametrize(("section", "case"), [c for c in cases("extract.yml") if c.values[0] in EXTRACTORS
                                               or c.values[0] is None])
def test_extract_yml(section, case):
    expected = case["expected"]
    if section == "hashtags_with_indices":
        expected = [{"hashtag": tag["hashtag"]} for tag in expected]
    assert EXTRACTORS[section](case["text"]) == expected, case["description"]


def test_the_configs_in_the_suite_are_the_ones_the_counter_ships_with():
    if not SUITE.exists():
        pytest.skip(f"{SUITE} is absent")
    from chorus.networks.text import V2, V3

    assert (config(2), config(3)) == (V2, V3)
