"""The channel report page in a real browser: the plots are drawn and shown; a refused link shows
nothing of the report."""

import pytest

from saleor_dividend_plugin.reporting.page import REFUSED, link, sign_link

from .conftest import SCREENSHOTS


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


def test_the_report_page_shows_its_plots(transactional_db, live_server, known_history, staff, page):
    url = live_server.url + link("/report/?channel=known", "known", staff.pk) + "&days=3"
    response = page.goto(url)
    assert response.status == 200
    assert page.title() == "Rewards report: channel known, 2026-03-02 to 2026-03-04"
    assert "3 paid, 1 cancelled" in page.locator("pre").inner_text()
    images = page.locator("figure img")
    assert images.count() == 8
    for i in range(8):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.is_visible()
        # Decoded and drawn: a broken or blocked image has no natural size.
        assert image.evaluate(
            "img => img.complete && img.naturalWidth > 600 && img.naturalHeight > 300"
        )
    captions = page.locator("figcaption").all_inner_texts()
    assert "Free-order queue: length and unpaid remainder" in captions
    assert page.locator("table caption").all_inner_texts() == ["Members by tier", "Top referrers"]
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "report.png")


def test_a_refused_link_shows_nothing(transactional_db, live_server, known_history, staff, page):
    token = sign_link("known", staff.pk)
    for url in (f"/report/?channel=other&token={token}", f"/report/?channel=known&token={token}x"):
        response = page.goto(live_server.url + url)
        assert response.status == 403
        assert page.locator("body").inner_text().strip() == REFUSED
        assert page.locator("img").count() == 0
