import pytest

from chorus.channels.services import connect_channel
from chorus.conftest import make_user
from chorus.workspaces.services import choose_language, create_workspace


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def coffee(transactional_db):
    """Olga's workspace in Moscow time with one sandbox channel; Olga reads the UI in English."""
    owner = make_user("olga")
    choose_language(owner, "en")
    workspace = create_workspace(owner=owner, name="Demo Coffee", slug="coffee", timezone_name="Europe/Moscow",
                                 language="ru")
    channel = connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Coffee VK (sandbox)")
    return owner, workspace, channel
