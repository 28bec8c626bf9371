"""What the issue asks to be measured: 5-fold stratified cross-validation on each shared set, per label and
language. For each fold of a set, the model is trained on the set's other folds PLUS the rest of the carried
corpus (what the product trains on), and labels the fold's texts the way the product does (`labeller.label_with`:
mat override included, 0.5 threshold, argmax for sentiment). Every choice the trainer makes (C, thresholds)
is made by CV inside the training part; the reported folds are never seen.

Duplicates (same normalised text) stay in one fold and are kept out of training while their fold is tested.
Out-of-fold predictions are pooled over the 5 folds, then scored:
* spam (youtube-spam) and abuse (ru-vk-toxicity, tweeteval-offensive): F1 of the positive class (spam, toxic /
  offensive) and macro-F1 over both classes;
* sentiment (tweeteval-sentiment): macro-recall (TweetEval's official metric) and macro-F1 over the 3 classes;
* own examples (corpus/own): macro-F1 per task and language, 5 folds of their own.

With `vectors` (embeddings of the corpus texts, see embeddings.Cache) the re-scorer is measured in the same
folds: on every item ("rescorer") and as the inbox runs it, `labeller.second_look`: the re-scorer's value where the
fast path was unsure of that label ("hybrid").
"""

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS, Example
from chorus.classify.text import normalise

# (set, task, language, bar) — the bars are the issue's.
SETS = (("youtube-spam", "spam", "en"), ("ru-vk-toxicity", "abuse", "ru"), ("tweeteval-offensive", "abuse", "en"),
        ("tweeteval-sentiment", "sentiment", "en"))
BARS = {"youtube-spam": ("spam_f1", 0.95), "ru-vk-toxicity": ("toxic_f1", 0.80),
        "tweeteval-offensive": ("macro_f1", 0.75), "tweeteval-sentiment": ("macro_recall", 0.68)}
FOLDS = 5
SEED = 0


@dataclass
class Pooled:
    truth: list
    before: list
    fast: list
    rescorer: list
    hybrid: list
    uncertain: list


def _split(members: list[Example], task: str, folds: int):
    groups = [normalise(e.text) for e in members]
    if task == "sentiment":
        target = [SENTIMENTS.index(e.labels[task]) for e in members]
    else:
        target = [int(float(e.labels[task]) >= 0.5) for e in members]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(members)), target, groups)), np.array(target)


def _guess(task: str, labels) -> int:
    if task == "sentiment":
        return SENTIMENTS.index(max(vars(labels.sentiment), key=vars(labels.sentiment).get))
    return int(getattr(labels, task) >= 0.5)


def _fold_models(train_examples, tasks, options, vectors_of, before, rescorer_options=None):
    """The fold's models, sharing one featurizer: (fast, re-scorer or None, the old trainer's fast or None)."""
    from copy import copy

    from chorus.classify import rescorer as rescoring
    from chorus.classify import training

    model, features, examples = training.featurize(train_examples)
    old = None
    if before is not None:
        old = copy(model)
        training.fit_heads(old, features, examples, before, tasks)
    training.fit_heads(model, features, examples, options or training.DEFAULT, tasks)
    extra = None
    if vectors_of is not None:
        extra = rescoring.fit(model, examples, vectors_of(examples), rescorer_options, tasks=tasks, features=features)
    return model, extra, old


def _label(model, extra, examples, vectors_of):
    from chorus.classify.labeller import label_with, labels_from

    texts, hints = [e.text for e in examples], [e.lang for e in examples]
    fast = label_with(model, texts, hints)
    if extra is None:
        return fast, None
    normalised = [normalise(t) for t in texts]
    sentiments, binary = extra.probabilities(model, normalised, vectors_of(examples))
    slow = [labels_from(n, f.lang, s, b) for n, f, s, b in zip(normalised, fast, sentiments, binary, strict=True)]
    return fast, slow


def cross_validate(corpus: list[Example], options=None, folds: int = FOLDS, vectors_of=None, own: bool = True,
                   sets=SETS, log=print, before=None) -> dict:
    """`before` (training Options) also measures a second trainer in the same folds ("before" rows)."""
    from chorus.classify.labeller import second_look, unsure_of

    results = {}
    for name, task, lang in sets:
        members = [e for e in corpus if e.source == name]
        splits, target = _split(members, task, folds)
        pooled = Pooled([], [], [], [], [], [])
        started = time.perf_counter()
        for number, (_train, test) in enumerate(splits, 1):
            tested = [members[i] for i in test]
            held = {normalise(e.text) for e in tested}
            training_part = [e for e in corpus if normalise(e.text) not in held]
            model, extra, old = _fold_models(training_part, (task,), options, vectors_of, before)
            fast, slow = _label(model, extra, tested, vectors_of)
            if old is not None:
                pooled.before.extend(_guess(task, f) for f in _label(old, None, tested, None)[0])
            pooled.truth.extend(target[test])
            pooled.fast.extend(_guess(task, f) for f in fast)
            if slow is not None:
                pooled.uncertain.extend(unsure_of(f, task) for f in fast)
                pooled.rescorer.extend(_guess(task, s) for s in slow)
                pooled.hybrid.extend(_guess(task, second_look(f, s)) for f, s in zip(fast, slow, strict=True))
            log(f"  {name} fold {number}/{folds}: trained on {len(training_part)} in "
                f"{time.perf_counter() - started:.0f} s so far")
        results[name] = {"task": task, "lang": lang, "examples": len(members)} | {
            kind: _scores(task, pooled.truth, guesses)
            for kind, guesses in (("before", pooled.before), ("fast", pooled.fast), ("rescorer", pooled.rescorer),
                                  ("hybrid", pooled.hybrid))
            if guesses}
        if pooled.uncertain:
            results[name]["rescored_share"] = round(float(np.mean(pooled.uncertain)), 3)
    if own:
        results |= own_cross_validation(corpus, options, folds, vectors_of, log, before)
    return results


def own_cross_validation(corpus, options, folds, vectors_of, log, before=None) -> dict:
    members = [e for e in corpus if e.source.startswith("own/")]
    groups = [normalise(e.text) for e in members]
    truth, guesses = defaultdict(list), defaultdict(list)
    started = time.perf_counter()
    for number, (_train, test) in enumerate(GroupKFold(n_splits=folds).split(members, groups=groups), 1):
        tested = [members[i] for i in test]
        held = {normalise(e.text) for e in tested}
        training_part = [e for e in corpus if normalise(e.text) not in held]
        model, extra, old = _fold_models(training_part, None, options, vectors_of, before)
        fast, slow = _label(model, extra, tested, vectors_of)
        previous = _label(old, None, tested, None)[0] if old is not None else None
        for index, example in enumerate(tested):
            for task in example.labels:
                if task != "sentiment" and task not in BINARY_TASKS:
                    continue
                key = (task, example.lang)
                truth[key].append(SENTIMENTS.index(example.labels[task]) if task == "sentiment"
                                  else int(float(example.labels[task]) >= 0.5))
                guesses[key, "fast"].append(_guess(task, fast[index]))
                if previous is not None:
                    guesses[key, "before"].append(_guess(task, previous[index]))
                if slow is not None:
                    guesses[key, "rescorer"].append(_guess(task, slow[index]))
        log(f"  own fold {number}/{folds}: {time.perf_counter() - started:.0f} s so far")
    results = {}
    for (task, lang), values in sorted(truth.items()):
        results[f"own/{lang}/{task}"] = {"task": task, "lang": lang, "examples": len(values)} | {
            kind: _scores(task, values, guesses[(task, lang), kind])
            for kind in ("before", "fast", "rescorer") if guesses.get(((task, lang), kind))}
    return results


def _scores(task: str, truth, guess) -> dict:
    truth, guess = np.asarray(truth), np.asarray(guess)
    scores = {"macro_f1": f1_score(truth, guess, average="macro", zero_division=0)}
    if task == "sentiment":
        scores["macro_recall"] = recall_score(truth, guess, average="macro", zero_division=0)
        scores["accuracy"] = float(np.mean(truth == guess))
    else:
        positive = "spam_f1" if task == "spam" else "toxic_f1" if task == "abuse" else "yes_f1"
        scores[positive] = f1_score(truth, guess, pos_label=1, zero_division=0)
        scores["precision"] = precision_score(truth, guess, pos_label=1, zero_division=0)
        scores["recall"] = recall_score(truth, guess, pos_label=1, zero_division=0)
    return {key: round(float(value), 4) for key, value in scores.items()}


def table(results: dict) -> str:
    """One line per set (or own task and language) and model kind; the issue's bar where it sets one."""
    lines = [f"{'set':22} {'task':9} {'lang':4} {'n':>6} {'model':9} {'pos-class F1':>12} {'macro-F1':>8} "
             f"{'macro-rec':>9} {'P':>6} {'R':>6}  bar"]
    for name, result in results.items():
        for kind in ("before", "fast", "rescorer", "hybrid"):
            if kind not in result:
                continue
            s = result[kind]
            positive = s.get("spam_f1", s.get("toxic_f1", s.get("yes_f1")))
            bar = ""
            if name in BARS and kind != "rescorer":
                metric, floor = BARS[name]
                bar = f"{metric} >= {floor}: {'met' if s[metric] >= floor else 'NOT met'} ({s[metric]:.3f})"
            if kind == "hybrid" and "rescored_share" in result:
                bar += f"  [{result['rescored_share']:.0%} re-scored]"
            fmt = lambda v: f"{v:.3f}" if v is not None else "-"  # noqa: E731
            lines.append(f"{name:22} {result['task']:9} {result['lang']:4} {result['examples']:6} {kind:9} "
                         f"{fmt(positive):>12} {s['macro_f1']:8.3f} {fmt(s.get('macro_recall')):>9} "
                         f"{fmt(s.get('precision')):>6} {fmt(s.get('recall')):>6}  {bar}")
    return "\n".join(lines)
