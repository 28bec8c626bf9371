"""Fitting a Model: TF-IDF over characters (char_wb 2-5) and words (1-2) shared by all tasks, then one
LogisticRegression(class_weight="balanced") per task on the examples labelled for it (nlp.md, options 1+2)."""

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS, Example, fingerprint
from chorus.classify.model import Model, signal_block
from chorus.classify.signals import NAMES as SIGNALS
from chorus.classify.text import normalise

# Caps keep the artefact small (tens of MB) and loading fast; past these sizes macro-F1 barely moved.
CHARACTER_FEATURES = 150_000
WORD_FEATURES = 60_000
REGULARISATION = 4.0  # LogisticRegression's C
RANDOM_STATE = 0


def train(examples: list[Example]) -> Model:
    """The same examples give the same model: they are sorted first and every solver is deterministic."""
    examples = sorted(examples, key=Example.sort_key)
    texts = [normalise(example.text) for example in examples]
    characters = _vectorizer(analyzer="char_wb", ngram_range=(2, 5), max_features=CHARACTER_FEATURES)
    words = _vectorizer(analyzer="word", ngram_range=(1, 2), max_features=WORD_FEATURES,
                        token_pattern=r"(?u)\b\w+\b")
    blocks = [characters.fit_transform(texts), words.fit_transform(texts), signal_block(texts)]
    for vectorizer in (characters, words):
        vectorizer.stop_words_ = None  # the terms cut by the caps: megabytes that transform() never reads
    model = Model(characters, words, weights=np.empty((0, 0)), bias=np.empty(0), fingerprint=fingerprint(examples),
                  sklearn_version=sklearn.__version__, examples=len(examples))
    features = sp.hstack(blocks, format="csr", dtype=np.float32)
    columns = [_sentiment_head(features, examples)] + [_binary_head(features, examples, task) for task in BINARY_TASKS]
    model.weights = np.ascontiguousarray(np.hstack([weights for weights, _ in columns]), dtype=np.float32)
    model.bias = np.concatenate([bias for _, bias in columns]).astype(np.float32)
    assert model.weights.shape == (features.shape[1], len(SENTIMENTS) + len(BINARY_TASKS))
    assert features.shape[1] == len(characters.vocabulary_) + len(words.vocabulary_) + len(SIGNALS)
    return model


def _vectorizer(**options) -> TfidfVectorizer:
    return TfidfVectorizer(lowercase=False, min_df=2, sublinear_tf=True, dtype=np.float32, **options)


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000, random_state=RANDOM_STATE)


def _rows(examples: list[Example], task: str) -> tuple[np.ndarray, list[Example]]:
    rows = [index for index, example in enumerate(examples) if task in example.labels]
    return np.array(rows, dtype=np.int64), [examples[index] for index in rows]


def _sentiment_head(features, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows, labelled = _rows(examples, "sentiment")
    target = np.array([SENTIMENTS.index(example.labels["sentiment"]) for example in labelled])
    classifier = _classifier().fit(features[rows], target, sample_weight=[e.weight for e in labelled])
    if list(classifier.classes_) != [0, 1, 2]:
        raise ValueError("the sentiment examples must include negative, neutral and positive ones")
    return classifier.coef_.T, classifier.intercept_


def _binary_head(features, examples: list[Example], task: str) -> tuple[np.ndarray, np.ndarray]:
    rows, labelled = _rows(examples, task)
    target = np.array([float(example.labels[task]) >= 0.5 for example in labelled])
    if target.all() or not target.any():
        raise ValueError(f"the {task} examples must include both yes and no")
    classifier = _classifier().fit(features[rows], target, sample_weight=[e.weight for e in labelled])
    return classifier.coef_.T, classifier.intercept_


def refit(base: Model, examples: list[Example], tasks: set[str]) -> Model:
    """A copy of `base` whose heads for `tasks` are fitted again on `examples`; its featurizer (vocabulary)
    and its other heads stay the base's. Retraining a workspace is then a matter of seconds, not a full build:
    only the rows labelled for the corrected tasks are featurized."""
    examples = sorted(examples, key=Example.sort_key)
    wanted = [example for example in examples if tasks & example.labels.keys()]
    features = base.features([normalise(example.text) for example in wanted])
    weights, bias = base.weights.copy(), base.bias.copy()
    if "sentiment" in tasks:
        columns = slice(0, len(SENTIMENTS))
        weights[:, columns], bias[columns] = _sentiment_head(features, wanted)
    for task in tasks - {"sentiment"}:
        column = Model.column(task)
        head_weights, head_bias = _binary_head(features, wanted, task)
        weights[:, column], bias[column] = head_weights[:, 0], head_bias[0]
    return Model(base.characters, base.words, weights, bias, fingerprint=fingerprint(examples),
                 sklearn_version=sklearn.__version__, examples=len(examples))
