"""What the sandbox's simulated audience writes under posts and in direct messages, by kind and language.

The kinds are the ones the inbox must learn to tell apart. A text is put together from an opening, a body and a
closing, so a page's comments vary the way real ones do. Some author names carry HTML on purpose: every page that
shows them must escape them. The abuse texts swear, plainly and masked ("б**ть", "х*р"), because moderation must
see both.
"""

import hashlib
import random

KINDS = ("question", "complaint", "praise", "lead", "spam", "bot", "abuse", "neutral")
# How often each kind appears under posts, in the same order as KINDS.
KIND_WEIGHTS = (18, 10, 20, 10, 8, 6, 8, 20)
# People write to the page directly mostly to ask, to order or to complain.
MESSAGE_KINDS = ("question", "lead", "complaint", "praise", "spam")
MESSAGE_WEIGHTS = (30, 30, 20, 8, 12)

PHRASES = {
    "ru": {
        "question": {
            "open": ["", "", "Здравствуйте!", "Добрый день,", "Подскажите,", "Скажите, пожалуйста,", "Вопрос:"],
            "body": [
                "а до скольки вы сегодня работаете?", "доставка в выходные есть?",
                "сколько это стоит? В посте цены не нашла", "можно оплатить картой или только наличными?",
                "а есть без сахара или без лактозы?", "это в обоих кофейнях или только на Тверской?",
                "а зерно на развес продаёте?", "акция действует до конца месяца?",
                "с собакой к вам можно?", "есть ли парковка рядом?", "как долго действует сертификат?",
                "а на вынос в свою кружку можно?",
            ],
            "close": ["", "", "Спасибо!", "Заранее спасибо", "🙏"],
        },
        "complaint": {
            "open": ["", "", "Ну такое.", "Очень неприятно.", "Если честно,", "Разочарована."],
            "body": [
                "вчера ждали заказ 40 минут, никто даже не извинился",
                "дорого. У конкурентов то же самое на треть дешевле",
                "опять перепутали заказ, уже второй раз за неделю",
                "не верю, что это правда так вкусно, как на фото",
                "написала в личку три дня назад — тишина",
                "капучино был холодный, а бариста сделал вид, что так и надо",
                "курьер привёз всё пролитым, деньги до сих пор не вернули",
                "цены подняли, а порции стали меньше",
                "в зале грязно, столы никто не протирает",
                "списали деньги дважды, а в поддержке не отвечают",
            ],
            "close": ["", "", "Исправляйтесь.", "Больше не приду.", "Жду ответа.", "😞"],
        },
        "praise": {
            "open": ["", "", "Ура!", "Спасибо вам!", "Честно,"],
            "body": [
                "обожаю вас! Лучшее место в районе ❤️", "были в субботу — всё очень понравилось",
                "вкусно, уютно, персонал супер 👍", "каждое утро начинаю с вас, не подводите ни разу",
                "красота! Обязательно зайдём ещё", "лучший флэт уайт в городе, без преувеличения",
                "бариста Аня — просто солнце, спасибо за настроение",
                "круассаны как в Париже, серьёзно", "доставили быстро и всё горячее, спасибо",
            ],
            "close": ["", "", "❤️", "🔥", "Так держать!"],
        },
        "lead": {
            "open": ["", "", "Добрый день!", "Здравствуйте,"],
            "body": [
                "хочу заказать на офис, 15 человек, на пятницу. Куда написать?",
                "можно забронировать на завтра на 19:00, на четверых?", "беру два! Как оформить заказ?",
                "делаете подарочные сертификаты? Нужно три штуки к пятнице",
                "интересует корпоративное обслуживание, скиньте прайс, пожалуйста",
                "нужен кофе-брейк на конференцию на 60 человек, посчитайте, пожалуйста",
                "хочу оформить подписку на зерно, 1 кг в месяц",
                "можно заказать торт к дню рождения на субботу?",
            ],
            "close": ["", "", "Мой телефон в профиле.", "Напишите в личку, пожалуйста.", "Спасибо!"],
        },
        "spam": {
            "open": ["", "Внимание!", "🔥🔥🔥", "Только сегодня!"],
            "body": [
                "Заработок от 5000 в день без вложений! Пиши в лс или переходи http://bit.ly/easy-money-ru",
                "Раскрутка групп дёшево, 1000 подписчиков за сутки: https://promo-vk.example/go",
                "Выиграй iPhone 16! Участвуй тут → http://free-iphone.example/ru",
                "Ставки на спорт, бонус 200% новым игрокам http://bet-luck.example",
                "Инвестиции в крипту с доходом 30% в неделю, гарантия! t.me/crypto-rich-example",
                "Продам базу клиентов, недорого, пишите @base_seller_example",
                "Удалённая работа, 2 часа в день, от 80 000 ₽ — подробности по ссылке https://job-fast.example",
            ],
            "close": ["", "", "Пиши в лс!", "Мест мало!"],
        },
        "bot": {
            "open": [""],
            "body": ["Отличный пост! Подпишись на мою страницу 🔥🔥🔥", "Классно! Взаимная подписка? 💯",
                     "Супер! Загляни ко мне в профиль 😉", "👍👍👍", "Лайк за лайк, пиши +"],
            "close": [""],
        },
        "abuse": {
            "open": ["", "", "Слышь,", "Да вы задолбали."],
            "body": [
                "вы там совсем б**ть охренели с такими ценами?", "х*р я к вам ещё приду, позорище",
                "админ — идиот, удалите этот бред", "что за п***ц вы опять выложили",
                "кофе у вас как помои, а персонал хамит, с*ки", "пошли вы нах*й со своей акцией",
                "бариста ваш дебил конченый", "заткнитесь уже со своей рекламой, уроды",
                "какая же это херня, блин", "ублюдки, верните деньги",
            ],
            "close": ["", "", "!!!", "🤮"],
        },
        "neutral": {
            "open": [""],
            "body": ["Интересно", "Понятно, спасибо", "Увидела, сохранила", "+", "Мы тоже были на этой неделе",
                     "Ого", "Отметила подругу", "Ну посмотрим", "Ясно"],
            "close": [""],
        },
    },
    "en": {
        "question": {
            "open": ["", "", "Hi!", "Hello,", "Quick question:", "Hey,"],
            "body": [
                "what time do you open on Sundays?", "do you deliver outside the city centre?",
                "how much is it? I couldn't find the price in the post", "is there a gluten-free option?",
                "can I pay by card in the shop?", "is the offer valid in every shop?",
                "do you sell the beans by weight?", "are dogs allowed inside?",
                "is there parking nearby?", "how long is a gift card valid?",
                "can I bring my own cup for takeaway?",
            ],
            "close": ["", "", "Thanks!", "Thanks in advance", "🙏"],
        },
        "complaint": {
            "open": ["", "", "Not great.", "Honestly,", "Really disappointed."],
            "body": [
                "waited 30 minutes for my order and nobody said sorry",
                "too expensive. The shop down the road is a third cheaper",
                "second time this month my order was wrong", "I doubt it's really as good as the photo",
                "sent you a message three days ago, still no answer",
                "my latte was cold and the barista didn't care",
                "the courier spilled everything and I'm still waiting for a refund",
                "prices went up and the portions got smaller", "the tables were dirty and nobody cleaned them",
                "you charged my card twice and support doesn't answer",
            ],
            "close": ["", "", "Please fix this.", "Won't be back.", "Waiting for a reply.", "😞"],
        },
        "praise": {
            "open": ["", "", "Wow!", "Thank you!", "Honestly,"],
            "body": [
                "love this place! Best in the neighbourhood ❤️", "visited on Saturday, everything was lovely",
                "great staff, great atmosphere 👍", "you never disappoint, well done",
                "beautiful! We'll definitely come back", "best flat white in town, no exaggeration",
                "Anna at the counter made my day", "the croissants are like in Paris, seriously",
                "delivery was quick and everything was still hot",
            ],
            "close": ["", "", "❤️", "🔥", "Keep it up!"],
        },
        "lead": {
            "open": ["", "", "Hi!", "Hello,"],
            "body": [
                "I'd like to order for our office, 15 people, on Friday. Who do I talk to?",
                "can I book a table for four tomorrow at 7pm?", "I'll take two! How do I order?",
                "do you sell gift cards? I need three by Friday",
                "interested in a corporate account, could you send me a price list?",
                "we need a coffee break for a 60-person conference, can you quote?",
                "I'd like a monthly bean subscription, 1 kg a month",
                "can I order a birthday cake for Saturday?",
            ],
            "close": ["", "", "My number is in my profile.", "Please DM me.", "Thanks!"],
        },
        "spam": {
            "open": ["", "ATTENTION!", "🔥🔥🔥", "Today only!"],
            "body": [
                "Make $500 a day from home!!! Details at http://bit.ly/easy-cash-now",
                "Cheap followers, 1000 in 24h: https://grow-fast.example/buy",
                "You won a free iPhone 16, claim it here → http://free-prize.example",
                "Crypto signals that never lose, join https://t.me/moon-pump-example",
                "Work from home 2 hours a day and earn $3000 a week: https://job-fast.example",
                "Hot singles in your area ❤️ http://dating-now.example",
            ],
            "close": ["", "", "DM me!", "Limited spots!"],
        },
        "bot": {
            "open": [""],
            "body": ["Great post! Follow me for more 🔥🔥🔥", "Nice! Follow for follow? 💯",
                     "Awesome! Check out my profile 😉", "👍👍👍", "Like for like, comment +"],
            "close": [""],
        },
        "abuse": {
            "open": ["", "", "Seriously,", "Ugh."],
            "body": [
                "what the f*ck is wrong with your prices?", "you guys are a bunch of idiots, delete this",
                "worst sh*t I've ever tasted, total scam", "nobody cares, you clowns", "the admin is a moron",
                "shut up with your stupid ads, losers", "your barista is a f***ing jerk",
                "this is crap, you bastards", "go to hell with your promo",
            ],
            "close": ["", "", "!!!", "🤮"],
        },
        "neutral": {
            "open": [""],
            "body": ["Interesting", "OK, thanks", "Saved", "+1", "We were there last week too", "Oh",
                     "Tagging my friend", "We'll see", "I see"],
            "close": [""],
        },
    },
}

# The page's regular audience, by character, so one person's history in the inbox reads like one person's:
# fans praise, ask and order; critics complain and ask; trolls swear, sneer and grumble. Anyone may just chat.
CHARACTERS = {
    "ru": {"fan": ["Анна Смирнова", "Мария Иванова", "Ольга Петрова", "Иван Соколов", "Катя 🌸", "Наталья В.",
                   "Елена Кузнецова", "Юлия Попова", "Михаил Лебедев", "Никита Орлов"],
           "critic": ["Дмитрий К.", "Алексей Морозов", "Светлана"],
           "troll": ["Сергей", "Павел", "Артём"]},
    "en": {"fan": ["Emma Johnson", "Sophie B.", "Amelia Clarke", "Harry Wilson", "Lily 🌼", "Grace W.", "Isla Brown",
                   "Leo Evans"],
           "critic": ["Oliver Smith", "Chloe Davies", "Jack Taylor"],
           "troll": ["James", "Tom", "Noah"]},
}
WRITES = {"fan": {"question", "praise", "lead", "neutral"}, "critic": {"question", "complaint", "lead", "neutral"},
          "troll": {"abuse", "complaint", "neutral"}}
AUTHORS = {language: [name for names in people.values() for name in names] for language, people in CHARACTERS.items()}

BOT_AUTHORS = ["promo_bot_4821", "top_followers_77", "like4like_best", "earn_daily_2026", "crypto_guru_x"]
# Names chosen by people who test what a page does with HTML.
HOSTILE_AUTHORS = ["<b>Max</b>", "<img src=x onerror=alert(1)>", '"><script>alert("chorus")</script>',
                   "Robert'); DROP TABLE users;--"]


def compose(rng: random.Random, language: str, kind: str) -> str:
    """One text of this kind: an opening, a body and a closing, capitalised like people do."""
    phrases = PHRASES[language][kind]
    parts = [rng.choice(phrases["open"]), rng.choice(phrases["body"]), rng.choice(phrases["close"])]
    text = " ".join(part for part in parts if part)
    return text[:1].upper() + text[1:]


def person_writing(language: str, kind: str, draw: int) -> str:
    """The `draw`-th (of len(AUTHORS[language])) of the people whose character writes this kind of text."""
    writers = [name for character, names in CHARACTERS[language].items() if kind in WRITES[character]
               for name in names]
    return writers[draw % len(writers)]


def author_id(name: str) -> str:
    """A stable id for a simulated person: the same name is the same person on every page."""
    return "u" + hashlib.sha256(name.encode()).hexdigest()[:12]
