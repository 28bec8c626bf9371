import pytest


@pytest.fixture
def serve(settings):
    """Start a fake network API and point its connector at it; stopped after the test."""
    started = []

    def start(api):
        url = api.start()
        settings.CHORUS_NETWORK_BASE_URLS = {**settings.CHORUS_NETWORK_BASE_URLS, api.network: url}
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()
