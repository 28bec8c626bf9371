"""What the sandbox's simulated audience writes under posts, by kind and language.

The kinds are the ones the inbox must learn to tell apart. Some author names carry HTML on purpose: every page that
shows them must escape them.
"""

KINDS = ("question", "complaint", "praise", "lead", "spam", "bot", "abuse", "neutral")
# How often each kind appears, in the same order as KINDS.
KIND_WEIGHTS = (18, 10, 20, 10, 8, 6, 8, 20)

TEXTS = {
    "ru": {
        "question": [
            "Подскажите, а до скольки вы сегодня работаете?",
            "А доставка в выходные есть?",
            "Сколько это стоит? В посте цены не нашла",
            "Можно оплатить картой или только наличными?",
            "А есть без сахара / без лактозы?",
        ],
        "complaint": [
            "Вчера ждали заказ 40 минут, никто даже не извинился",
            "Дорого. У конкурентов то же самое на треть дешевле",
            "Опять перепутали заказ, уже второй раз за неделю",
            "Не верю, что это правда так вкусно, как на фото",
            "Написала в личку три дня назад — тишина",
        ],
        "praise": [
            "Обожаю вас! Лучшее место в районе ❤️",
            "Были в субботу — всё очень понравилось, спасибо!",
            "Вкусно, уютно, персонал супер 👍",
            "Каждое утро начинаю с вас, не подводите ни разу",
            "Красота! Обязательно зайдём ещё",
        ],
        "lead": [
            "Хочу заказать на офис, 15 человек, на пятницу. Куда написать?",
            "Можно забронировать на завтра на 19:00, на четверых?",
            "Беру два! Как оформить заказ?",
            "Делаете подарочные сертификаты? Нужно три штуки к пятнице",
            "Интересует корпоративное обслуживание, скиньте прайс, пожалуйста",
        ],
        "spam": [
            "Заработок от 5000 в день без вложений! Пиши в лс или переходи http://bit.ly/easy-money-ru",
            "Раскрутка групп дёшево, 1000 подписчиков за сутки: https://promo-vk.example/go",
            "Выиграй iPhone 16! Участвуй тут → http://free-iphone.example/ru",
            "Ставки на спорт, бонус 200% новым игрокам http://bet-luck.example",
        ],
        "bot": [
            "Отличный пост! Подпишись на мою страницу 🔥🔥🔥",
            "Классно! Взаимная подписка? 💯",
        ],
        "abuse": [
            "Вы там совсем б**ть охренели с такими ценами?",
            "Х*р я к вам ещё приду, позорище",
            "Админ — идиот, удалите этот бред",
            "Что за п***ц вы опять выложили",
            "Кофе у вас как помои, а персонал хамит, с*ки",
        ],
        "neutral": [
            "Интересно",
            "Понятно, спасибо",
            "Увидела, сохранила",
            "+",
            "Мы тоже были на этой неделе",
        ],
    },
    "en": {
        "question": [
            "What time do you open on Sundays?",
            "Do you deliver outside the city centre?",
            "How much is it? I couldn't find the price in the post",
            "Is there a gluten-free option?",
            "Can I pay by card in the shop?",
        ],
        "complaint": [
            "Waited 30 minutes for my order and nobody said sorry",
            "Too expensive. The shop down the road is a third cheaper",
            "Second time this month my order was wrong",
            "I doubt it's really as good as the photo",
            "Sent you a message three days ago, still no answer",
        ],
        "praise": [
            "Love this place! Best in the neighbourhood ❤️",
            "Visited on Saturday, everything was lovely, thank you!",
            "Great staff, great atmosphere 👍",
            "You never disappoint, well done",
            "Beautiful! We'll definitely come back",
        ],
        "lead": [
            "I'd like to order for our office, 15 people, on Friday. Who do I talk to?",
            "Can I book a table for four tomorrow at 7pm?",
            "I'll take two! How do I order?",
            "Do you sell gift cards? I need three by Friday",
            "Interested in a corporate account, could you send me a price list?",
        ],
        "spam": [
            "Make $500 a day from home!!! Details at http://bit.ly/easy-cash-now",
            "Cheap followers, 1000 in 24h: https://grow-fast.example/buy",
            "You won a free iPhone 16, claim it here → http://free-prize.example",
            "Crypto signals that never lose, join https://t.me/moon-pump-example",
        ],
        "bot": [
            "Great post! Follow me for more 🔥🔥🔥",
            "Nice! Follow for follow? 💯",
        ],
        "abuse": [
            "What the f*ck is wrong with your prices?",
            "You guys are a bunch of idiots, delete this",
            "Worst sh*t I've ever tasted, total scam",
            "Nobody cares, you clowns",
            "The admin is a moron",
        ],
        "neutral": [
            "Interesting",
            "OK, thanks",
            "Saved",
            "+1",
            "We were there last week too",
        ],
    },
}

AUTHORS = {
    "ru": ["Анна Смирнова", "Дмитрий К.", "Мария Иванова", "Сергей", "Ольга Петрова", "Иван Соколов",
           "Катя 🌸", "Алексей Морозов", "Наталья В.", "Павел"],
    "en": ["Emma Johnson", "Oliver Smith", "Sophie B.", "James", "Amelia Clarke", "Harry Wilson",
           "Lily 🌼", "Jack Taylor", "Grace W.", "Tom"],
}
BOT_AUTHORS = ["promo_bot_4821", "top_followers_77", "like4like_best"]
# Names chosen by people who test what a page does with HTML.
HOSTILE_AUTHORS = ["<b>Max</b>", "<img src=x onerror=alert(1)>", '"><script>alert("chorus")</script>',
                   "Robert'); DROP TABLE users;--"]
