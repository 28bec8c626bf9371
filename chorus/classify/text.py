"""What a comment looks like before anything reads it: network markup gone, one case, one kind of space."""

import html
import re

# VK writes a reply's addressee as [id123|Name] (or club/public for communities): the name says nothing about
# the comment, and a model that learned names would learn the people, not what they wrote.
VK_MENTION = re.compile(r"\[(?:id|club|public)\d+\|[^\]]*\]")
HTML_TAG = re.compile(r"<[^>]{0,200}>")
SPACES = re.compile(r"\s+")
URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|ru|рф|net|org|io|me|ly|be|gl|cc|xyz|info|"
                 r"shop|site|online|store|top|biz|su|tk|pro|link)(?:/\S*)?\b", re.IGNORECASE)
MENTION = re.compile(r"(?<!\w)@\w+")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")


def normalise(text: str) -> str:
    """The form every feature is computed on: no VK mention markup, no HTML, one space, lower case."""
    text = VK_MENTION.sub(" ", text)
    text = HTML_TAG.sub(" ", html.unescape(text))
    return SPACES.sub(" ", text).strip().lower()


def words_for_language(text: str) -> str:
    """Only the words: links, addresses, mentions, digits and emoji carry no language and mislead the detector."""
    text = URL.sub(" ", EMAIL.sub(" ", MENTION.sub(" ", text)))
    letters = "".join(char if char.isalpha() or char in "'-" else " " for char in text)
    return SPACES.sub(" ", letters).strip()
