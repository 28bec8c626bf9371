"""How well a model labels comments it was not trained on: macro-F1 per task and per source, on the
deterministic held-out fifth (corpus.in_test_split). Thresholds are the plain 0.5 (argmax for sentiment),
never tuned on these texts."""

from collections import defaultdict
from dataclasses import dataclass

from sklearn.metrics import f1_score

from chorus.classify.corpus import TASKS, Example
from chorus.classify.labeller import label_with
from chorus.classify.model import Model


@dataclass(frozen=True)
class Score:
    task: str
    source: str  # a public set's name, or own/ru, own/en
    examples: int
    macro_f1: float


def held_out_scores(model: Model, examples: list[Example]) -> list[Score]:
    labels = label_with(model, [example.text for example in examples], [example.lang for example in examples])
    truth, guess = defaultdict(list), defaultdict(list)
    for example, found in zip(examples, labels, strict=True):
        source = f"own/{example.lang}" if example.source.startswith("own/") else example.source
        for task in TASKS:
            if task not in example.labels:
                continue
            if task == "sentiment":
                truth[task, source].append(example.labels[task])
                guess[task, source].append(max(vars(found.sentiment), key=vars(found.sentiment).get))
            else:
                truth[task, source].append(example.labels[task] >= 0.5)
                guess[task, source].append(getattr(found, task) >= 0.5)
    return [Score(task, source, len(truth[task, source]),
                  f1_score(truth[task, source], guess[task, source], average="macro", zero_division=0))
            for task, source in sorted(truth)]
