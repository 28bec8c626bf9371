"""The outbound fetcher: public addresses only, each redirect hop vetted, bounded in time and size."""

import pytest

from chorus.outbound import OutboundFailed, OutboundRefused, fetch

FEED = b"<rss version='2.0'><channel><title>x</title></channel></rss>"


def get(url, **limits):
    return fetch(url, max_bytes=limits.pop("max_bytes", 1_000_000), timeout=limits.pop("timeout", 5), **limits)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed", "http://10.0.0.8/feed", "http://192.168.1.1/", "http://[::1]/feed",
    "http://localhost/feed", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://224.0.0.1/",
    "http://2130706433/", "http://0x7f.1/",
])
def test_internal_addresses_are_refused_with_a_reason(settings, url):
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(OutboundRefused, match="internal address"):
        get(url)


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "ftp://example.com/feed", "file:///etc/passwd",
                                 "gopher://example.com/", "http:///feed"])
def test_odd_forms_and_other_schemes_are_refused(settings, url):
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(OutboundRefused):
        get(url)


def test_cloud_metadata_stays_refused_even_when_an_intranet_install_allows_private_addresses(allow_private):
    with pytest.raises(OutboundRefused, match="internal address"):
        get("http://169.254.169.254/latest/meta-data/")


def test_a_redirect_from_an_allowed_address_to_an_internal_one_is_refused(settings, feed_server):
    # Only the test server's own address is allowed, as an intranet install would list its feed host.
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    feed_server.serve("/feed", FEED)
    assert get(feed_server.url("/feed")).body == FEED
    for internal in (f"http://127.0.0.2:{feed_server.port}/feed", "http://169.254.169.254/latest/meta-data/",
                     f"http://[::1]:{feed_server.port}/feed"):
        feed_server.redirect("/hop", internal)
        with pytest.raises(OutboundRefused, match="internal address"):
            get(feed_server.url("/hop"))


def test_redirects_are_followed_up_to_five(allow_private, feed_server):
    feed_server.serve("/feed", FEED)
    for n in range(6):
        feed_server.redirect(f"/r{n}", "/feed" if n == 0 else f"/r{n - 1}", status=301 if n % 2 else 307)
    fetched = get(feed_server.url("/r4"))
    assert (fetched.status, fetched.body, fetched.final_url) == (200, FEED, feed_server.url("/feed"))
    with pytest.raises(OutboundFailed, match="Too many redirects"):
        get(feed_server.url("/r5"))


def test_the_host_name_travels_in_the_host_header_while_the_vetted_address_is_dialled(allow_private, feed_server):
    feed_server.serve("/feed", FEED)
    fetched = get(f"http://localhost:{feed_server.port}/feed")
    assert fetched.body == FEED
    assert feed_server.requests[-1]["Host"] == f"localhost:{feed_server.port}"


def test_conditional_get_sends_the_etag_and_reports_not_modified(allow_private, feed_server):
    url = feed_server.serve("/feed", FEED, etag='"v1"')
    first = get(url)
    assert (first.status, first.headers["etag"], first.not_modified) == (200, '"v1"', False)
    again = get(url, etag='"v1"', last_modified="Wed, 01 Jul 2026 10:00:00 GMT")
    assert (again.status, again.body, again.not_modified) == (304, b"", True)
    assert feed_server.requests[-1]["If-Modified-Since"] == "Wed, 01 Jul 2026 10:00:00 GMT"


@pytest.mark.parametrize("declare_length", [True, False])
def test_an_answer_larger_than_the_cap_is_refused(allow_private, feed_server, declare_length):
    url = feed_server.serve("/big", b"x" * 300_000, declare_length=declare_length)
    with pytest.raises(OutboundRefused, match="larger than"):
        get(url, max_bytes=100_000)


def test_a_server_slower_than_the_timeout_fails_the_fetch(allow_private, feed_server):
    url = feed_server.serve("/slow", FEED, delay=3)
    with pytest.raises(OutboundFailed, match="did not answer|took longer"):
        get(url, timeout=0.5)


def test_an_unknown_host_fails_with_its_name(settings):
    with pytest.raises(OutboundFailed, match="no-such-host.invalid"):
        get("http://no-such-host.invalid/feed")
