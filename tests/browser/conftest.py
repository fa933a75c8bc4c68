"""Headless Chromium for the tests that look at a page as a person would.

Playwright drives Debian's Chromium (`scripts/ensure-chromium`, run by `make test`, installs it);
Playwright's own browser download is never used.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Screenshots the README shows are written here by the tests that take them.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Without these, Chromium keeps trying to reach Google's hosts, which this kind of machine
# (and many CI runners) refuse; as root it also needs --no-sandbox.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run scripts/ensure-chromium")
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
    # between page actions are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    # A page error is a test failure, not something to scroll past in a log.
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"
