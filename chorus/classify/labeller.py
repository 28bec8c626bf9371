"""What the inbox asks: for each comment, its language, its sentiment and how likely it is spam, abuse, a
question, a complaint, praise or a lead.

    label_texts(["сколько стоит доставка в Казань"], lang_hints=["ru"])[0].as_dict()
    -> {"lang": "ru", "sentiment": {"negative": .., "neutral": .., "positive": ..}, "spam": .., "abuse": .., ...}

Models load once per process on first use and are shared by all threads; a workspace with its own
retrained model (see `retrain`) gets it by passing `workspace_slug`.
"""

from dataclasses import asdict, dataclass
from pathlib import Path

from chorus.classify.artefacts import default_shelf
from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS, Example
from chorus.classify.language import detect_language
from chorus.classify.model import Model
from chorus.classify.swearing import has_mat
from chorus.classify.text import normalise

__all__ = ["Example", "Labels", "Sentiment", "build", "label_text", "label_texts", "retrain"]

# Mat is hidden on a brand's page whatever the comment says, so a match lifts abuse to at least this.
MAT_IS_ABUSE = 0.9


@dataclass(frozen=True)
class Sentiment:
    negative: float
    neutral: float
    positive: float


@dataclass(frozen=True)
class Labels:
    lang: str
    sentiment: Sentiment
    spam: float
    abuse: float
    question: float
    complaint: float
    praise: float
    lead: float

    def as_dict(self) -> dict:
        return asdict(self)


def label_texts(texts: list[str], lang_hints: list[str | None] | None = None,
                workspace_slug: str | None = None) -> list[Labels]:
    """Label a batch of comments. `lang_hints` (the channel's or the author's language, one per text, or None)
    is used when a text is too short to tell its language by itself."""
    hints = list(lang_hints) if lang_hints is not None else [None] * len(texts)
    if len(hints) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(hints)} language hints")
    if not texts:
        return []
    return label_with(default_shelf().for_workspace(workspace_slug), texts, hints)


def label_text(text: str, lang_hint: str | None = None, workspace_slug: str | None = None) -> Labels:
    return label_texts([text], [lang_hint], workspace_slug)[0]


def build() -> Path:
    """Train the base model from the project's corpus and keep it where settings say (see artefacts)."""
    return default_shelf().build()


def retrain(workspace_slug: str, corrections: list[Example]) -> Path:
    """Keep a model for this workspace: the base corpus plus its people's corrections, each weighted up.
    A correction names only what was corrected, e.g. Example(text, "ru", {"spam": 1.0}) or {"sentiment": "negative"}."""
    return default_shelf().retrain(workspace_slug, corrections)


def label_with(model: Model, texts: list[str], hints: list[str | None]) -> list[Labels]:
    normalised = [normalise(text) for text in texts]
    sentiments, binary = model.probabilities(normalised)
    return [_labels(text, hint, sentiment, chances)
            for text, hint, sentiment, chances in zip(normalised, hints, sentiments, binary, strict=True)]


def _labels(normalised: str, hint: str | None, sentiment, chances) -> Labels:
    by_task = {task: float(chance) for task, chance in zip(BINARY_TASKS, chances, strict=True)}
    if has_mat(normalised):
        by_task["abuse"] = max(by_task["abuse"], MAT_IS_ABUSE)
    return Labels(lang=detect_language(normalised, hint),
                  sentiment=Sentiment(**{name: float(p) for name, p in zip(SENTIMENTS, sentiment, strict=True)}),
                  **by_task)
