"""How models are built, kept and shared, and how well they do on comments they have never seen."""

import threading

import pytest
import sklearn

from chorus.classify import artefacts, corpus
from chorus.classify import model as stored
from chorus.classify.corpus import SHARED_DIR, in_test_split, own_examples, public_examples
from chorus.classify.quality import held_out_scores
from chorus.classify.text import normalise
from chorus.classify.training import train

# Floors a broken model fails (chance is 0.5 or lower), about 2-3 points under what the shipped trainer reaches
# on this held-out fifth (spam 0.935, VK 0.745, OLID 0.723, sentiment 0.534 macro-F1); the issue's own numbers
# (5-fold CV per set) come from bench/classify.py.
FLOORS = {("spam", "youtube-spam"): 0.91, ("abuse", "ru-vk-toxicity"): 0.71,
          ("abuse", "tweeteval-offensive"): 0.70, ("sentiment", "tweeteval-sentiment"): 0.50}
OWN_FLOORS = {"spam": 0.85, "abuse": 0.75, "question": 0.85, "complaint": 0.65, "praise": 0.65, "lead": 0.80,
              "sentiment": 0.60}


@pytest.fixture(scope="module")
def public_held_out():
    if not SHARED_DIR.is_dir():
        pytest.skip(f"the shared datasets are not beside the repository ({SHARED_DIR})")
    return [example for example in public_examples(SHARED_DIR) if in_test_split(example.text)]


def test_public_sets_on_texts_never_trained_on(trained_shelf, public_held_out):
    scores = {(s.task, s.source): s for s in held_out_scores(trained_shelf.base(), public_held_out)}
    for key, floor in FLOORS.items():
        assert scores[key].examples > 100, key
        assert scores[key].macro_f1 >= floor, (key, scores[key].macro_f1)


def test_own_examples_on_texts_never_trained_on(trained_shelf):
    held_out = [e for e in own_examples(corpus.CORPUS_DIR / "own") if in_test_split(e.text)]
    for score in held_out_scores(trained_shelf.base(), held_out):
        assert score.macro_f1 >= OWN_FLOORS[score.task], score


def test_the_carried_copies_are_the_shared_sets(public_held_out):
    carried = public_examples(corpus.CORPUS_DIR / "public")
    assert sorted(e.sort_key() for e in carried if in_test_split(e.text)) == sorted(
        e.sort_key() for e in public_held_out)


def test_the_same_corpus_builds_the_same_model():
    examples = own_examples(corpus.CORPUS_DIR / "own")
    first, second = train(examples), train(list(reversed(examples)))
    assert first.fingerprint == second.fingerprint
    assert (first.weights == second.weights).all() and (first.bias == second.bias).all()
    assert first.characters.vocabulary_ == second.characters.vocabulary_


def test_a_library_upgrade_looks_for_a_new_model_instead_of_the_stale_one(trained_shelf, monkeypatch):
    current = trained_shelf.base_path()
    assert sklearn.__version__ in current.name
    monkeypatch.setattr(artefacts.sklearn, "__version__", "99.0")
    assert trained_shelf.base_path() != current
    assert not trained_shelf.base_path().exists()


def test_worker_threads_share_one_model_loaded_once(trained_shelf, monkeypatch):
    fresh = artefacts.Shelf(trained_shelf.directory, corpus=trained_shelf.corpus)
    loads = []
    original = stored.load
    monkeypatch.setattr(stored, "load", lambda path: loads.append(path) or original(path))
    models, start = [], threading.Barrier(4)

    def first_comment():
        start.wait()
        models.append(fresh.base())

    threads = [threading.Thread(target=first_comment) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert all(model is models[0] for model in models)


def test_a_workspace_slug_cannot_walk_out_of_the_models_folder(trained_shelf):
    with pytest.raises(ValueError):
        trained_shelf.workspace_path("../../etc")


def test_the_fast_featurizer_computes_what_scikit_learn_computes(trained_shelf):
    from chorus.classify.text import normalise

    texts = [normalise(e.text) for e in trained_shelf.corpus()[::40]] + ["", "👍", "zzzzqqq"]
    model = trained_shelf.base()
    fast, reference = model.features(texts), model.sklearn_features(texts)
    assert fast.shape == reference.shape
    assert abs(fast - reference).max() < 1e-5


def test_a_workspaces_corrections_are_learnt_again_when_the_base_corpus_changes(tmp_path):
    """An owner taught the coffee shop's model that a competitor's promo is spam; the next release ships a
    larger corpus. The first comment labelled after the upgrade gets a model built on the new base that still
    knows the correction, not the old base's featurizer and heads."""
    own = own_examples(corpus.CORPUS_DIR / "own")
    release = {"corpus": own[::3]}
    promos = ["В «Зёрнышке» на Ленина капучино за 99 рублей, заходите", "Зёрнышко на Ленина: кофе дешевле вдвое",
              "А в Зёрнышке на Ленина раф всего 150, приходите", "В Зёрнышке на Ленина второй кофе бесплатно"]
    shelf = artefacts.Shelf(tmp_path, corpus=lambda: release["corpus"])
    old_path = shelf.retrain("coffee", [corpus.Example(text, "ru", {"spam": 1.0}) for text in promos])

    release["corpus"] = own[::2]
    upgraded = artefacts.Shelf(tmp_path, corpus=lambda: release["corpus"])
    model = upgraded.for_workspace("coffee")

    new_path = upgraded.workspace_path("coffee")
    assert new_path != old_path and new_path.exists() and not old_path.exists()
    assert model.characters.vocabulary_ == upgraded.base().characters.vocabulary_
    assert model.examples == len(own[::2]) + len(promos)
    spam = artefacts.Model.column("spam")
    features = model.features([normalise("в Зёрнышке на Ленина латте за 120, заходите")])
    assert (features @ model.weights[:, spam])[0] + model.bias[spam] > 0
    assert upgraded.for_workspace("tea") is upgraded.base()  # no corrections of its own: the base model
