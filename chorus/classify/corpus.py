"""The labelled comments the models learn from: the public sets the project carries and its own examples.

Public sets are kept byte for byte as published (gzip-compressed) under corpus/public/, so the same readers
serve the carried copies and the originals in ../shared/datasets/moderation/. The project's own examples in
corpus/own/*.jsonl are labelled for every task: a binary task a line does not name is 0 for that line.
"""

import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from chorus.classify.text import normalise
from chorus.home import PROJECT_DIR

TASKS = ("sentiment", "spam", "abuse", "question", "complaint", "praise", "lead")
BINARY_TASKS = TASKS[1:]
SENTIMENTS = ("negative", "neutral", "positive")
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SHARED_DIR = PROJECT_DIR.parent / "shared" / "datasets" / "moderation"
TEST_SHARE = 5  # one text in five is held out when quality is measured


@dataclass(frozen=True)
class Example:
    """One labelled comment. `labels` names only the tasks it is labelled for: a probability (or 0/1) for a
    binary task, "negative"/"neutral"/"positive" for sentiment."""

    text: str
    lang: str
    labels: dict[str, float | str]
    weight: float = 1.0
    source: str = field(default="", compare=False)

    def sort_key(self) -> tuple:
        return self.source, self.text, json.dumps(self.labels, sort_keys=True), self.weight


def check_labels(labels: dict) -> dict[str, float | str]:
    """The labels as the trainer reads them; a wrong name or value is a ValueError that says which."""
    checked = {}
    for task, value in labels.items():
        if task == "sentiment":
            if value not in SENTIMENTS:
                raise ValueError(_("sentiment must be one of %(choices)s, not %(value)r")
                                 % {"choices": ", ".join(SENTIMENTS), "value": value})
            checked[task] = value
        elif task in BINARY_TASKS:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(_("%(task)s must be a number from 0 to 1, not %(value)r")
                                 % {"task": task, "value": value})
            checked[task] = float(value)
        else:
            raise ValueError(_("unknown label %(task)r: the labels are %(tasks)s")
                             % {"task": task, "tasks": ", ".join(TASKS)})
    return checked


def carried_corpus() -> list[Example]:
    """Everything the shipped base model is trained on."""
    return public_examples(CORPUS_DIR / "public") + own_examples(CORPUS_DIR / "own")


def in_test_split(text: str) -> bool:
    """The deterministic held-out fifth: the same text (after normalising) is always on the same side, so a
    duplicate cannot sit in both train and test."""
    digest = hashlib.sha256(normalise(text).encode()).digest()
    return int.from_bytes(digest[:4], "big") % TEST_SHARE == 0


def fingerprint(examples: list[Example]) -> str:
    hasher = hashlib.sha256()
    for example in sorted(examples, key=Example.sort_key):
        hasher.update(json.dumps([example.text, example.lang, example.labels, example.weight],
                                 sort_keys=True, ensure_ascii=False).encode())
    return hasher.hexdigest()


# The project's own examples.

def own_examples(folder: Path) -> list[Example]:
    examples = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                labels = {task: 0.0 for task in BINARY_TASKS} | check_labels(record.get("labels", {}))
                examples.append(Example(record["text"], record["lang"], labels, source=f"own/{path.stem}"))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from exc
    return examples


# The public sets, read in the formats they are published in.

def public_examples(root: Path) -> list[Example]:
    return vk_toxicity(root) + youtube_spam(root) + tweeteval_offensive(root) + tweeteval_sentiment(root)


def _read(path: Path) -> str:
    """A file as published, or its gzip-compressed copy."""
    if path.exists():
        return path.read_text(encoding="utf-8")
    return gzip.decompress(path.with_name(path.name + ".gz").read_bytes()).decode("utf-8")


def _lines(path: Path) -> list[str]:
    text = _read(path)
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def vk_toxicity(root: Path) -> list[Example]:
    rows = csv.DictReader(io.StringIO(_read(root / "ru-vk-toxicity" / "russian_distorted_toxicity.tsv")),
                          delimiter="\t")
    return [Example(row["comments"], "ru", {"abuse": float(row["toxicity"])}, source="ru-vk-toxicity")
            for row in rows]


def youtube_spam(root: Path) -> list[Example]:
    folder = root / "youtube-spam"
    names = sorted({path.name.removesuffix(".gz") for path in folder.glob("Youtube*.csv*")})
    return [Example(row["CONTENT"], "en", {"spam": float(row["CLASS"])}, source="youtube-spam")
            for name in names for row in csv.DictReader(io.StringIO(_read(folder / name)))]


def _tweeteval(folder: Path, split: str) -> list[tuple[str, int]]:
    texts, labels = _lines(folder / f"{split}_text.txt"), _lines(folder / f"{split}_labels.txt")
    if len(texts) != len(labels):
        raise ValueError(f"{folder.name}/{split}: {len(texts)} texts but {len(labels)} labels")
    return [(text, int(label)) for text, label in zip(texts, labels, strict=True)]


def tweeteval_offensive(root: Path) -> list[Example]:
    folder = root / "tweeteval-offensive"
    return [Example(text, "en", {"abuse": float(label)}, source="tweeteval-offensive")
            for split in ("train", "val") for text, label in _tweeteval(folder, split)]


def tweeteval_sentiment(root: Path) -> list[Example]:
    return [Example(text, "en", {"sentiment": SENTIMENTS[label]}, source="tweeteval-sentiment")
            for text, label in _tweeteval(root / "tweeteval-sentiment", "val")]
