"""What the inbox asks: for each comment, its language, its sentiment and how likely it is spam, abuse, a
question, a complaint, praise or a lead.

    label_texts(["сколько стоит доставка в Казань"], lang_hints=["ru"])[0].as_dict()
    -> {"lang": "ru", "sentiment": {"negative": .., "neutral": .., "positive": ..}, "spam": .., "abuse": .., ...}

Models load once per process on first use and are shared by all threads; a workspace with its own
retrained model (see `retrain`) gets it by passing `workspace_slug`.
"""

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from chorus.classify.artefacts import default_shelf
from chorus.classify.corpus import BINARY_TASKS, SENTIMENTS, Example
from chorus.classify.language import detect_language
from chorus.classify.model import Model
from chorus.classify.swearing import has_mat
from chorus.classify.text import normalise

__all__ = ["Example", "Labels", "Sentiment", "build", "build_rescorer", "is_uncertain", "label_text", "label_texts",
           "rescore", "retrain", "second_look"]

# Mat is hidden on a brand's page whatever the comment says, so a match lifts abuse to at least this.
MAT_IS_ABUSE = 0.9
# The fast path is unsure of a binary label between these chances, or of sentiment when no class reaches
# SURE_SENTIMENT: such labels are worth the background re-scorer's 27 ms (see `is_uncertain`). Sentiment is
# re-scored up to 0.8 because the re-scorer reads moods better than the fast path even where it is fairly sure
# (TweetEval macro-recall, docs/decisions.md).
UNSURE = (0.3, 0.7)
SURE_SENTIMENT = 0.8
# The labels the re-scorer measurably improves (README); the intents keep the fast path's.
RESCORED = ("sentiment", "spam", "abuse")


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


def build_rescorer(progress=None) -> Path:
    """Build the background re-scorer's heads for the installed base model and write them over the shipped
    chorus/classify/rescorer.npz. Embeds every corpus text once (~27 ms each on one core, ~15 min; kept in
    CHORUS_HOME/models/e5-cache.npz, so a second build takes a minute or two). The same corpus and library
    versions give the same file."""
    from chorus.classify import rescorer as rescoring
    from chorus.classify.artefacts import models_dir
    from chorus.classify.embeddings import Cache

    shelf = default_shelf()
    base, examples = shelf.base(), shelf.corpus()
    vectors = Cache(models_dir() / "e5-cache.npz").embed([e.text for e in examples], progress=progress)
    path = rescoring.save(rescoring.fit(base, examples, vectors))
    rescoring.forget()
    return path


def retrain(workspace_slug: str, corrections: list[Example]) -> Path:
    """Keep a model for this workspace: the base corpus plus its people's corrections, each weighted up.
    A correction names only what was corrected, e.g. Example(text, "ru", {"spam": 1.0}) or {"sentiment": "negative"}."""
    return default_shelf().retrain(workspace_slug, corrections)


def label_with(model: Model, texts: list[str], hints: list[str | None]) -> list[Labels]:
    normalised = [normalise(text) for text in texts]
    sentiments, binary = model.probabilities(normalised)
    return [labels_from(text, detect_language(text, hint), sentiment, chances)
            for text, hint, sentiment, chances in zip(normalised, hints, sentiments, binary, strict=True)]


def labels_from(normalised: str, lang: str, sentiment, chances) -> Labels:
    by_task = {task: float(chance) for task, chance in zip(BINARY_TASKS, chances, strict=True)}
    if has_mat(normalised):
        by_task["abuse"] = max(by_task["abuse"], MAT_IS_ABUSE)
    return Labels(lang=lang,
                  sentiment=Sentiment(**{name: float(p) for name, p in zip(SENTIMENTS, sentiment, strict=True)}),
                  **by_task)


def is_uncertain(labels: Labels, tasks: tuple[str, ...] = RESCORED) -> bool:
    """Whether the background re-scorer should look at this item: a label among `tasks` the fast path is unsure
    of. Intents can be added to `tasks`."""
    return any(unsure_of(labels, task) for task in tasks)


def unsure_of(labels: Labels, task: str) -> bool:
    if task == "sentiment":
        return max(vars(labels.sentiment).values()) < SURE_SENTIMENT
    return UNSURE[0] <= getattr(labels, task) <= UNSURE[1]


def second_look(fast: Labels, slow: Labels, kept: set[str] = frozenset()) -> Labels:
    """The re-scorer's word on each label it improves and the fast path was unsure of; where the fast path was
    sure, or for tasks in `kept`, its labels stay. The inbox's labels are these, and so are the measured ones."""
    return replace(fast, **{task: getattr(slow, task) for task in RESCORED
                            if task not in kept and unsure_of(fast, task)})


def rescore(texts: list[str], lang_hints: list[str | None] | None = None,
            workspace_slug: str | None = None) -> list[Labels]:
    """The slower, better labels (TF-IDF + multilingual-e5 embeddings, ~27 ms per comment on one core), for the
    background worker to run on items `is_uncertain` flags; same shape as `label_texts`, the re-scorer's values
    only where `second_look` takes them. Where the shipped re-scorer does not fit the installed fast model, or
    for tasks a workspace's corrections retrained, the fast labels are returned unchanged."""
    from chorus.classify import rescorer as rescoring

    hints = list(lang_hints) if lang_hints is not None else [None] * len(texts)
    if len(hints) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(hints)} language hints")
    if not texts:
        return []
    shelf = default_shelf()
    model, base = shelf.for_workspace(workspace_slug), shelf.base()
    fast = label_with(model, texts, hints)
    slow = rescoring.for_model(base)
    if slow is None:
        return fast
    normalised = [normalise(text) for text in texts]
    sentiments, binary = slow.probabilities(base, normalised)
    kept = set(getattr(model, "choices", {}).get("_refitted", ()))
    return [second_look(quick, labels_from(text, quick.lang, sentiment, chances), kept)
            for text, quick, sentiment, chances in zip(normalised, fast, sentiments, binary, strict=True)]
