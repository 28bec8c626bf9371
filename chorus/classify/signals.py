"""Cheap signals the n-grams see poorly: how many links, a push to talk elsewhere, a phone number, mat, insults by
kind (`insults`: a Russian insult has too many forms and synonyms for a few thousand examples to teach), and
VADER's reading of the comment's mood (a rated English lexicon with negation, boosters and emoji rules, MIT,
shipped inside the vadersentiment wheel): ~2,000 labelled tweets cannot teach TF-IDF what "not bad" or "😡" say.
For a Russian comment VADER reads only its emoji and English words, and otherwise says nothing (zeros).
"""

import re
import threading

import numpy as np

from chorus.classify.insults import KINDS as INSULT_KINDS
from chorus.classify.insults import kinds as insult_kinds
from chorus.classify.swearing import has_mat
from chorus.classify.text import MENTION, URL

# Spam takes the talk somewhere the page's moderator cannot see: DMs, a messenger, a profile link.
CONTACT_PUSH = re.compile(
    r"пиш[иу](?:те)?\s+(?:мне\s+)?в\s+(?:лс|л/с|личк|личн|директ|телег|тг|вотсап|ватсап|whatsapp|telegram)"
    r"|\bв\s+(?:лс|л/с|личку|директ)\b|(?:ссылк\w*|подробн\w*|инф\w*)\s+(?:в|у)\s+(?:профил|шапк|био|описани)"
    r"|переход\w*\s+по\s+ссылке|взаимн\w*\s+подпис|подпиш(?:ись|итесь)\s+(?:на\s+)?(?:мой|мою|меня|наш)"
    r"|заходи(?:те)?\s+(?:ко\s+мне|на\s+мою|на\s+мой)|добавляй(?:ся|тесь)\s+в\s+друзья"
    r"|\bt\.me/|\bwa\.me/|\b(?:dm|message|text|inbox)\s+me\b|check\s+(?:out\s+)?my\s+(?:channel|page|profile|video)"
    r"|subscribe\s+to\s+(?:my|me)|follow\s+(?:me|for\s+follow)|link\s+in\s+(?:my\s+)?bio|visit\s+my\b|sub4sub|f4f"
    r"|\b(?:whatsapp|telegram|viber)\b\s*[:+@]?\s*[@+\d]",
    re.IGNORECASE)
PHONE = re.compile(r"(?<!\d)(?:\+?\d[\s\-().]{0,2}){10,13}(?!\d)")
NAMES = ("links", "mentions", "contact_push", "phone", "mat", "question_mark", "lexicon_negative",
         "lexicon_positive", "mood_positive", "mood_negative", *INSULT_KINDS, "insult_at_you")

_analyzer = None
_lock = threading.Lock()


def mood(normalised: str) -> tuple[float, float, float, float]:
    """VADER's (negative share, positive share, compound if above 0, minus compound if below 0), each 0..1."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analyzer = SentimentIntensityAnalyzer()
    scores = _analyzer.polarity_scores(normalised)
    compound = scores["compound"]
    return scores["neg"], scores["pos"], max(compound, 0.0), max(-compound, 0.0)


def signals(normalised: str) -> np.ndarray:
    """The signals of one normalised comment, each scaled to 0..1 like the TF-IDF weights beside them."""
    insults = insult_kinds(normalised)
    return np.array([
        min(len(URL.findall(normalised)), 3) / 3,
        min(len(MENTION.findall(normalised)), 3) / 3,
        float(bool(CONTACT_PUSH.search(normalised))),
        float(bool(PHONE.search(normalised))),
        float(has_mat(normalised)),
        float("?" in normalised),
        *mood(normalised),
        *(float(insults[kind] > 0) for kind in INSULT_KINDS),
        float(insults["at_you"]),
    ], dtype=np.float64)
