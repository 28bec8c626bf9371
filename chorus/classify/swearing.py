"""Russian mat, plain and masked: "бл*ть", "х у й", "xуй" with Latin letters, "п@зд…", "пиzдец", "nahuy".

A moderator hides mat whatever the comment is about, so a match is a high-precision override for the abuse
label, not a classifier: most rude comments have no mat in them, and those are the model's job.
Masking hides letters, so the word roots are written out and every way of hiding part of a root behind a
mask is tried; roots that also start ordinary words ("еб" in "себе", "муд" in "мудрый") are matched only at
the start of a word, after the prefixes mat takes ("за-", "на-", "вы-", "у-" ...); "Ебург" is Yekaterinburg.
"""

import functools
import re

MASK = "*"
MASK_CHARS = re.compile(r"[*@#$%&…]+")
SEPARATORS = re.compile(r"[.\-_]+")
REPEATS = re.compile(r"(.)\1+")
EDGES = re.compile(r"^(?:[^\w*@#$%&…]|[@#](?=\w))+|[^\w*@#$%&….]+$")  # a leading @ or # is a mention
CYRILLIC = re.compile(r"[а-я]")
LATIN_WORD = re.compile(r"^[a-z]+$")
PLAIN_CYRILLIC = re.compile(r"^[а-я]+$")

# People hide Cyrillic letters behind Latin lookalikes and transliteration; "n" and "u" go both ways.
_SHARED = {"a": "а", "b": "б", "c": "с", "d": "д", "e": "е", "g": "г", "h": "х", "i": "и", "j": "й", "k": "к",
           "l": "л", "m": "м", "o": "о", "p": "р", "r": "р", "s": "с", "t": "т", "v": "в", "w": "ш", "x": "х",
           "y": "у", "z": "з", "0": "о", "3": "з", "4": "ч", "6": "б", "9": "я"}
LOOKALIKES = (str.maketrans({**_SHARED, "n": "н", "u": "у"}), str.maketrans({**_SHARED, "n": "п", "u": "и"}))

HU_PREFIXES = ("на", "по", "за", "от", "ни", "до", "о", "а", "с")
EB_PREFIXES = ("за", "на", "вы", "у", "по", "про", "при", "до", "от", "отъ", "оть", "раз", "разъ", "разь", "съ",
               "сь", "въ", "вь", "подъ", "подь", "об", "объ", "обь", "изъ", "взъ", "долбо", "недо")


def _hidden(root: str, keep_ends: bool) -> list[str]:
    """The root and its forms with one run of letters behind a mask. A mask may hide two letters at most and
    must leave two; inside a word ("распиздяй") it must also leave the first and last, or "пе*" would match."""
    forms = [re.escape(root)]
    for start in range(int(keep_ends), len(root) - int(keep_ends)):
        for end in range(start + 1, min(start + 2, len(root) - int(keep_ends)) + 1):
            if len(root) - (end - start) >= 2:
                forms.append(re.escape(root[:start]) + re.escape(MASK) + re.escape(root[end:]))
    return forms


def _any_of(roots: tuple[str, ...], keep_ends: bool = False) -> str:
    return "(?:" + "|".join(form for root in roots for form in _hidden(root, keep_ends)) + ")"


def _prefixed(prefixes: tuple[str, ...], roots: tuple[str, ...]) -> str:
    return "^(?:" + "|".join(prefixes) + ")?" + _any_of(roots)


ROOTS = re.compile("|".join([
    _any_of(("пизд", "пезд"), keep_ends=True),
    _prefixed(HU_PREFIXES, ("хуй", "хуе", "хуя", "хую", "хуи")),
    r"(?!^ебур[гж])" + _prefixed(EB_PREFIXES, ("еба", "ебу", "ебл", "ебн", "ебе", "ебы", "еби", "ебш")),
    "^" + _any_of(("уебок", "уебищ", "уебан", "долбоеб", "мудак", "мудач", "мудил", "мудоз", "мудло", "пидор",
                   "пидар", "пидр", "педик", "педер", "залуп", "гандон", "гондон")),
    "^" + _any_of(("сука", "суки", "суке", "суку", "сукой", "сучка", "сучки", "сучара", "сучий", "еб")) + "$",
    # "бля" and its forms, but not "бляха" or "блямба": after the root comes the end, or д/т.
    r"^(?:бл[я*]|б\*я)(?:[дт*]\w*)?$|^б\*[дт]ь$",
]))

TRANSLIT = re.compile(r"^(?:na|po|za|ni|o|a)hu[yij]|^hu[yij](?:nya|nja|na|lo|la)|pi?zd|pezd|^bl[yj]a(?:t|d)?\w*$"
                      r"|^(?:za|na|vy|u|po|pro|ot|do|raz)?eb(?:a[tlnsh]|l[ao]n|n[uy])|^mudak|^pid[oa]r|^gandon")


def has_mat(text: str) -> bool:
    """Whether the (lower-cased) text swears in Russian mat, however it is masked."""
    text = text.lower().replace("ё", "е")
    return any(_is_mat(word) for word in words(text))


def words(text: str) -> list[str]:
    """The text's words without the punctuation around them, letters spelled out one by one joined again."""
    chunks = [EDGES.sub("", chunk) for chunk in text.split()]
    found, letters = [], []
    for chunk in chunks + [""]:
        # "х у й": single letters in a row are one word spelled out.
        if len(chunk) == 1 and chunk.isalpha():
            letters.append(chunk)
            continue
        if len(letters) >= 3:
            found.append("".join(letters))
        found.extend(letters if len(letters) < 3 else [])
        letters = []
        if chunk:
            found.append(chunk)
    return found


@functools.lru_cache(maxsize=65536)
def _is_mat(word: str) -> bool:
    return any(_root_in(form) for form in forms(word))


def forms(word: str) -> set[str]:
    """The spellings a word may hide: masks as "*", Latin lookalikes read as Cyrillic ("latin:" words as they are)."""
    if PLAIN_CYRILLIC.match(word):
        return {REPEATS.sub(r"\1", word)}  # most words: nothing hidden, one form to try
    # A dot, dash or underscore either spells the word out ("х.у.й") or hides a letter ("бл.ть"): try both.
    bare = word.rstrip(".")
    candidates = {SEPARATORS.sub("", bare), SEPARATORS.sub(MASK, bare), SEPARATORS.sub(MASK, word)}
    forms = set()
    for candidate in candidates:
        candidate = MASK_CHARS.sub(MASK, candidate)
        if LATIN_WORD.match(candidate):
            forms.add("latin:" + REPEATS.sub(r"\1", candidate))
        elif CYRILLIC.search(candidate):
            forms.update(REPEATS.sub(r"\1", candidate.translate(table)) for table in LOOKALIKES)
    return forms


def _root_in(form: str) -> bool:
    if form.startswith("latin:"):
        return bool(TRANSLIT.search(form.removeprefix("latin:")))
    return bool(ROOTS.search(form))
