
import pytest


@pytest.fixture
def moderator(team):
    return team["moderator"]


@pytest.fixture
def lively_channel(channel, busy_page):
    """The coffee page with a day of comments and messages on the network, not yet read by the inbox."""
    return channel
