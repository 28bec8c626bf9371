"""Each channel's ingest turn (`IngestTurn`): where the inbox's reading of it stands, and since when it watches it,
which says what is the channel's history. Rules and ingestion both ask; neither imports the other for it."""

from datetime import datetime, timedelta

from django.utils import timezone

from chorus.channels.models import Channel
from chorus.inbox.models import IngestTurn

# What was written more than this before the inbox first read a channel is its history: shown, labelled and
# cleaned by rules, but it has no response target and no rule answers or alerts about it. A new channel's
# months of old comments must not all be "overdue" at once, nor get a saved reply today.
HISTORY = timedelta(days=1)


def turn_of(channel: Channel) -> IngestTurn:
    return IngestTurn.objects.get_or_create(channel=channel, defaults={"due_at": timezone.now()})[0]


def history_before(channel: Channel) -> datetime:
    """Items of the channel written before this instant are its history (see HISTORY)."""
    return turn_of(channel).watching_since - HISTORY
