"""What the demo workspaces are and what they have been posting: a coffee shop in Moscow, a bookshop in London."""

from datetime import time

WORKSPACES = [
    {
        "name": "Demo Coffee", "slug": "demo-coffee", "timezone": "Europe/Moscow", "language": "ru",
        "brand_color": "#6f4e37",
        "channels": ["Кофейня на Мясницкой — VK (песочница)", "Кофейня на Мясницкой — Telegram (песочница)",
                     "Кофейня на Мясницкой — Дзен (песочница)"],
        "team": [("marina", "editor"), ("pavel", "client")],
        "posts": [
            "Новый сорт в зерне: Эфиопия Иргачеффе, ноты бергамота и персика ☕ Приходите попробовать!",
            "Доброе утро, Мясницкая! Сегодня до 11:00 капучино любого размера по цене маленького.",
            "Какой кофе вы пьёте по утрам: эспрессо, капучино или фильтр? Расскажите в комментариях 👇",
            "Испекли лимонные тарты — их хватает обычно до обеда. #кофейня #десерты",
            "В субботу в 12:00 каппинг для всех желающих: сравним три обжарки. Вход свободный, мест 12.",
            "Как заварить вкусный кофе в турке дома: 1) свежий помол, 2) холодная вода, 3) не доводить до кипения.",
            "Наш бариста Лёша занял второе место на городском чемпионате по латте-арту! Поздравляем 🎉",
            "Холодный брю вернулся в меню. 18 часов настаивания — и никакой горечи.",
            "Берите кофе в свою кружку — скидка 10%. Планете спасибо, вам приятно. #экология",
            "Завтра работаем с 10:00: принимаем поставку свежей обжарки.",
            "Знали ли вы, что светлая обжарка содержит больше кофеина, чем тёмная? Пишите, что удивило ☕",
            "Осеннее меню: тыквенный латте, раф с халвой и глинтвейн без алкоголя. Что попробуете первым?",
        ],
        "inbox": {
            "target_minutes": 60,
            # The team answers every day the coffee shop is open; first answers count in these hours.
            "business_hours": ([0, 1, 2, 3, 4, 5, 6], time(9), time(21)),
            "answer_minutes": 25,
            "plain_answers": ["Спасибо, что написали! Ответили вам в личных сообщениях.",
                              "Спасибо! Передали команде, вернёмся с ответом сегодня.",
                              "Здравствуйте! Да, всё получится — ждём вас на Мясницкой."],
            "saved_replies": [
                ("Извинение", "", "{author}, простите нас, пожалуйста! Напишите в личные сообщения номер заказа — "
                 "разберёмся сегодня же.", ["complaint", "negative"], []),
                ("Дорого", "Дорого", "{author}, понимаем! Зерно у нас свежей обжарки, а по утрам до 11:00 любой "
                 "капучино по цене маленького.", [], ["дорого", "цен"]),
                ("Часы работы", "", "{author}, мы работаем каждый день с 8:00 до 22:00. Ждём вас!", ["question"],
                 ["до скольки", "работаете", "часы"]),
                ("Заказ на офис", "", "{author}, с радостью! Напишите в личку, сколько человек и к какому часу — "
                 "посчитаем.", ["lead"], ["офис", "заказ"]),
            ],
            "rules": [
                ("Ссылки от новичков", {"authors": ["new", "link_only"]}, ["hide"], False),
                ("Спам и боты", {"labels": {"spam": 0.9}}, ["hide", "ban"], True),
                ("Жалобы — менеджеру", {"labels": {"complaint": 0.7}}, ["alert"], False),
            ],
        },
        "scheduled": [
            "На этой неделе — дегустация гватемальского кофе, приходите в четверг к 18:00.",
            "Пятница! Второй десерт к любому напитку за полцены до закрытия 🥐",
            "Скоро открываем летнюю веранду. Угадайте дату — первому угадавшему капучино в подарок.",
        ],
    },
    {
        "name": "Northwind Books", "slug": "northwind-books", "timezone": "Europe/London", "language": "en",
        "brand_color": "#1f5f8b",
        "channels": ["Northwind Books — Facebook (sandbox)", "Northwind Books — Instagram (sandbox)"],
        "team": [("emily", "editor"), ("george", "client")],
        "posts": [
            "New in: the Booker shortlist is on our front table. Which one are you rooting for? 📚",
            "Rainy Sunday plan: a pot of tea, a blanket and one of our staff picks. #amreading",
            "Our book club meets on Thursday at 7pm. This month: a classic you pretend you've read.",
            "Signed copies have arrived! First come, first served.",
            "Children's story hour every Saturday at 10am. Free, and yes, parents can listen too.",
            "What's the last book you couldn't put down? Tell us below 👇",
            "We wrap gifts for free. Just ask at the till. #shoplocal",
            "Staff pick of the week: a thriller that kept Sam awake until 3am.",
            "Poetry evening this Friday. Bring a poem you love, or just come and listen.",
            "Second-hand shelf restocked: over 200 titles, £3 each.",
            "Did you know we order any book in print within 48 hours? Ask in the shop or reply here.",
            "Thank you for 10 years on this street! Cake in the shop all week 🎂",
        ],
        "inbox": {
            "target_minutes": 120,
            "business_hours": ([0, 1, 2, 3, 4, 5], time(9), time(19)),
            "answer_minutes": 70,
            "plain_answers": ["Thanks for getting in touch! We've sent you a DM.",
                              "Thank you! We've passed this on and will get back to you today.",
                              "Hello! Yes, we can do that: pop in or reply here with the details."],
            "saved_replies": [
                ("Sorry", "", "{author}, we're so sorry about that. Please DM us your order number and we'll sort "
                 "it out today.", ["complaint", "negative"], []),
                ("Opening hours", "", "{author}, we're open 9am to 7pm every day except Sunday (11am to 5pm).",
                 ["question"], ["open", "hours"]),
            ],
            "rules": [
                ("Links from newcomers", {"authors": ["new", "link_only"]}, ["hide"], False),
                ("Spam and bots", {"labels": {"spam": 0.9}}, ["hide", "ban"], True),
            ],
        },
        "scheduled": [
            "Coming Thursday: author talk and signing. Tickets are free but limited.",
            "Weekend sale: 20% off all hardbacks, Saturday and Sunday only.",
            "Our summer reading list is out. Pick one up at the till.",
        ],
    },
]

# Local times of day when the demo shop usually posts.
POSTING_TIMES = [(9, 0), (12, 30), (15, 0), (19, 0)]

FAILURE_REASON = "503 Service Unavailable (injected before send); gave up after 5 attempts"
REVIEW_REASON = "timed out waiting for the answer (injected after send); not found on the network afterwards"
