"""Fitting a Model: TF-IDF over characters (char_wb 2-5) and words (1-2) shared by all tasks, then one
LogisticRegression per task on the examples labelled for it (nlp.md, options 1+2), its classes balanced within
each language and collection (`balanced_weights`).

`Options` can also choose, per binary head, the regularisation C (from a short grid) and the decision threshold
by cross-validation inside the training examples, never on texts the model is measured on; a chosen threshold
is folded into the head's bias so the product's "0.5 means yes" stays the rule. Under the issue's 5-fold CV
this search did not help the fast path (bench/classify.py --compare: spam +0.4, VK toxic F1 -1.4, OLID -0.2,
sentiment -0.3 points) and moved the spam cut to a chance of 0.27, learnt on English YouTube, which then
flagged Russian chatter; so the fast path keeps C=4 and 0.5 (FAST), and only the re-scorer searches (RESCORER).
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS, Example, fingerprint
from chorus.classify.model import Model, signal_block
from chorus.classify.signals import NAMES as SIGNALS
from chorus.classify.text import normalise

# Caps keep the artefact small (tens of MB) and loading fast; past these sizes macro-F1 barely moved.
CHARACTER_FEATURES = 150_000
WORD_FEATURES = 60_000
REGULARISATION = 4.0  # LogisticRegression's C when it is not chosen by cross-validation
RANDOM_STATE = 0


@dataclass(frozen=True)
class Options:
    """How heads are fitted. `grid` is the C values tried by `inner_folds`-fold CV on the training rows (one value:
    no search); `tune_thresholds` moves each binary head's 0.5 to its best out-of-fold macro-F1 threshold."""

    grid: tuple[float, ...] = (2.0, 8.0)
    inner_folds: int = 3
    tune_thresholds: bool = True
    sentiment_grid: tuple[float, ...] = (1.0, 4.0)
    per_task: tuple[tuple[str, tuple[float, ...]], ...] = ()  # (task, grid) pairs that override the grids

    def for_task(self, task: str) -> "Options":
        grid = dict(self.per_task).get(task)
        if grid is None:
            return self
        return replace(self, sentiment_grid=grid) if task == "sentiment" else replace(self, grid=grid)


SEARCHED = Options()
PLAIN = Options(grid=(REGULARISATION,), tune_thresholds=False, sentiment_grid=(REGULARISATION,))
FAST = PLAIN  # what the shipped fast path is trained with (see the module's docstring)
RESCORER = SEARCHED
DEFAULT = FAST


def featurizers():
    characters = _vectorizer(analyzer="char_wb", ngram_range=(2, 5), max_features=CHARACTER_FEATURES)
    words = _vectorizer(analyzer="word", ngram_range=(1, 2), max_features=WORD_FEATURES, token_pattern=r"(?u)\b\w+\b")
    return characters, words


def train(examples: list[Example], options: Options = DEFAULT, tasks: tuple[str, ...] | None = None) -> Model:
    """The same examples give the same model: they are sorted first and every solver is deterministic.
    `tasks` (for evaluation) fits only those heads; the others are left at zero."""
    model, features, examples = featurize(examples)
    fit_heads(model, features, examples, options, tasks)
    return model


def featurize(examples: list[Example]):
    """(a Model with its featurizer fitted and no heads yet, the examples' features, the examples sorted)."""
    examples = sorted(examples, key=Example.sort_key)
    texts = [normalise(example.text) for example in examples]
    characters, words = featurizers()
    blocks = [characters.fit_transform(texts), words.fit_transform(texts), signal_block(texts)]
    for vectorizer in (characters, words):
        vectorizer.stop_words_ = None  # the terms cut by the caps: megabytes that transform() never reads
    model = Model(characters, words, weights=np.empty((0, 0)), bias=np.empty(0), fingerprint=fingerprint(examples),
                  sklearn_version=sklearn.__version__, examples=len(examples))
    features = sp.hstack(blocks, format="csr", dtype=np.float32)
    assert features.shape[1] == len(characters.vocabulary_) + len(words.vocabulary_) + len(SIGNALS)
    return model, features, examples


def fit_heads(model: Model, features, examples: list[Example], options: Options,
              tasks: tuple[str, ...] | None = None) -> None:
    """Fill model.weights / model.bias (features x outputs) with one head per task; features' rows are examples."""
    width = features.shape[1]
    weights = np.zeros((width, len(SENTIMENTS) + len(BINARY_TASKS)), dtype=np.float32)
    bias = np.zeros(len(SENTIMENTS) + len(BINARY_TASKS), dtype=np.float32)
    model.choices = {}
    if tasks is None or "sentiment" in tasks:
        head_weights, head_bias, choice = sentiment_head(features, examples, options.for_task("sentiment"))
        weights[:, :len(SENTIMENTS)], bias[:len(SENTIMENTS)] = head_weights, head_bias
        model.choices["sentiment"] = choice
    for task in BINARY_TASKS:
        if tasks is None or task in tasks:
            column = Model.column(task)
            head_weights, head_bias, choice = binary_head(features, examples, task, options.for_task(task))
            weights[:, column], bias[column] = head_weights[:, 0], head_bias[0]
            model.choices[task] = choice
    model.weights, model.bias = np.ascontiguousarray(weights), bias


def _vectorizer(**options) -> TfidfVectorizer:
    return TfidfVectorizer(lowercase=False, min_df=2, sublinear_tf=True, dtype=np.float32, **options)


def _classifier(c: float = REGULARISATION) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=RANDOM_STATE)


def balanced_weights(labelled: list[Example], target: np.ndarray) -> np.ndarray:
    """Each example's weight times its class's balancing factor within its language and collection: every class
    of a collection weighs as much as its others. Balanced over the whole head instead, Russian abuse (19 % of VK,
    11 % of the own Russian rows) was weighed like English abuse (a third of OLID), so 0.5 was a higher bar in
    Russian: VK toxic-class F1 0.525 -> 0.549 in the same folds. Balanced over a whole language, the own
    examples' many negative complaints stood in for the tweets' few negatives, and the sentiment head learnt
    that a tweet is rarely negative (bench notes in docs/decisions.md)."""
    weights = np.array([example.weight for example in labelled], dtype=np.float64)
    groups = np.array([f"{example.lang}|{collection(example)}" for example in labelled])
    for group in np.unique(groups):
        mine = groups == group
        classes = np.unique(target[mine])
        for value in classes:
            members = mine & (target == value)
            weights[members] *= mine.sum() / (len(classes) * members.sum())
    return weights


def collection(example: Example) -> str:
    """Which labelled collection an example comes from: a public set, the project's own examples (one file
    per task, so one class each: balanced together), or a workspace's corrections (no source)."""
    return example.source.split("/", 1)[0]


def rows_for(examples: list[Example], task: str) -> tuple[np.ndarray, list[Example]]:
    rows = [index for index, example in enumerate(examples) if task in example.labels]
    return np.array(rows, dtype=np.int64), [examples[index] for index in rows]


def best_threshold(scores: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(the decision score from which "yes" gives the best macro-F1, that F1). Only scores between the
    logits of 0.2 and 0.8 are tried: a head whose best cut lies further out is trusted less than the prior."""
    candidates = np.unique(np.quantile(scores, np.linspace(0.02, 0.98, 97)))
    candidates = candidates[(candidates > -1.386) & (candidates < 1.386)]
    best, best_f1 = 0.0, f1_score(target, scores >= 0, average="macro", zero_division=0)
    for candidate in candidates:
        f1 = f1_score(target, scores >= candidate, average="macro", zero_division=0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(candidate), f1
    return best, best_f1


def _compact(chosen):
    """The rows' matrix without the columns none of them uses, and those columns: the same optimum (an unused
    column's weight stays 0 under L2) for a fraction of the solver's work when a head has few rows."""
    chosen = sp.csr_matrix(chosen)
    used = np.unique(chosen.indices)
    return chosen[:, used], used


def _expand(coef_t: np.ndarray, used: np.ndarray, width: int) -> np.ndarray:
    full = np.zeros((width, coef_t.shape[1]), dtype=np.float64)
    full[used] = coef_t
    return full


def out_of_fold_scores(features, target, weights, c: float, folds: int) -> np.ndarray:
    scores = np.zeros(len(target))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
    for inner_train, inner_test in splitter.split(np.zeros(len(target)), target):
        classifier = _classifier(c).fit(features[inner_train], target[inner_train], sample_weight=weights[inner_train])
        scores[inner_test] = classifier.decision_function(features[inner_test])
    return scores


def binary_head(features, examples: list[Example], task: str, options: Options = DEFAULT):
    rows, labelled = rows_for(examples, task)
    target = np.array([float(example.labels[task]) >= 0.5 for example in labelled])
    if target.all() or not target.any():
        raise ValueError(f"the {task} examples must include both yes and no")
    weights = balanced_weights(labelled, target)
    chosen, used = _compact(features[rows])
    c, threshold, f1 = options.grid[0], 0.0, None
    searching = len(options.grid) > 1 or options.tune_thresholds
    if searching and min(target.sum(), (~target).sum()) >= options.inner_folds * 2:
        results = []
        for candidate in options.grid:
            scores = out_of_fold_scores(chosen, target, weights, candidate, options.inner_folds)
            cut, score = best_threshold(scores, target) if options.tune_thresholds else (
                0.0, f1_score(target, scores >= 0, average="macro"))
            results.append((score, -candidate, candidate, cut))
        f1, _, c, threshold = max(results)
    classifier = _classifier(c).fit(chosen, target, sample_weight=weights)
    bias = classifier.intercept_ - threshold
    choice = {"C": c, "threshold": round(threshold, 4), "inner_macro_f1": f1}
    return _expand(classifier.coef_.T, used, features.shape[1]), bias, choice


def sentiment_head(features, examples: list[Example], options: Options = DEFAULT):
    rows, labelled = rows_for(examples, "sentiment")
    target = np.array([SENTIMENTS.index(example.labels["sentiment"]) for example in labelled])
    weights = balanced_weights(labelled, target)
    chosen, used = _compact(features[rows])
    c, recall = options.sentiment_grid[0], None
    if len(options.sentiment_grid) > 1:
        results = []
        for candidate in options.sentiment_grid:
            scores = np.zeros((len(target), len(SENTIMENTS)))
            splitter = StratifiedKFold(n_splits=options.inner_folds, shuffle=True, random_state=RANDOM_STATE)
            for inner_train, inner_test in splitter.split(np.zeros(len(target)), target):
                classifier = _classifier(candidate).fit(chosen[inner_train], target[inner_train],
                                                        sample_weight=weights[inner_train])
                scores[inner_test] = classifier.decision_function(chosen[inner_test])
            guess = scores.argmax(axis=1)
            score = np.mean([np.mean(guess[target == k] == k) for k in range(len(SENTIMENTS))])
            results.append((score, -candidate, candidate))
        recall, _, c = max(results)
    classifier = _classifier(c).fit(chosen, target, sample_weight=weights)
    if list(classifier.classes_) != [0, 1, 2]:
        raise ValueError("the sentiment examples must include negative, neutral and positive ones")
    choice = {"C": c, "inner_macro_recall": recall}
    return _expand(classifier.coef_.T, used, features.shape[1]), classifier.intercept_, choice


def refit(base: Model, examples: list[Example], tasks: set[str]) -> Model:
    """A copy of `base` whose heads for `tasks` are fitted again on `examples`; its featurizer (vocabulary)
    and its other heads stay the base's. Retraining a workspace is then a matter of seconds, not a full build:
    only the rows labelled for the corrected tasks are featurized. C and the threshold are the base's choices:
    a few weighted corrections are too few to choose them again."""
    examples = sorted(examples, key=Example.sort_key)
    wanted = [example for example in examples if tasks & example.labels.keys()]
    features = base.features([normalise(example.text) for example in wanted])
    weights, bias = base.weights.copy(), base.bias.copy()
    choices = dict(getattr(base, "choices", {}) or {})
    if "sentiment" in tasks:
        c = choices.get("sentiment", {}).get("C", REGULARISATION)
        columns = slice(0, len(SENTIMENTS))
        weights[:, columns], bias[columns], _ = sentiment_head(features, wanted, Options(sentiment_grid=(c,)))
    for task in tasks - {"sentiment"}:
        choice = choices.get(task, {})
        column = Model.column(task)
        fixed = Options(grid=(choice.get("C", REGULARISATION),), tune_thresholds=False)
        head_weights, head_bias, _ = binary_head(features, wanted, task, fixed)
        weights[:, column], bias[column] = head_weights[:, 0], head_bias[0] - choice.get("threshold", 0.0)
    refitted = Model(base.characters, base.words, weights, bias, fingerprint=fingerprint(examples),
                     sklearn_version=sklearn.__version__, examples=len(examples))
    refitted.choices = choices | {"_refitted": sorted(set(choices.get("_refitted", ())) | tasks)}
    return refitted
