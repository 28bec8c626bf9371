"""The one way Chorus fetches an address someone typed in: public hosts only, bounded in time and size.

Guards against server-side request forgery: the host is resolved once here, every address it resolves to is
vetted, and the connection goes to that vetted address (the original name still travels as Host and TLS SNI),
so a DNS answer that changes between the check and the connect cannot reach an internal service. Redirects are
followed by hand and each hop is vetted again.
"""

import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "Chorus (self-hosted SMM workstation)"
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Cloud metadata services hand out credentials: refused even when an install allows private addresses.
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}

# getaddrinfo has no timeout of its own; asking from a thread lets the caller give up at its deadline.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chorus-resolve")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    headers: httpx.Headers
    final_url: str
    not_modified: bool


class OutboundError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OutboundRefused(OutboundError):
    """Chorus will not fetch this: a scheme other than http(s), an internal address, or too large an answer."""


class OutboundFailed(OutboundError):
    """Chorus tried and the other side did not answer usefully: unknown host, no connection, timeout, redirects."""


def fetch(url: str, *, max_bytes: int, timeout: float, headers: dict | None = None, etag: str | None = None,
          last_modified: str | None = None) -> Fetched:
    """GET `url` with conditional headers; a 304 comes back as `not_modified` with an empty body."""
    deadline = time.monotonic() + timeout
    request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    target = _web_address(url)
    for _hop in range(MAX_REDIRECTS + 1):
        with _client(deadline) as client:
            response = _send(client, target, request_headers, timeout)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    target = _web_address(str(target.join(location)))
                    continue
                if response.status_code == 304:
                    return Fetched(304, b"", response.headers, str(target), not_modified=True)
                body = _read_capped(response, max_bytes, deadline, timeout)
                return Fetched(response.status_code, body, response.headers, str(target), not_modified=False)
            finally:
                response.close()
    raise OutboundFailed(_("Too many redirects (more than %(max)d).") % {"max": MAX_REDIRECTS})


def _web_address(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise OutboundRefused(_("%(url)s is not a valid web address.") % {"url": url}) from exc
    if target.scheme not in {"http", "https"}:
        raise OutboundRefused(_("Only http:// and https:// addresses can be fetched."))
    if not target.host:
        raise OutboundRefused(_("%(url)s has no host name.") % {"url": url})
    return target


def _vetted_addresses(target: httpx.URL, deadline: float) -> list[Address]:
    """The addresses to connect to; refused if any address the host resolves to is internal."""
    host = target.raw_host.decode("ascii")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        answers = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(
            timeout=max(0.0, deadline - time.monotonic()))
    except ResolveTimeout as exc:
        raise OutboundFailed(_("Looking up %(host)s took too long.") % {"host": target.host}) from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundFailed(_("Could not find the server %(host)s.") % {"host": target.host}) from exc
    # Vetting every answer, not just the first, leaves no internal address for a later connect to pick.
    addresses = [ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers]
    for address in addresses:
        if not _allowed(address):
            raise OutboundRefused(
                _("%(host)s points to an internal address (%(address)s); Chorus only fetches public addresses.")
                % {"host": target.host, "address": address})
    return addresses


def _allowed(address: Address) -> bool:
    inner = _embedded_ipv4(address) or address
    if inner in METADATA:
        return False
    if settings.CHORUS_OUTBOUND_ALLOW_PRIVATE:
        return True
    if any(inner in ipaddress.ip_network(n) for n in settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS):
        return True
    return inner.is_global and not (inner.is_private or inner.is_loopback or inner.is_link_local
                                    or inner.is_multicast or inner.is_reserved or inner.is_unspecified
                                    or inner in CGNAT)


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64): it is where the packets really go."""
    if address.version == 4:
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class GuardedTransport(httpx.HTTPTransport):
    """For every client that talks to a host someone typed (a feed, a Mastodon instance, an own API server): each
    request's host is resolved and vetted here, and the vetted address is dialled with the original name as Host
    and TLS SNI. A refused host raises OutboundRefused before anything is sent; a failed lookup OutboundFailed."""

    def __init__(self, deadline: float | None = None, resolve_timeout: float = 5.0):
        super().__init__()
        self.deadline, self.resolve_timeout = deadline, resolve_timeout

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = _web_address(str(request.url))
        deadline = self.deadline or time.monotonic() + self.resolve_timeout
        extensions = {**request.extensions, "sni_hostname": target.raw_host.decode("ascii")}
        failure: httpx.ConnectError | None = None
        for address in _vetted_addresses(target, deadline):
            dialled = httpx.Request(request.method, target.copy_with(host=str(address)), headers=request.headers,
                                    stream=request.stream, extensions=extensions)
            try:
                return super().handle_request(dialled)
            except httpx.ConnectError as exc:  # a dual-stack host may answer on its next address
                failure = exc
        raise failure or httpx.ConnectError(f"{target.host} has no address", request=request)


def _client(deadline: float) -> httpx.Client:
    # A fresh client per hop: no pooled connection made for one host name is ever reused for another. A client
    # given a transport takes no proxy from the environment, which would connect to the name, not the address.
    return httpx.Client(transport=GuardedTransport(deadline), follow_redirects=False,
                        timeout=httpx.Timeout(max(0.1, deadline - time.monotonic())))


def _send(client: httpx.Client, target: httpx.URL, headers: dict, timeout: float) -> httpx.Response:
    try:
        return client.send(client.build_request("GET", target, headers=headers), stream=True)
    except httpx.TimeoutException as exc:
        raise OutboundFailed(_("%(host)s did not answer within %(seconds)g s.")
                             % {"host": target.host, "seconds": timeout}) from exc
    except httpx.HTTPError as exc:
        raise _unreachable(target, exc) from exc


def _unreachable(target: httpx.URL, reason: Exception) -> OutboundFailed:
    return OutboundFailed(_("Could not connect to %(host)s: %(reason)s.") % {"host": target.host, "reason": reason})


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    too_large = OutboundRefused(_("The answer is larger than %(limit)s; Chorus stopped reading it.")
                                % {"limit": filesizeformat(max_bytes)})
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("deadline")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise OutboundFailed(_("Reading the answer took longer than %(seconds)g s.") % {"seconds": timeout}) from exc
    except httpx.HTTPError as exc:
        raise OutboundFailed(_("The connection broke while reading: %(reason)s.") % {"reason": exc}) from exc
    return b"".join(chunks)
