"""Where trained models are kept and how a process gets them: loaded once, lazily, behind a lock, and shared
by every thread; trained on the spot when the file is missing.

The base model's file name carries a hash of the corpus and the scikit-learn version: a new corpus or a
library upgrade looks for a file that does not exist yet and trains one, instead of unpickling a stale model.
A workspace's own model shares the base model's featurizer; the heads of the tasks its corrections name are
fitted again on the base corpus plus those corrections, weighted up. The corrections are kept beside it as JSON,
and its file name carries the base model's key (corpus hash, library, format): after a corpus change or an
upgrade the first use finds no file for the new base and fits the kept corrections again on it, instead of
labelling with a model whose featurizer and other heads are the old base's (or unpickling one built by an older
scikit-learn).
"""

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import sklearn
from django.conf import settings
from django.utils.translation import gettext as _

from chorus.classify import model as stored
from chorus.classify.comment_files import read_corrections, write_jsonl
from chorus.classify.corpus import Example, carried_corpus, check_labels, fingerprint
from chorus.classify.model import Model
from chorus.classify.training import refit, train

logger = logging.getLogger(__name__)

# One correction counts as this many corpus examples: a moderator's "this is spam" must move the workspace's
# model after a handful of clicks, against ~25,000 public and project examples.
CORRECTION_WEIGHT = 20.0
WORKSPACES_KEPT = 8  # workspace models held in memory at once (tens of MB each)
WORKSPACE_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
CORRECTIONS = "corrections.jsonl"  # beside a workspace's model: what it learnt, to learn again on a new base


def models_dir() -> Path:
    return Path(getattr(settings, "CHORUS_CLASSIFY_MODELS", None) or settings.HOME / "models")


class Shelf:
    """The models of one install: the base model and each workspace's own."""

    def __init__(self, directory: Path, corpus: Callable[[], list[Example]] = carried_corpus,
                 workspaces: Path | None = None):
        self.directory = Path(directory)
        self.workspaces_directory = Path(workspaces) if workspaces else self.directory / "workspaces"
        self._read_corpus = corpus
        self._corpus_hash: str | None = None
        self._base: Model | None = None
        self._workspaces: OrderedDict[str, tuple[int, Model]] = OrderedDict()
        self._lock = threading.RLock()

    # Paths.

    def corpus(self) -> list[Example]:
        # Read again when needed rather than kept: a web process that only labels need not hold 20,000 examples.
        return self._read_corpus()

    def base_path(self) -> Path:
        return self.directory / f"base-{self._base_key()}.pkl"

    def workspace_path(self, slug: str) -> Path:
        """workspaces/<slug>/<the base model's key>.pkl: one folder per workspace, so another base's file is
        found (and replaced) without a slug that begins like this one matching it."""
        if not WORKSPACE_SLUG.match(slug):
            raise ValueError(_("%(slug)r is not a workspace slug") % {"slug": slug})
        return self.workspaces_directory / slug / f"{self._base_key()}.pkl"

    def _base_key(self) -> str:
        with self._lock:
            if self._corpus_hash is None:
                self._corpus_hash = fingerprint(self.corpus())[:16]
        return f"{self._corpus_hash}-sklearn{sklearn.__version__}-f{stored.FORMAT}"

    # Models.

    def base(self) -> Model:
        if self._base is None:
            with self._lock:
                if self._base is None:
                    path = self.base_path()
                    self._base = self._load(path) if path.exists() else None
                    self._base = self._base or self._train_base(path)
        return self._base

    def for_workspace(self, slug: str | None) -> Model:
        """The workspace's own model when it has one, else the base model."""
        if not slug:
            return self.base()
        path = self.workspace_path(slug)
        try:
            modified = path.stat().st_mtime_ns
        except FileNotFoundError:
            if not self._relearn(slug, path):
                return self.base()
            modified = path.stat().st_mtime_ns
        with self._lock:
            kept = self._workspaces.get(slug)
            if kept is None or kept[0] != modified:
                # Another process may have retrained it since we loaded it: the file's mtime tells us.
                kept = (modified, stored.load(path))
                self._workspaces[slug] = kept
            self._workspaces.move_to_end(slug)
            while len(self._workspaces) > WORKSPACES_KEPT:
                self._workspaces.popitem(last=False)
            return kept[1]

    def build(self) -> Path:
        """Train the base model from the corpus again and keep it."""
        with self._lock:
            self._corpus_hash = None  # the corpus may have changed since this process started
            path = self.base_path()
            self._base = self._train_base(path)
            return path

    def retrain(self, slug: str, corrections: list[Example]) -> Path:
        path = self.workspace_path(slug)
        weighted = [replace(c, labels=check_labels(c.labels), weight=CORRECTION_WEIGHT, source="correction")
                    for c in corrections]
        tasks = {task for correction in weighted for task in correction.labels}
        if not tasks:
            raise ValueError(_("The corrections name no labels."))
        started = time.perf_counter()
        model = refit(self.base(), self.corpus() + weighted, tasks)
        stored.save(model, path)
        write_jsonl(path.with_name(CORRECTIONS), [{"text": c.text, "lang": c.lang, "labels": c.labels}
                                                  for c in weighted])
        for stale in path.parent.glob("*.pkl"):
            if stale != path:
                stale.unlink(missing_ok=True)
        logger.info("classify: retrained workspace %s with %d corrections in %.1f s", slug, len(weighted),
                    time.perf_counter() - started)
        with self._lock:
            self._workspaces.pop(slug, None)
        return path

    def _relearn(self, slug: str, path: Path) -> bool:
        """A model of this workspace built on another base: its corrections fitted again on this one (True), or
        nothing to learn from (False: the base model serves). Under the lock, so two threads fit them once."""
        with self._lock:
            if path.exists():
                return True
            kept = path.with_name(CORRECTIONS)
            if not kept.exists():
                return False
            corrections, _bad = read_corrections(kept)  # written by retrain(), from checked corrections
            logger.info("classify: workspace %s was trained on another base model; fitting its %d corrections "
                        "again", slug, len(corrections))
            self.retrain(slug, corrections)
            return True

    @staticmethod
    def _load(path: Path) -> Model | None:
        try:
            return stored.load(path)
        except Exception:  # a file no longer readable (numpy's pickles changed, a disk error) is trained again
            logger.warning("classify: cannot read %s, training it again", path.name, exc_info=True)
            return None

    def _train_base(self, path: Path) -> Model:
        started = time.perf_counter()
        model = train(self.corpus())
        stored.save(model, path)
        logger.info("classify: trained the base model on %d examples in %.1f s (%s)", model.examples,
                    time.perf_counter() - started, path.name)
        return model


_default: Shelf | None = None
_default_lock = threading.Lock()


def default_shelf() -> Shelf:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Shelf(models_dir())
    return _default
