import pytest


@pytest.fixture
def serve(settings):
    """Start a fake network API and point its connector at it; stopped after the test. Its address (127.0.0.1) is
    allowed past the outbound guard, as an intranet install lists its own Mastodon instance."""
    started = []
    settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS = [*settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS, "127.0.0.1/32"]

    def start(api):
        url = api.start()
        settings.CHORUS_NETWORK_BASE_URLS = {**settings.CHORUS_NETWORK_BASE_URLS, api.network: url}
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()
