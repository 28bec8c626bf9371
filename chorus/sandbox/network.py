"""The sandbox network's server side: the calls a real network's HTTP API would answer, with injected faults.

Each call commits on its own, like a remote server would, independent of the caller's transaction.
"""

import random
import time
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chorus.sandbox.models import SandboxAccount, SandboxBan, SandboxComment, SandboxFaults, SandboxMessage, SandboxPost


class SandboxRefused(Exception):
    """The server refused before creating anything (like an HTTP 5xx before processing)."""


class SandboxTimeout(Exception):
    """The server created the post but the answer never reached the caller."""


class SandboxTooManyRequests(Exception):
    """429; `scope` "app" means the application's limit, shared by every page it posts to, ran out."""

    def __init__(self, retry_after: int, scope: str = "channel"):
        limit = "the application's rate limit" if scope == "app" else "Too Many Requests"
        super().__init__(f"429 {limit}, retry after {retry_after}s")
        self.retry_after = retry_after
        self.scope = scope


class SandboxUnauthorized(Exception):
    pass


class SandboxNotFound(Exception):
    pass


_chance = random.SystemRandom()


def open_account(name: str, *, seed: int = 0, followers: int = 1000,
                 created_at: datetime | None = None) -> SandboxAccount:
    account = SandboxAccount.objects.create(
        name=name, token=uuid.uuid4().hex, seed=seed, followers_at_start=followers,
        created_at=created_at or timezone.now(),
    )
    SandboxFaults.objects.create(account=account)
    return account


def authenticate(external_id: str, token: str) -> SandboxAccount:
    account = SandboxAccount.objects.select_related("faults").filter(external_id=external_id).first()
    if account is None or account.token != token:
        raise SandboxUnauthorized("401 invalid token")
    return account


def _apply_faults_before(account: SandboxAccount) -> SandboxFaults:
    faults = account.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    if faults.rate_limit and _chance.random() < faults.rate_limit:
        raise SandboxTooManyRequests(faults.rate_limit_seconds, faults.rate_limit_scope)
    if faults.error_before_send and _chance.random() < faults.error_before_send:
        raise SandboxRefused("503 Service Unavailable (injected before send)")
    return faults


def create_post(account: SandboxAccount, *, text: str, media_count: int, idempotency_key: str,
                at: datetime | None = None) -> SandboxPost:
    """Create a post; the same idempotency key returns the post already made instead of a second one."""
    faults = _apply_faults_before(account)
    dedupe = bool(idempotency_key) and faults.honour_idempotency_key
    post = account.posts.filter(idempotency_key=idempotency_key, deduplicated=True).first() if dedupe else None
    if post is None:
        try:
            with transaction.atomic():
                post = SandboxPost.objects.create(
                    account=account, remote_id=uuid.uuid4().hex[:16], text=text, media_count=media_count,
                    idempotency_key=idempotency_key, deduplicated=dedupe, created_at=at or timezone.now(),
                )
        except IntegrityError:  # a concurrent request with the same key won
            post = account.posts.get(idempotency_key=idempotency_key, deduplicated=True)
    if faults.timeout_after_send and _chance.random() < faults.timeout_after_send:
        raise SandboxTimeout("timed out waiting for the answer (injected after send)")
    return post


def recent_posts(account: SandboxAccount, since: datetime) -> list[SandboxPost]:
    _apply_faults_before(account)
    return list(account.posts.filter(created_at__gte=since - timedelta(minutes=1), deleted_at=None))


def edit_post(account: SandboxAccount, remote_id: str, text: str) -> SandboxPost:
    _apply_faults_before(account)
    updated = account.posts.filter(remote_id=remote_id, deleted_at=None).update(text=text, edited_at=timezone.now())
    if not updated:
        raise SandboxNotFound(remote_id)
    return account.posts.get(remote_id=remote_id)


def delete_post(account: SandboxAccount, remote_id: str) -> None:
    _apply_faults_before(account)
    if not account.posts.filter(remote_id=remote_id, deleted_at=None).update(deleted_at=timezone.now()):
        raise SandboxNotFound(remote_id)


def _after(rows, cursor: str, limit: int) -> list:
    """Rows changed after `cursor` ("<changed_at ISO>|<id>"), oldest change first; ties are broken by id."""
    if cursor:
        moment, _bar, last_id = cursor.partition("|")
        at = datetime.fromisoformat(moment)
        rows = rows.filter(Q(changed_at__gt=at) | Q(changed_at=at, pk__gt=int(last_id or 0)))
    return list(rows.order_by("changed_at", "pk")[:limit])


def cursor_after(row) -> str:
    return f"{row.changed_at.isoformat()}|{row.pk}"


def comments_changed(account: SandboxAccount, cursor: str, limit: int = 100) -> list[SandboxComment]:
    """Comments under the page's posts that appeared, changed or disappeared after `cursor`."""
    _apply_faults_before(account)
    rows = SandboxComment.objects.filter(post__account=account).select_related("post", "parent")
    return _after(rows, cursor, limit)


def messages_changed(account: SandboxAccount, cursor: str, limit: int = 100) -> list[SandboxMessage]:
    _apply_faults_before(account)
    return _after(account.messages.all(), cursor, limit)


def reply_to_comment(account: SandboxAccount, comment_remote_id: str, text: str,
                     idempotency_key: str, at: datetime | None = None) -> SandboxComment:
    """The page answers a comment under one of its posts (at `at` for the demo's past, else now); the same key
    gives back the answer already made."""
    _apply_faults_before(account)
    comment = SandboxComment.objects.filter(post__account=account, remote_id=comment_remote_id,
                                            deleted_at=None).select_related("post").first()
    if comment is None:
        raise SandboxNotFound(comment_remote_id)
    answer, _created = SandboxComment.objects.get_or_create(
        post=comment.post, idempotency_key=idempotency_key, from_page=True,
        defaults={"remote_id": uuid.uuid4().hex[:16], "parent": comment, "author_id": account.external_id,
                  "author_name": account.name, "text": text, "language": comment.language, "kind": "answer",
                  "created_at": at or timezone.now()})
    return answer


def send_message(account: SandboxAccount, author_id: str, text: str, idempotency_key: str,
                 at: datetime | None = None) -> SandboxMessage:
    """The page writes to a person who wrote to it before (a page cannot start a conversation); `at` as above."""
    _apply_faults_before(account)
    if not account.messages.filter(author_id=author_id, from_page=False).exists():
        raise SandboxNotFound(f"no conversation with {author_id}")
    answer, _created = SandboxMessage.objects.get_or_create(
        account=account, idempotency_key=idempotency_key, from_page=True,
        defaults={"remote_id": uuid.uuid4().hex[:16], "author_id": author_id, "author_name": account.name,
                  "text": text, "language": "", "kind": "answer", "created_at": at or timezone.now()})
    return answer


def hide_comment(account: SandboxAccount, remote_id: str) -> None:
    _apply_faults_before(account)
    comments = SandboxComment.objects.filter(post__account=account, remote_id=remote_id, deleted_at=None)
    if not comments.exists():
        raise SandboxNotFound(remote_id)
    comments.filter(hidden_at=None).update(hidden_at=timezone.now(), changed_at=timezone.now())


def unhide_comment(account: SandboxAccount, remote_id: str) -> None:
    """Show a hidden comment again; a deleted one stays deleted."""
    _apply_faults_before(account)
    comments = SandboxComment.objects.filter(post__account=account, remote_id=remote_id, deleted_at=None)
    if not comments.exists():
        raise SandboxNotFound(remote_id)
    comments.exclude(hidden_at=None).update(hidden_at=None, changed_at=timezone.now())


def delete_comment(account: SandboxAccount, remote_id: str) -> None:
    _apply_faults_before(account)
    if not SandboxComment.objects.filter(post__account=account, remote_id=remote_id, deleted_at=None).update(
            deleted_at=timezone.now(), changed_at=timezone.now()):
        raise SandboxNotFound(remote_id)


def ban_author(account: SandboxAccount, author_id: str) -> None:
    """Banned authors can no longer comment or write; what they wrote before stays until deleted."""
    _apply_faults_before(account)
    SandboxBan.objects.get_or_create(account=account, author_id=author_id)


def unban_author(account: SandboxAccount, author_id: str) -> None:
    """The author may comment and write again; unbanning someone not banned changes nothing."""
    _apply_faults_before(account)
    SandboxBan.objects.filter(account=account, author_id=author_id).delete()


def public_account(handle: str) -> SandboxAccount:
    """Any sandbox page is public: found by its id or its exact name."""
    account = (SandboxAccount.objects.select_related("faults").filter(external_id=handle).first()
               or SandboxAccount.objects.select_related("faults").filter(name=handle).first())
    if account is None:
        raise SandboxNotFound(handle)
    _apply_faults_before(account)
    return account


def set_faults(account: SandboxAccount, **probabilities) -> SandboxFaults:
    for name, value in probabilities.items():
        if value is None:
            continue
        if name == "rate_limit_scope" and value not in ("channel", "app"):
            raise ValueError(f"rate_limit_scope must be channel or app, got {value}")
        if name not in ("latency_ms", "rate_limit_seconds", "rate_limit_scope") and not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability between 0 and 1, got {value}")
        setattr(account.faults, name, value)
    account.faults.save()
    return account.faults
