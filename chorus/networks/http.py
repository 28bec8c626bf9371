"""HTTP for connectors: one client per connector, a base URL that tests and self-hosted API servers can
override, and transport failures mapped to the shared errors by whether the request may have reached the network.
"""

import email.utils
import json
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings

from chorus import outbound
from chorus.networks import errors

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


def client_for(network: str, default_base_url: str, base_url: str = "") -> httpx.Client:
    """`base_url` from the channel (a Mastodon instance) wins; then CHORUS_NETWORK_BASE_URLS; then the default.

    A channel's base URL is an address a person typed, so it goes through the outbound guard as a feed does:
    internal addresses are refused unless the operator lists them (CHORUS_OUTBOUND_ALLOWED_NETWORKS). The
    operator's own overrides and the networks' fixed hosts are trusted."""
    guard = {"transport": outbound.GuardedTransport()} if base_url else {}
    return httpx.Client(base_url=base_url or settings.CHORUS_NETWORK_BASE_URLS.get(network, default_base_url),
                        timeout=TIMEOUT, headers={"User-Agent": outbound.USER_AGENT}, **guard)


def call(client: httpx.Client, method: str, url: str, *, changes_state: bool, **kwargs) -> httpx.Response:
    """Send one request. A failure before sending is Transient; after sending, a call that changes state (a
    publish, a reply) may have taken effect, so it is AmbiguousOutcome and must be read back, not retried."""
    try:
        return client.request(method, url, **kwargs)
    except outbound.OutboundRefused as exc:  # an internal address someone typed: nothing was sent
        raise errors.ValidationRejected(exc.reason) from exc
    except outbound.OutboundFailed as exc:  # the typed host name did not resolve (yet)
        raise errors.Transient(exc.reason) from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise errors.Transient(f"could not reach the network: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        reason = f"the network did not answer: {type(exc).__name__}"
        raise (errors.AmbiguousOutcome(reason) if changes_state else errors.Transient(reason)) from exc


def retry_at(headers: httpx.Headers, default_seconds: int = 60, now: datetime | None = None) -> datetime:
    """When a rate-limited caller may come back: Retry-After (seconds or a date), else a reset epoch header."""
    now = now or datetime.now(UTC)
    value = headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return now + timedelta(seconds=int(value))
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is not None:
            return parsed.astimezone(UTC)
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value and value.strip().isdigit():
            number = int(value)
            # An epoch (X, Bluesky) or seconds from now (the IETF draft's RateLimit-Reset).
            return datetime.fromtimestamp(number, UTC) if number > 10**9 else now + timedelta(seconds=number)
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)  # Mastodon
            except ValueError:
                pass
    return now + timedelta(seconds=default_seconds)


def json_of(response: httpx.Response) -> dict:
    """The body as JSON, or a Transient error saying what came instead (an HTML error page, a cut body)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.Transient(f"unreadable answer (HTTP {response.status_code})") from exc
