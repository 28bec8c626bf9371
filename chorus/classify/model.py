"""A trained classifier as it is kept on disk: one shared featurizer and every task's head in one matrix.

The heads are logistic regressions, so predicting is one sparse-by-dense product plus a sigmoid (softmax for
sentiment): seven scikit-learn `predict_proba` calls would spend more time checking inputs than computing.
For the same reason features are computed here from the fitted vectorizers' vocabulary and IDF: scikit-learn's
`transform` spends four fifths of a one-comment call validating its input (tests check both agree).
"""

import os
import pickle
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS
from chorus.classify.signals import NAMES as SIGNALS
from chorus.classify.signals import signals

FORMAT = 4  # 2: heads carry the choices made by cross-validation (C, threshold); 3: VADER mood signals;
# 4: insult signals
SKLEARN_BATCH = 64


@dataclass
class Model:
    characters: TfidfVectorizer
    words: TfidfVectorizer
    weights: np.ndarray  # features x outputs, float32
    bias: np.ndarray  # outputs
    fingerprint: str  # of the examples it was trained on
    sklearn_version: str
    examples: int
    choices: dict = field(default_factory=dict)  # per task: C and threshold chosen inside training

    # Output columns: the three sentiments first, then one per binary task.
    @staticmethod
    def column(task: str) -> int:
        return len(SENTIMENTS) + BINARY_TASKS.index(task)

    def features(self, normalised: list[str]) -> sp.csr_matrix:
        """What `sklearn_features` gives. A big batch goes through scikit-learn, whose counting is faster once
        its per-call checks are shared by many comments; a few comments skip those checks."""
        if len(normalised) >= SKLEARN_BATCH:
            return self.sklearn_features(normalised)
        blocks = self._blocks()
        columns, values, ends = [], [], [0]
        for text in normalised:
            for block in blocks:
                block.add_row(text, columns, values)
            extra = signals(text)
            present = np.flatnonzero(extra)
            columns.extend(present + blocks[-1].offset + blocks[-1].width)
            values.extend(extra[present])
            ends.append(len(columns))
        width = blocks[-1].offset + blocks[-1].width + len(SIGNALS)
        return sp.csr_matrix((np.array(values, dtype=np.float32), np.array(columns, dtype=np.int32),
                              np.array(ends, dtype=np.int32)), shape=(len(normalised), width))

    def sklearn_features(self, normalised: list[str]) -> sp.csr_matrix:
        return sp.hstack([self.characters.transform(normalised), self.words.transform(normalised),
                          signal_block(normalised)], format="csr", dtype=np.float32)

    def _blocks(self) -> list["_Block"]:
        # Two threads may both build these the first time; they build the same thing, so no lock is needed.
        if getattr(self, "_cached_blocks", None) is None:
            characters = _Block(self.characters, offset=0)
            self._cached_blocks = [characters, _Block(self.words, offset=characters.width)]
        return self._cached_blocks

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cached_blocks", None)
        state.pop("_vocabulary_hash", None)
        state.pop("_rescorer_warned", None)
        return state

    def probabilities(self, normalised: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sentiment: n x 3 rows summing to 1, binary tasks: n x len(BINARY_TASKS), each 0..1)."""
        scores = np.asarray(self.features(normalised) @ self.weights) + self.bias
        sentiment = scores[:, :len(SENTIMENTS)]
        sentiment = np.exp(sentiment - sentiment.max(axis=1, keepdims=True))
        sentiment /= sentiment.sum(axis=1, keepdims=True)
        binary = 1 / (1 + np.exp(-scores[:, len(SENTIMENTS):]))
        return sentiment, binary


class _Block:
    """One fitted TfidfVectorizer (sublinear tf, l2 norm) as plain lookups."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int):
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.idf = vectorizer.idf_.astype(np.float64)
        self.offset, self.width = offset, len(self.vocabulary)

    def add_row(self, text: str, columns: list, values: list) -> None:
        vocabulary = self.vocabulary
        counts = Counter(column for term in self.analyze(text) if (column := vocabulary.get(term)) is not None)
        if not counts:
            return
        found = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        weights = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1) * self.idf[found]
        columns.extend(found + self.offset)
        values.extend(weights / np.sqrt(weights @ weights))


def signal_block(normalised: list[str]) -> sp.csr_matrix:
    return sp.csr_matrix(np.vstack([signals(text) for text in normalised]).astype(np.float32))


def save(model: Model, path: Path) -> Path:
    """Write the model so that a reader never sees half a file, even with another process writing too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump({"format": FORMAT, "model": model}, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load(path: Path) -> Model:
    # Only files this app wrote under CHORUS_HOME are unpickled; their names carry the scikit-learn version.
    with path.open("rb") as file:
        stored = pickle.load(file)  # noqa: S301
    if stored.get("format") != FORMAT:
        raise ValueError(f"{path.name}: format {stored.get('format')}, expected {FORMAT}")
    return stored["model"]
