"""An agency manager on a 1366-pixel laptop, reading Chorus in Russian: every page fits the window."""

import pytest

from chorus.web.tests.test_browser_e2e import CHROMIUM, CHROMIUM_ARGS, pytestmark, sign_in  # noqa: F401 (marks)
from chorus.workspaces.services import choose_language

LAPTOP = {"width": 1366, "height": 768}


@pytest.mark.parametrize("path", ["", "posts/", "inbox/", "analytics/", "calendar/"])
def test_the_menu_and_page_fit_a_laptop_screen_in_russian(live_server, coffee, path):
    from playwright.sync_api import sync_playwright

    owner, _workspace, _channel = coffee
    choose_language(owner, "ru")  # the longer labels
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=LAPTOP)
        sign_in(page, live_server, owner)
        page.goto(f"{live_server.url}/w/coffee/{path}")
        assert page.locator("nav .nav-link", has_text="Входящие").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        browser.close()
    assert overflow <= 0, f"/{path} scrolls sideways by {overflow} px"
