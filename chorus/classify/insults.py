"""Words that insult, degrade, threaten or silence, in Russian and English, found by kind however they are
inflected or masked ("дебилы", "ид*от", "идuoт", "stuuupid").

TF-IDF learns a word it has seen; a Russian insult has a dozen endings and a hundred synonyms, and three thousand
labelled comments show most of them once or never. A column per kind of word lets every insult lend its weight to
the others, and "at you" (an insult in a comment that speaks to someone: "ты", "вы", "you") tells a personal
attack from a harsh word about a third party. These are signals for the model, not verdicts: "тупое приложение"
is criticism and "дурак" can be fond.

Roots match at the start of a word (after masks and lookalike letters are undone as `swearing` does), or the
whole word when they end in "$"; repeated letters are collapsed, as people stretch words ("дебиииил").
"""

import functools
import re

from chorus.classify.swearing import MASK, REPEATS, forms, words

KINDS = ("insult", "slur", "threat", "silencing", "vulgar")

RUSSIAN = {
    # Calling a person stupid, worthless, vile or mad; a comment about a person, not a thing, mostly.
    "insult": (
        "дебил", "идиот", "имбецил", "кретин", "даун$", "дауны$", "дауна$", "дауну$", "дегенерат", "олигофрен",
        "придур", "дурак", "дура$", "дуры$", "дуре$", "дуру$", "дурой$", "дурачок", "дурачь", "дурачк",
        "дурень", "дуралей", "тупиц", "тупой$", "тупая$", "тупые$", "тупых$", "тупым$", "тупого$", "тупорыл",
        "тупоголов", "тупень", "недоум", "недоразвит", "умалишен", "слабоум", "безмозгл", "одноклеточн", "шизик",
        "шизоид", "психопат", "конченый", "конченая", "конченые", "конченых", "мразь", "мрази", "мразот", "тварь",
        "твари$", "тварей", "тварин", "гнида", "гниды", "гниде", "гниду", "сволоч", "подонок", "подонк", "ублюд",
        "выродок", "выродк", "недонос", "ушлеп", "урод$", "уроды$", "урода$", "уродов$", "уродина", "уродец",
        "быдл", "чмо$", "чмош", "чмыр", "падла", "падлы", "паскуд", "мерзав", "негодя", "ничтожеств", "ничтожн",
        "отброс", "отребье", "биомусор", "скотин", "скоты$", "свинья", "свиньи", "свиней$", "свинот", "свинорыл",
        "лох$", "лохи$", "лоха$", "лохов$", "лошар", "лошок", "дрянь", "гад$", "гады$", "гадина", "гадюк", "гаденыш",
        "шваль", "сброд", "шобла", "убогий", "убогие", "убогая", "убожеств", "ущербн", "нищеброд", "холоп",
        "бездарь", "бездарност", "клоун", "чучело", "овощ$", "животное$", "нелюдь", "нелюди", "упыр", "вурдалак",
        "паразит", "ничтож", "жирдяй", "жиробас", "рукожоп", "криворук", "безрук", "дно$", "позорищ", "ворюг",
        "жулье", "мошенники$", "аферист", "лжец", "брехун", "балабол", "пустобрех", "трепло", "истеричк",
        "неадекват", "шлюх", "шалав", "проститутк", "подстилк", "давалк", "петушар", "опущен", "мудозвон",
        "сопляк", "щенок", "молокосос", "малолетк", "дармоед", "бомжар", "гопник", "чушпан", "додик", "тормоз$",
        "баран$", "бараны$", "овца$", "овцы$", "курица$", "козел$", "козла$", "козлы$", "козлина", "осел$",
        "ослы$", "ишак", "олух", "болван", "остолоп", "бестолоч", "пустоголов", "крыса$", "крысы$",
        "мусор$", "отморозк", "дегенерат", "ограниченн", "убожество",
    ),
    # Names for a people, a nation, a politics or a sexuality that only insult.
    "slur": (
        "хохол", "хохлы", "хохлов", "хохлам", "хохлят", "хохлушк", "хохляндия", "укропы$", "укропов$", "укропам$",
        "укропитек", "укры$", "укров$", "укроин", "укрорейх", "укронацист", "укрофаш", "майданут", "бандерлог",
        "ватник", "ватан", "ватат", "колорад", "рашист", "рашизм", "рашка", "рашке", "рашку", "русня", "кацап",
        "москаль", "московит", "орки$", "орков$", "пиндос", "пендос", "пиндостан",
        "либераст", "либерах", "либерот", "дерьмократ", "навальнят", "кремлебот",
        "ботяр", "ботоферм", "ольгинц", "путинойд", "путиноид", "путлер", "зомбоящик", "зомбированн",
        "чурка", "чурки", "чурок", "чурбан", "хачи$", "хача$", "хачик", "хачей", "черножоп", "узкоглаз", "жид$",
        "жиды$", "жидов", "жидам", "жидо", "жидяр", "нигер", "негритос", "чернож", "гомик", "пидрил", "педераст",
        "гейропа", "нацики", "фашик",
    ),
    "threat": (
        "сдохни", "сдохнит", "сдохнешь", "сдохнет", "сдохнуть", "сдох$", "сдохла$", "сдохли$", "подохни",
        "подохнет", "издохни", "удавись", "повесьс", "застрелись", "убейся", "убейтесь", "убью", "урою",
        "закопаю", "прибью", "придушу", "размажу", "разнесу", "отстреливать", "расстрелять", "перевешать",
        "сжечь$", "сгниешь", "сгноить", "умри$", "умрите$", "подавись", "подавитесь",
    ),
    "silencing": (
        "заткнись", "заткнитесь", "заткни$", "заткните", "завали$", "завались", "завалите", "отвали", "отвалите",
        "отвянь", "проваливай", "проваливайте", "выметайся", "убирайся", "убирайтесь", "скройся", "свали$",
        "свалите", "вали$", "валите$", "умойся",
    ),
    # Rude but not mat: a comment heated enough to use these is more often rude as a whole.
    "vulgar": (
        "жопа", "жопы", "жопу", "жопой", "жопе", "жопн", "жопош", "срать", "срал", "срут", "сран", "насрат",
        "насрал", "обосра", "обосре", "засран", "высер", "говн", "дерьм", "ссать", "нассат", "обосса", "зассал",
        "ссыкл", "хрен", "хер$", "херн", "хера$", "херов", "похер", "нахер", "пох$", "рыло", "рыла$", "харя",
        "хари$", "харю", "рожа$", "рожу$", "морду$", "задниц", "сиськ", "трах", "отымел", "поимел", "нагну",
        "жрать", "жрет", "жрут", "жри$", "вонюч", "параша", "хавальник", "пасть$", "пасти$", "сучар", "дерьмец",
    ),
}

ENGLISH = {
    "insult": (
        "idiot", "moron", "stupid", "dumb", "imbecil", "cretin", "loser", "scum", "pathetic", "disgusting", "clown",
        "fool$", "fools$", "foolish", "ignorant", "jackass", "douche", "creep$", "creeps$", "creepy", "pig$",
        "pigs$", "trash$", "garbage$", "worthless", "useless", "hypocrit", "liar$", "liars$", "traitor", "coward",
        "lunatic", "psycho", "degenerate", "subhuman", "vermin", "parasite", "snowflake", "sheep$", "brainless",
        "brainwashed", "nutjob", "nutcase", "idiocy", "dimwit", "halfwit", "numbskull", "airhead", "dipshit",
        "scumbag", "lowlife", "deplorable", "whore", "slut", "skank", "hoe$", "hoes$", "thug", "crook", "weirdo",
        "freak", "clueless", "incompetent", "lame$", "pos$", "sucker",
    ),
    "slur": (
        "nigg", "nigga", "fag", "tranny", "spic$", "spics$", "chink", "kike", "retard", "wetback", "raghead",
        "towelhead", "libtard", "feminazi", "commie", "demonrat", "leftard", "rethuglican", "dyke", "gook",
        "redneck",
    ),
    "threat": (
        "kys$", "killyourself", "die$", "dies$", "hang$", "hanged", "shoot$", "shot$", "murder", "burn$",
    ),
    "silencing": (
        "stfu", "shutup", "gtfo", "shush",
    ),
    "vulgar": (
        "fuck", "fck", "fuk", "fuq", "fukin", "shit", "sh1t", "ass$", "asses$", "asshole", "arse$", "arsehole",
        "bitch", "btch", "damn", "crap", "dick", "cunt", "puss", "bastard", "piss", "wtf", "bullshit", "bs$",
        "sucks$", "suck$", "motherf", "mf$", "goddam", "hell$", "bloody$", "cock$", "cocks$", "twat", "wanker",
        "bollocks", "prick$",
    ),
}

# Phrases read on the whole comment: the kinds that take more than one word.
PHRASES = {
    "threat": re.compile(
        r"чтоб(?:ы)?\s+(?:ты|вы|тебя|вас|он|она|они)\s+(?:сдох|подох|разорил|подавил|сгнил|сгорел|обосрал)"
        r"|гор(?:и|ите|еть)\s+в\s+аду|в\s+муках|к\s+стенке|на\s+кол\b|ноги\s+(?:тебе|вам)\s+(?:сломаю|переломаю)"
        r"|kill\s+(?:yo)?ur\s*self|kill\s+(?:you|them|him|her)|go\s+die|hope\s+(?:you|u|they|he|she)\s+die"
        r"|should\s+be\s+(?:shot|hanged|killed|executed)|rot\s+in\s+hell|burn\s+in\s+hell|drop\s+dead"),
    "silencing": re.compile(
        r"(?:закрой|закройте|заткни|захлопни)\s+(?:свой\s+|свою\s+|своё\s+|свое\s+)?(?:рот|пасть|варежку|хлебало)"
        r"|(?:рот|пасть|варежку)\s+(?:закрой|закройте|захлопни)|пош[её]л\s+вон|пошла\s+вон|пошли\s+вон"
        r"|иди(?:те)?\s+(?:лесом|в\s+баню|к\s+черту|к\s+чёрту|нафиг|нафих|в\s+жопу|отсюда|проспись)"
        r"|тебя\s+не\s+спрашивали|вас\s+не\s+спрашивали"
        r"|shut\s+(?:the\s+\w+\s+)?up|shut\s+(?:your|ur)\s+(?:mouth|face|trap)|get\s+lost|piss\s+off|go\s+away"
        r"|screw\s+(?:you|u)|nobody\s+asked"),
}

# Speaking to someone: the addressee of an insult is the reader (the brand, a commenter), not a third party.
TO_YOU = re.compile(r"(?<!\w)(?:ты|тебя|тебе|тобой|тобою|твой|твоя|твоё|твое|твои|твоих|твоим|твоей|твою|твоего|"
                    r"вы|вас|вам|вами|ваш|ваша|ваше|ваши|вашей|вашу|ваших|вашим|вашего|вашему|"
                    r"you|your|yours|you're|youre|yourself|u|ur|ya)(?!\w)")


def _table(written: dict[str, tuple[str, ...]]) -> dict[str, tuple[tuple[str, bool], ...]]:
    """Each root (repeats collapsed) -> its (kind, whole word only) pairs: a word is looked up by its prefixes,
    a dozen dictionary reads instead of hundreds of regular-expression branches."""
    table: dict[str, list[tuple[str, bool]]] = {}
    for kind, roots in written.items():
        for root in roots:
            table.setdefault(REPEATS.sub(r"\1", root.removesuffix("$")), []).append((kind, root.endswith("$")))
    return {root: tuple(pairs) for root, pairs in table.items()}


def _behind_mask(word: str, root: str, exact: bool) -> bool:
    """Whether `word` (with one "*") is `root` with one or two of its letters masked ("ид*от"), or the root with
    its ending masked ("дебил*"). Two letters of the root must show, as in `swearing`."""
    before, _, after = word.partition(MASK)
    if not exact and before.startswith(root) and len(root) >= 2:
        return True
    for hidden in (1, 2):
        rest = root[len(before) + hidden:]
        if (root.startswith(before) and len(root) - hidden >= 2 and len(before) + hidden <= len(root)
                and (after == rest if exact else after.startswith(rest))):
            return True
    return False


def _by_first_letter(table: dict) -> dict[str, tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]]:
    index: dict[str, list] = {}
    for root, pairs in table.items():
        index.setdefault(root[0], []).append((root, pairs))
    return {letter: tuple(entries) for letter, entries in index.items()}


_RUSSIAN, _ENGLISH = _table(RUSSIAN), _table(ENGLISH)
_MASKED = {id(_RUSSIAN): _by_first_letter(_RUSSIAN), id(_ENGLISH): _by_first_letter(_ENGLISH)}


def kinds(text: str) -> dict[str, int]:
    """How many words of each kind the (lower-cased) text has, and "at_you": whether an insult, slur or vulgar
    word sits in a comment that speaks to someone."""
    text = text.lower().replace("ё", "е")
    found = dict.fromkeys(KINDS, 0)
    for word in words(text):
        for kind in _word_kinds(word):
            found[kind] += 1
    for kind, phrase in PHRASES.items():
        found[kind] += len(phrase.findall(text))
    rude = found["insult"] + found["slur"] + found["vulgar"]
    found["at_you"] = int(bool(rude) and bool(TO_YOU.search(text)))
    return found


@functools.lru_cache(maxsize=65536)
def _word_kinds(word: str) -> tuple[str, ...]:
    found = set()
    for form in forms(word):
        if form.startswith("latin:"):
            candidates, table = {form.removeprefix("latin:"), word.strip(".")}, _ENGLISH
        else:
            candidates, table = {form}, _RUSSIAN
        for candidate in candidates:
            found.update(_kinds_of(candidate, table))
    return tuple(sorted(found))


def _kinds_of(word: str, table: dict[str, tuple[tuple[str, bool], ...]]):
    if word.count(MASK) == 1:  # compared with the roots that begin as it does ("ид*от"; "*диот" is let go)
        return (kind for root, pairs in _MASKED[id(table)].get(word[0], ()) for kind, exact in pairs
                if _behind_mask(word, root, exact))
    return (kind for end in range(2, len(word) + 1) for kind, exact in table.get(word[:end], ())
            if not exact or end == len(word))
