"""The one set of network errors the scheduler understands; every connector maps its own errors onto these."""

from datetime import datetime


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


class PushRefused(Exception):
    """A call to Chorus's webhook that does not prove it comes from the network (wrong or missing secret)."""
