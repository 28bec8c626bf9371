"""Shared people and places for the stories the tests tell: a workspace, its team, a sandbox channel."""

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from chorus.classify import artefacts
from chorus.home import PROJECT_DIR
from chorus.workspaces.roles import Role

# The simulated audience is a function of the posts' times: a fixed moment gives every run the same comments.
BUSY_PAGE_NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english_until_asked(settings):
    # A request leaves its language active in the thread; each story starts in English unless it says so.
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def label_models(tmp_path_factory):
    """The comment labeller of the whole run, trained on first use and kept under var/ for the next run (its file
    name says which corpus and scikit-learn made it); processes the stories start find it through the env.
    Workspaces' retrained models stay in this run's own folder."""
    return artefacts.Shelf(PROJECT_DIR / "var" / "test-models", workspaces=tmp_path_factory.mktemp("workspace-models"))


def use_label_models(patch: pytest.MonkeyPatch, label_models) -> None:
    patch.setattr(artefacts, "_default", label_models)
    patch.setenv("CHORUS_CLASSIFY_MODELS", str(label_models.directory))


@pytest.fixture(autouse=True)
def _shared_label_models(label_models, monkeypatch):
    use_label_models(monkeypatch, label_models)
    yield
    # A story's retrained workspace is not the next story's.
    shutil.rmtree(label_models.workspaces_directory, ignore_errors=True)
    label_models._workspaces.clear()


# Unit tests drive dispatcher and sender by hand; tests with real workers switch the nudge back on.
QUIET_SETTINGS = {"CHORUS_NUDGE_DISPATCHER": False,
                  "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}


@pytest.fixture(autouse=True)
def _quiet_dispatcher(settings):
    for name, value in QUIET_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, label_models):
    """Rows made once for a module's stories, as Django's setUpTestData does: inside a transaction that is
    rolled back after the module's last story, while each story runs in a savepoint of it (so its own changes
    are undone) and nothing is committed (so no on_commit hook fires). The rows are made in the world the
    autouse fixtures above give each story."""
    with (django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as patch,
          override_settings(**QUIET_SETTINGS), translation.override("en")):
        use_label_models(patch, label_models)
        yield
        transaction.set_rollback(True)


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password=f"{username}-pass-123",
                                                email=f"{username}@example.com")


@pytest.fixture
def owner(db):
    return make_user("olga")


@pytest.fixture
def workspace(owner):
    from chorus.workspaces.services import create_workspace

    return create_workspace(owner=owner, name="Demo Coffee", slug="coffee", timezone_name="Europe/Moscow",
                            language="ru")


@pytest.fixture
def other_workspace(db):
    from chorus.workspaces.services import create_workspace

    stranger = make_user("sam")
    return create_workspace(owner=stranger, name="Rival Tea", slug="tea", timezone_name="Europe/London",
                            language="en")


@pytest.fixture
def team(workspace, owner):
    """One person per role in the coffee workspace, keyed by role."""
    from chorus.workspaces.services import add_member

    people = {Role.OWNER.value: owner}
    for role in Role.values:
        if role != Role.OWNER:
            people[role] = make_user(f"{role}-user")
            add_member(actor=owner, workspace=workspace, user=people[role], role=role)
    return people


@pytest.fixture
def editor(team):
    return team[Role.EDITOR]


@pytest.fixture
def channel(workspace, owner):
    from chorus.channels.services import connect_channel

    return connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Coffee VK (sandbox)")


@pytest.fixture
def second_channel(workspace, owner):
    from chorus.channels.services import connect_channel

    return connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Coffee TG (sandbox)")


@pytest.fixture
def signed_in(client):
    """Sign a person in with the English UI, so assertions read the English words whatever the workspace speaks."""
    from chorus.workspaces.services import choose_language

    def sign_in(person, language="en"):
        choose_language(person, language)
        client.force_login(person)
        return client

    return sign_in


@pytest.fixture
def busy_page(channel):
    """The coffee page posted twice yesterday; its big audience has had a day to comment and write to it.

    The story runs at BUSY_PAGE_NOW with the clock ticking, so every run sees the same comments and messages."""
    from chorus.sandbox import audience
    from chorus.sandbox.models import SandboxAccount
    from chorus.sandbox.network import create_post

    account = SandboxAccount.objects.get(external_id=channel.external_id)
    account.followers_at_start = 20000
    account.save()
    with time_machine.travel(BUSY_PAGE_NOW, tick=True):
        posts = [create_post(account, text=text, media_count=1, idempotency_key=f"k{n}",
                             at=BUSY_PAGE_NOW - timedelta(hours=30 - 6 * n))
                 for n, text in enumerate(["Новый сорт эфиопии уже в кофейне ☕ Пробовали?",
                                           "Скидка 20% на всё зерно до воскресенья! Успейте?"])]
        audience.simulate(BUSY_PAGE_NOW)
        yield account, posts, BUSY_PAGE_NOW
