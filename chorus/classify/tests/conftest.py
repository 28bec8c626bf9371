"""One classifier for the whole session: trained once, on the project's corpus less the held-out fifth, so the
quality stories can measure it on texts it has never seen and every other story runs against a real model."""

import shutil

import pytest

from chorus.classify import artefacts
from chorus.classify.corpus import carried_corpus, in_test_split


def training_part():
    return [example for example in carried_corpus() if not in_test_split(example.text)]


@pytest.fixture(scope="session")
def trained_shelf(tmp_path_factory):
    shelf = artefacts.Shelf(tmp_path_factory.mktemp("classify-models"), corpus=training_part)
    assert not shelf.base_path().exists()
    shelf.base()  # no file yet: trained on the spot and kept
    assert shelf.base_path().exists()
    return shelf


@pytest.fixture(autouse=True)
def _session_classifier(trained_shelf, monkeypatch):
    monkeypatch.setattr(artefacts, "_default", trained_shelf)
    yield
    # A story's retrained workspace is not the next story's.
    shutil.rmtree(trained_shelf.workspaces_directory, ignore_errors=True)
    trained_shelf._workspaces.clear()
