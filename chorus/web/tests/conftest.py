import pytest

from chorus.workspaces.services import choose_language


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def signed_in(client):
    """Sign a person in with the English UI, so assertions read the English words."""

    def sign_in(person, language="en"):
        choose_language(person, language)
        client.force_login(person)
        return client

    return sign_in
