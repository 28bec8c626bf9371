"""A moderator keeps a list of known spammers: a bot is marked once and cleaned on sight after, and an agency
carries its list from one client's workspace to another's."""

import io
import json
import re

from django.core.management import call_command

from chorus.channels.services import connect_channel
from chorus.inbox import rules
from chorus.inbox.models import ModerationAction
from chorus.inbox.tests.conftest import comment_on
from chorus.sandbox.models import SandboxComment
from chorus.sandbox.network import create_post
from chorus.workspaces.services import create_workspace


def shown_items(page: str) -> set[int]:
    return set(map(int, re.findall(r'data-item="(\d+)"', page)))


def test_a_bot_marked_once_is_cleaned_on_sight_and_its_earlier_comments_go_in_one_go(signed_in, moderator,
                                                                                      workspace, channel, page_post):
    rules.save_rule(actor=moderator, workspace=workspace, name="Спамеры", conditions={"authors": ["known_spammer"]},
                    actions=["hide"], dry_run=False)
    first = comment_on(channel, page_post, 1, "crypto_guru", "Пишите в личку, научу зарабатывать")
    second = comment_on(channel, page_post, 2, "crypto_guru", "Кто хочет пассивный доход?")
    regular = comment_on(channel, page_post, 3, "Анна", "Раф как всегда прекрасен")
    assert rules.apply_rules([first, second, regular]) == []  # nobody knows the bot yet

    client = signed_in(moderator)
    client.post(f"/w/coffee/inbox/{first.pk}/spammer/", {"known": "1"})
    assert "data-known-spammer" in client.get(f"/w/coffee/inbox/{second.pk}/").content.decode()
    third = comment_on(channel, page_post, 4, "crypto_guru", "Последний шанс: доход от 5000 в день")
    [hidden] = rules.apply_rules([third])
    assert hidden.action == "hide" and SandboxComment.objects.get(remote_id="rc4").hidden_at is not None

    theirs = client.get("/w/coffee/inbox/", {"author": first.author_id}).content.decode()
    assert shown_items(theirs) == {first.pk, second.pk, third.pk} and "Only from crypto_guru" in theirs
    everyone = client.get("/w/coffee/inbox/").content.decode()
    assert everyone.count("data-known-spammer") == 3  # the bot's rows are marked in the list, Anna's is not
    client.post("/w/coffee/inbox/many/", {"items": [first.pk, second.pk], "action": "hide"})
    assert SandboxComment.objects.filter(remote_id__in=["rc1", "rc2"], hidden_at__isnull=False).count() == 2
    assert SandboxComment.objects.get(remote_id="rc3").hidden_at is None


def test_an_agency_carries_its_spammer_list_to_another_clients_workspace(signed_in, owner, moderator, workspace,
                                                                         channel, page_post):
    client = signed_in(owner)
    for number, bot in enumerate(["crypto_guru", "<b>Скидки</b>"], start=1):
        item = comment_on(channel, page_post, number, bot, "Заработок без вложений")
        client.post(f"/w/coffee/inbox/{item.pk}/spammer/", {"known": "1"})
    listing = client.get("/w/coffee/inbox/settings/spammers.txt", {"network": "sandbox"}).content.decode()
    assert listing.splitlines() == ["a-<b>Скидки</b> # <b>Скидки</b>", "a-crypto_guru # crypto_guru"]

    bakery = create_workspace(owner=owner, name="Bakery", slug="bakery", timezone_name="Europe/Moscow",
                              language="ru")
    bakery_page = connect_channel(actor=owner, workspace=bakery, network="sandbox", name="Bakery VK (sandbox)")
    rules.save_rule(actor=owner, workspace=bakery, name="Спамеры", conditions={"authors": ["known_spammer"]},
                    actions=["hide"], dry_run=False)
    added = client.post("/w/bakery/inbox/settings/spammers/", {
        "network": "sandbox", "ids": listing + "\nИван Петров\n# a note on its own\n"}, follow=True).content.decode()
    assert "Added to the list: 2; already on it: 0." in added
    assert "line 4: one ID per line, with no spaces (got “Иван Петров”)." in added
    assert "2 authors on the list." in added and "&lt;b&gt;Скидки&lt;/b&gt;" in added and "<b>Скидки" not in added

    # The agency's script keeps the bakery's list in step too.
    out = io.StringIO()
    call_command("inbox", "spammers", "--workspace", "bakery", "--network", "sandbox", "--as", owner.username,
                 "--json", stdout=out)
    assert json.loads(out.getvalue()) == listing.splitlines()
    bun = create_post(bakery_page.connector._account(), text="Булочки с корицей", media_count=0,
                      idempotency_key="buns")
    [hidden] = rules.apply_rules([comment_on(bakery_page, bun, 10, "crypto_guru", "Пишите в личку")])
    assert hidden.action == "hide" and SandboxComment.objects.get(remote_id="rc10").hidden_at is not None


def test_a_bot_farms_wave_is_cleaned_by_banning_its_authors_in_one_go(signed_in, moderator, workspace, channel,
                                                                     page_post):
    wave = [comment_on(channel, page_post, n, f"bot{n % 3}", f"Раскрутка групп дёшево, вариант {n}")
            for n in range(6)]  # three bots, two comments each
    comment_on(channel, page_post, 9, "Анна", "Раф как всегда прекрасен")
    client = signed_in(moderator)
    done = client.post("/w/coffee/inbox/many/", {"items": [item.pk for item in wave], "action": "ban"},
                       follow=True).content.decode()
    assert "6 items done." in done
    banned = workspace.authors.filter(banned_at__isnull=False).values_list("name", flat=True)
    assert set(banned) == {"bot0", "bot1", "bot2"}  # Anna is not among them
    assert ModerationAction.objects.filter(action="ban").count() == 3  # each bot banned once
    everyone = client.get("/w/coffee/inbox/").content.decode()
    assert everyone.count("data-known-spammer") == 6  # their rows say so; Anna's does not
