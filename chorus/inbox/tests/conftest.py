"""The coffee page's inbox scene: its moderator, a post of the page, and comments written under it."""

from datetime import datetime

import pytest
from django.utils import timezone

from chorus.inbox import ingestion
from chorus.inbox.models import InboxItem
from chorus.networks.base import Conversation
from chorus.sandbox.models import SandboxComment
from chorus.sandbox.network import create_post


@pytest.fixture
def moderator(team):
    return team["moderator"]


@pytest.fixture
def lively_channel(channel, busy_page):
    """The coffee page with a day of comments and messages on the network, not yet read by the inbox."""
    return channel


@pytest.fixture
def page_post(channel):
    """A post on the coffee page for comments to arrive under."""
    account = channel.connector._account()
    return create_post(account, text="Новый раф с лавандой ☕", media_count=0, idempotency_key="raf")


def comment_on(channel, post, number: int, author: str, text: str, labels: dict | None = None,
               written: datetime | None = None) -> InboxItem:
    """A comment written on the network (now, unless said), then read by the inbox with the labels the classifier
    gave it."""
    written = written or timezone.now()
    SandboxComment.objects.create(post=post, remote_id=f"rc{number}", author_id=f"a-{author}", author_name=author,
                                  text=text, language="ru", kind="test", created_at=written)
    [item] = ingestion.record_conversations(channel, [Conversation(
        "comment", f"rc{number}", f"a-{author}", author, text, written, post_remote_id=post.remote_id)])
    InboxItem.objects.filter(pk=item.pk).update(labels=labels or {})
    item.refresh_from_db()
    return item
