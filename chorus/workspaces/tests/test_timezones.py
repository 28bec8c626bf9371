"""A manager in Moscow or London schedules by the wall clock; the outbox stores the right UTC instant."""

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from chorus.workspaces.timezones import local_to_utc, parse_when

NOW = datetime.fromisoformat("2026-11-22T08:00:00+00:00")


def test_ten_oclock_in_moscow_is_seven_utc():
    instant, warnings = local_to_utc(datetime(2026, 12, 1, 10, 0), "Europe/Moscow")
    assert instant.isoformat() == "2026-12-01T07:00:00+00:00"
    assert warnings == []


def test_a_time_the_clocks_skip_is_refused_with_a_clear_reason():
    with pytest.raises(ValidationError) as refused:
        local_to_utc(datetime(2027, 3, 28, 1, 30), "Europe/London")
    message = refused.value.messages[0]
    assert "01:30 does not exist on 2027-03-28 in Europe/London" in message


def test_a_time_the_clocks_repeat_takes_the_first_and_says_so():
    instant, warnings = local_to_utc(datetime(2027, 10, 31, 1, 30), "Europe/London")
    assert instant.isoformat() == "2027-10-31T00:30:00+00:00"  # still BST (UTC+1) the first time round
    assert len(warnings) == 1 and "happens twice" in warnings[0]


def test_summer_and_winter_times_in_london_differ_by_the_offset():
    summer, _ = local_to_utc(datetime(2027, 7, 1, 10, 0), "Europe/London")
    winter, _ = local_to_utc(datetime(2027, 1, 1, 10, 0), "Europe/London")
    assert (summer.hour, winter.hour) == (9, 10)


def test_an_offset_in_the_input_wins_over_the_workspace_zone():
    instant, _ = parse_when("2026-12-01T10:00:00+05:00", "Europe/Moscow", NOW)
    assert instant.isoformat() == "2026-12-01T05:00:00+00:00"


def test_now_and_garbage():
    assert parse_when("now", "Europe/Moscow", NOW) == (NOW, [])
    with pytest.raises(ValidationError, match="ISO-8601"):
        parse_when("next tuesday", "Europe/Moscow", NOW)
