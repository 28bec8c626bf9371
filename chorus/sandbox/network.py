"""The sandbox network's server side: the calls a real network's HTTP API would answer, with injected faults.

Each call commits on its own, like a remote server would, independent of the caller's transaction.
"""

import random
import time
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from chorus.sandbox.models import SandboxAccount, SandboxFaults, SandboxPost


class SandboxRefused(Exception):
    """The server refused before creating anything (like an HTTP 5xx before processing)."""


class SandboxTimeout(Exception):
    """The server created the post but the answer never reached the caller."""


class SandboxTooManyRequests(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"429 Too Many Requests, retry after {retry_after}s")
        self.retry_after = retry_after


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
        raise SandboxTooManyRequests(faults.rate_limit_seconds)
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


def set_faults(account: SandboxAccount, **probabilities) -> SandboxFaults:
    for name, value in probabilities.items():
        if value is None:
            continue
        if name != "latency_ms" and name != "rate_limit_seconds" and not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability between 0 and 1, got {value}")
        setattr(account.faults, name, value)
    account.faults.save()
    return account.faults
