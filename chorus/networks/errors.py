"""The one set of network errors the scheduler understands; every connector maps its own errors onto these."""

from datetime import datetime

from django.utils.translation import gettext as _


class NetworkError(Exception):
    """Base: `definite` errors mean nothing was created on the network; retrying cannot duplicate."""

    definite = True
    retryable = False

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RateLimited(NetworkError):
    retryable = True

    def __init__(self, reason: str, retry_at: datetime, scope: str = "channel"):
        super().__init__(reason)
        self.retry_at = retry_at
        self.scope = scope  # "channel" (this account) or "app" (the whole network application)


class Transient(NetworkError):
    """Refused before anything was created (5xx before send, connection refused): safe to retry later."""

    retryable = True


class AuthExpired(NetworkError):
    """Token expired or revoked: the channel needs reconnecting."""


class PermissionMissing(NetworkError):
    pass


class ValidationRejected(NetworkError):
    pass


class ContentRejected(NetworkError):
    pass


class CaptchaRequired(NetworkError):
    """The network wants a human to solve a captcha (VK error 14)."""


class RemoteNotFound(NetworkError):
    pass


class AmbiguousOutcome(NetworkError):
    """The request may have reached the network (timeout after send, reset, worker death): never auto-retried."""

    definite = False


class PartialPublication(NetworkError):
    """A post of several parts (a thread, a first comment, Telegram's poll after its text) is on the network, but
    not whole: part `len(made) + 1` of `total` did not go out, because of `cause`.

    `post` is what the network shows now (its first part; on Telegram every message made); `made` holds the remote
    id of each part that went out, in order, for a later try to go on from (`Connector.publish(..., already=made)`).
    Whether that try may happen by itself depends on the network (`Capabilities.resumable_parts`) and on `cause`.
    """

    definite = False  # something is live: never retried from the start

    def __init__(self, post, made, total: int, cause: NetworkError):
        self.post, self.made, self.total, self.cause = post, tuple(made), total, cause
        super().__init__(_("part %(n)d of %(total)d did not go out: %(reason)s")
                         % {"n": len(self.made) + 1, "total": total, "reason": cause.reason})

    @property
    def next_part(self) -> int:
        return len(self.made) + 1


class PushRefused(Exception):
    """A call to Chorus's webhook that does not prove it comes from the network (wrong or missing secret)."""
