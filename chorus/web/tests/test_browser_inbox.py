"""Olga reviews what her dry-run rule would have hidden, and hides it all from the list in one go."""

from django.utils import timezone

from chorus.inbox import ingestion, rules
from chorus.inbox.models import InboxItem
from chorus.sandbox.models import SandboxComment
from chorus.sandbox.network import create_post
from chorus.web.tests.test_browser_e2e import CHROMIUM, CHROMIUM_ARGS, pytestmark, sign_in  # noqa: F401 (marks)


def test_the_owner_reviews_a_dry_run_and_hides_all_it_found_at_once(live_server, coffee):
    from playwright.sync_api import sync_playwright

    owner, workspace, channel = coffee
    rules.save_rule(actor=owner, workspace=workspace, name="Links", conditions={"pattern": r"https?://"},
                    actions=["hide"])  # a new rule starts in dry run
    post = create_post(channel.connector._account(), text="Новый раф", media_count=0, idempotency_key="raf")
    texts = ["Заработок без вложений http://earn.example", "Ставки тут https://bet.example",
             "Подписчики недорого http://likes.example", "А раф без сахара бывает?"]
    for number, text in enumerate(texts):
        SandboxComment.objects.create(post=post, remote_id=f"c{number}", author_id=f"u{number}",
                                      author_name=f"Гость {number}", text=text, language="ru", kind="test",
                                      created_at=timezone.now())
    ingestion.ingest_channel(channel)
    assert not SandboxComment.objects.filter(hidden_at__isnull=False).exists()  # dry run: nothing was hidden

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, live_server, owner)
        page.goto(f"{live_server.url}/w/coffee/inbox/settings/")
        page.click("text=3 items acted on")
        assert page.locator("[data-item]").count() == 3
        page.check("[data-pick-all]")
        page.select_option("select[name=action]", "hide")
        page.click("text=Apply")
        page.wait_for_selector(".alert")
        browser.close()

    hidden = set(SandboxComment.objects.filter(hidden_at__isnull=False).values_list("text", flat=True))
    assert hidden == set(texts[:3])
    assert not InboxItem.objects.get(text=texts[3]).hidden
