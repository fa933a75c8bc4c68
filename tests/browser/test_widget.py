"""`<saleor-rewards>` in a real browser, on a storefront page of another origin, against the
standalone host's live endpoint with orders that went through the store and the plugin's events.

The storefront page is served by the test (`page.route`); the script and every GraphQL request go
to the live server, through CORS, as on a real storefront.
"""

import datetime
import http.server
import json
import threading
import time
from decimal import Decimal

import pytest
from django.core import signing
from playwright.sync_api import expect

from saleor_dividend_plugin.models import AccountKind, LedgerTransaction
from saleor_dividend_plugin.settlement import settle_due
from standalone_host.store.host import token_for

from ..conftest import Shop
from ..graphql.conftest import GiftCardHost
from .conftest import SCREENSHOTS

D = Decimal
MARCH_10 = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)
EVENTS = ("sign-in", "gift-card", "change", "error")

SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Northwind Coffee: your rewards</title>
<style>
  body { margin: 0; background: #f4f1ea; color: #2b2118;
         font-family: Georgia, 'Times New Roman', serif; }
  header { background: #2b2118; color: #f4f1ea; padding: 18px 40px;
           font-size: 22px; letter-spacing: 0.04em; }
  header small { font-family: system-ui, sans-serif; font-size: 13px; opacity: 0.75;
                 margin-left: 16px; }
  main { max-width: 1000px; margin: 32px auto; padding: 0 24px; }
  saleor-rewards {
    --saleor-rewards-accent: #8a4b20;
    --saleor-rewards-accent-soft: #f6e9dd;
    --saleor-rewards-focus: #8a4b20;
    --saleor-rewards-surface: #faf7f2;
    --saleor-rewards-border: #eadfd2;
    --saleor-rewards-color: #2b2118;
    --saleor-rewards-muted: #6f6358;
    --saleor-rewards-radius: 14px;
  }
  saleor-rewards::part(panel) { box-shadow: 0 12px 32px rgba(43, 33, 24, 0.08); }
</style>
<script src="__LIVE__/widget.js" defer></script>
</head>
<body>
<header>Northwind Coffee <small>Account &rsaquo; Rewards</small></header>
<main>
<saleor-rewards __ATTRIBUTES__></saleor-rewards>
</main>
<script>
  window.rewardEvents = [];
  for (const name of __EVENTS__) {
    document.addEventListener("saleor-rewards:" + name, (event) =>
      window.rewardEvents.push({ name, detail: event.detail }));
  }
  __SCRIPT__
</script>
</body>
</html>
"""


class _TwoHoursAgo(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 7200)


def expired_token(user) -> str:
    """A token the standalone host signed two hours ago: past its one-hour lifetime."""
    return _TwoHoursAgo(salt="standalone-host").sign_object(user.pk)


class _Storefront(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.server.html)

    def log_message(self, *args):
        pass


@pytest.fixture
def storefront(page, live_server):
    """Opens a storefront page with `<saleor-rewards>` and the given attributes. The page has an
    origin of its own (127.0.0.1, the API is at localhost), both on loopback as Chromium's local
    network rules want for a page reaching a local server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Storefront)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def open_page(attributes=None, script="", channel="web"):
        attributes = {
            "endpoint": f"{live_server.url}/graphql/?channel={channel}",
            **(attributes or {}),
        }
        server.html = (
            SHELL.replace("__LIVE__", live_server.url)
            .replace("__ATTRIBUTES__", " ".join(f'{k}="{v}"' for k, v in attributes.items()))
            .replace("__EVENTS__", json.dumps(EVENTS))
            .replace("__SCRIPT__", script)
        ).encode()
        page.goto(f"http://127.0.0.1:{server.server_port}/account/rewards")
        return page.locator("saleor-rewards")

    yield open_page
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def store(transactional_db, make_channel, make_user, clock, settings):
    """A channel with three customers' orders: Alice 300.00 and Bob 100.00 on March 10, settled
    the next night, and Carol 150.00 on March 11. The clock stays at March 11, 12:00 UTC."""
    settings.DIVIDEND_HOST = f"{GiftCardHost.__module__}.GiftCardHost"
    GiftCardHost.issued.clear()
    shop = Shop(make_channel())
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    clock.set(MARCH_10)
    shop.order(alice, 300)
    shop.order(bob, 100)
    clock.set(MARCH_10 + datetime.timedelta(hours=14, minutes=15))
    settle_due(shop.channel)
    clock.set(MARCH_10 + datetime.timedelta(days=1, hours=2))
    shop.order(carol, 150)
    shop.alice, shop.bob, shop.carol = alice, bob, carol
    return shop


def figure(panel, name):
    return panel.locator(f'[data-figure="{name}"]')


def done_message(panel):
    """The message an action ends with (the live region announces the same text)."""
    return panel.locator("p.success")


def events(page, name=None):
    recorded = page.evaluate("window.rewardEvents")
    return [e for e in recorded if name is None or e["name"] == name]


def test_the_signed_in_view_shows_the_customers_figures(storefront, store, page):
    # Alice: 300 points at 0.05 (backing 27.50 for 550 points). Wallet: the pool's 60.00 from
    # her own order (nobody was ahead) and 20.00 from Bob's, 30.00 of the March 10 release (10%
    # of 400.00, by contribution 300:100) and 30.00 from Carol's order. Energy 900.00 - 30.00;
    # contribution 300.00, 200.00 short of Silver.
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    panel = storefront({"token": token_for(store.alice), "history-page-size": "5"})
    assert figure(panel, "points").inner_text() == "300"
    # One request reads the whole panel, however many attributes the page set.
    assert len(posts) == 1
    assert figure(panel, "points-worth").inner_text() == "Worth $15.00 today"
    assert figure(panel, "point-value").inner_text() == "1 point = $0.05"
    assert figure(panel, "wallet").inner_text() == "$140.00"
    assert figure(panel, "energy").inner_text() == "Up to $870.00 more to come from daily releases"
    assert figure(panel, "tier").inner_text() == "Member"
    assert figure(panel, "next-tier").inner_text() == "$200.00 more to reach Silver"
    progress = panel.get_by_role("progressbar", name="Progress to Silver")
    assert progress.get_attribute("aria-valuenow") == "60"
    assert panel.get_by_role("heading", name="Your rewards", exact=True).is_visible()

    # Her queue entry is first in line: 110.00 of 300.00 received, 190.00 still to come.
    entry = panel.locator("[data-queue-entry]")
    assert entry.count() == 1
    assert figure(entry, "position").inner_text() == "Position 1 in the queue"
    assert figure(entry, "received").inner_text() == "$110.00 of $300.00 received"
    assert figure(entry, "remaining").inner_text() == "$190.00 still to come"
    assert panel.locator("[data-release]").all_inner_texts() == ["Mar 10, 2026\n+$30.00"]
    assert figure(panel, "referral-code").inner_text() == store.member(store.alice).referral_code

    # History, newest first, five lines a page: Carol's queue payout, the release (energy and
    # wallet), the payout at Bob's order, the order's rewards (contribution, energy, points).
    rows = panel.locator("[data-history]")
    assert rows.count() == 5
    assert panel.get_by_text("Showing 5 of 7").is_visible()
    panel.get_by_role("button", name="Show more").click()
    expect(panel.get_by_text("Showing 7 of 7")).to_be_visible()
    assert [row.split("\t") for row in rows.all_inner_texts()] == [
        ["Mar 11, 2026", "Free-order queue payout\nstore credit", "+$30.00"],
        ["Mar 10, 2026", "Daily release\nenergy", "−$30.00"],
        ["Mar 10, 2026", "Daily release\nstore credit", "+$30.00"],
        ["Mar 10, 2026", "Free-order queue payout\nstore credit", "+$80.00"],
        ["Mar 10, 2026", "Order reward (order #1)\ncontribution", "+$300.00"],
        ["Mar 10, 2026", "Order reward (order #1)\nenergy", "+$900.00"],
        ["Mar 10, 2026", "Order reward (order #1)\npoints", "+300 points"],
    ]
    assert not panel.get_by_role("button", name="Show more").is_visible()
    # A keyboard user goes on at the first new line.
    assert active_key(page) == "history-5"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget.png"), full_page=True)


def active_key(page):
    return page.evaluate(
        "document.querySelector('saleor-rewards').shadowRoot.activeElement?.dataset.key ?? null"
    )


def shadow(page, selector):
    return page.locator("saleor-rewards").locator(selector)


def test_visitors_see_the_program_and_a_sign_in_prompt(storefront, store, page):
    panel = storefront()
    expect(panel.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()
    assert figure(panel, "how").locator("li").all_inner_texts() == [
        "Earn points on every order: 1 per $1 spent.",
        "Each point is worth $0.05 today. Redeem points for store credit from 100 points.",
        "Every paid order joins the free-order queue: later orders pay it back, up to 100% of its"
        " amount, as store credit.",
        "The more you spend, the higher your tier: higher tiers earn more points and a larger"
        " share of the daily release.",
    ]
    assert panel.locator("[data-tier]").all_inner_texts() == [
        "Member\nfrom $0.00\nPoints × 1",
        "Silver\nfrom $500.00\nPoints × 1.1",
        "Gold\nfrom $2,000.00\nPoints × 1.25",
        "Platinum\nfrom $10,000.00\nPoints × 1.5",
    ]
    assert not figure(panel, "points").count()
    panel.get_by_role("button", name="Sign in").click()
    assert [e["name"] for e in events(page)] == ["sign-in"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "widget-anonymous.png"))


def test_redeeming_shows_the_rules_first_and_redeems_once_on_a_double_click_and_a_replay(
    storefront, store, page, delivered_twice
):
    deliveries = delivered_twice("pointsRedeem")
    panel = storefront({"token": token_for(store.alice)})
    panel.get_by_role("button", name="Redeem points").click()
    points = panel.get_by_label("Points to redeem")
    expect(points).to_be_focused()
    assert figure(panel, "redeem-points-help").inner_text() == (
        "At least 100 points. Each point pays $0.05; the total is rounded down to $0.01."
    )
    points.fill("99")
    panel.get_by_role("button", name="Continue").click()
    expect(panel.get_by_role("alert")).to_have_text("The minimum is 100.")
    points.fill("251")
    expect(figure(panel, "redeem-preview")).to_have_text("251 points pay $12.55.")
    panel.get_by_role("button", name="Continue").click()
    expect(panel.get_by_text("Redeem 251 points for $12.55?")).to_be_visible()
    confirm = panel.get_by_role("button", name="Confirm")
    expect(confirm).to_be_focused()
    confirm.dblclick()
    expect(done_message(panel)).to_have_text("$12.55 was added to your store credit.")
    expect(figure(panel, "points")).to_have_text("49")
    expect(figure(panel, "wallet")).to_have_text("$152.55")
    assert store.balance(store.alice, AccountKind.POINTS) == 49
    assert store.wallet(store.alice) == D("152.55")
    redemptions = LedgerTransaction.objects.filter(kind="redemption")
    assert redemptions.count() == 1
    [(first, second)] = deliveries
    assert first["errors"] == [] and first["credit"] == {"amount": "12.55", "currency": "USD"}
    assert [e["code"] for e in second["errors"]] == ["DUPLICATE"]
    assert [e["name"] for e in events(page)] == ["change"]


@pytest.fixture
def delivered_twice(page, live_server):
    """Delivers every request of the given mutation twice, as a proxy retrying or a flaky
    connection may, and answers the page with the first response; returns both responses."""

    def deliver(mutation):
        deliveries = []

        def handle(route):
            if mutation not in (route.request.post_data or ""):
                route.continue_()
                return
            first, second = route.fetch(), route.fetch()
            deliveries.append((first.json()["data"][mutation], second.json()["data"][mutation]))
            route.fulfill(response=first)

        page.route(f"{live_server.url}/graphql/**", handle)
        return deliveries

    return deliver


def test_a_gift_card_is_issued_once_on_a_double_click_and_a_request_delivered_twice(
    storefront, store, page, delivered_twice
):
    deliveries = delivered_twice("walletConvertToGiftCard")
    panel = storefront({"token": token_for(store.alice)})
    panel.get_by_role("button", name="Get a gift card").click()
    amount = panel.get_by_label("Amount")
    expect(amount).to_have_value("140.00")
    amount.fill("40.5")
    panel.get_by_role("button", name="Continue").click()
    expect(panel.get_by_text("Turn $40.50 of store credit into a gift card?")).to_be_visible()
    panel.get_by_role("button", name="Confirm").dblclick()
    expect(done_message(panel)).to_have_text("Your gift card of $40.50 is ready.")
    expect(figure(panel, "gift-card-code")).to_have_text("GIFT-0001")
    expect(figure(panel, "wallet")).to_have_text("$99.50")
    panel.get_by_role("region", name="Use your rewards").screenshot(
        path=str(SCREENSHOTS / "widget-gift-card.png")
    )

    # The idempotency key: the second delivery of the one request changed nothing.
    [(first, second)] = deliveries
    assert first["errors"] == []
    assert [e["code"] for e in second["errors"]] == ["DUPLICATE"]
    assert [card["amount"] for card in GiftCardHost.issued] == [D("40.50")]
    assert store.wallet(store.alice) == D("99.50")
    assert LedgerTransaction.objects.filter(kind="gift_card").count() == 1
    [gift_card] = events(page, "gift-card")
    assert gift_card["detail"] == {
        "code": "GIFT-0001",
        "amount": {"amount": "40.50", "currency": "USD"},
    }


def test_an_expired_token_is_refreshed_once_and_the_request_sent_again(storefront, store, page):
    expired, fresh = expired_token(store.alice), token_for(store.alice)
    script = f"""
      window.tokenCalls = [];
      document.querySelector("saleor-rewards").getToken = async ({{ refresh }}) => {{
        window.tokenCalls.push(refresh);
        return refresh ? {json.dumps(fresh)} : {json.dumps(expired)};
      }};
    """
    panel = storefront(script=script)
    expect(figure(panel, "points")).to_have_text("300")
    expect(figure(panel, "wallet")).to_have_text("$140.00")
    # Asked once at load (the expired token: refused), once more to refresh, and no further.
    assert page.evaluate("window.tokenCalls") == [False, True]


def test_a_token_that_cannot_be_refreshed_shows_the_program_and_says_so(storefront, store, page):
    panel = storefront({"token": expired_token(store.alice)})
    expect(panel.get_by_role("alert")).to_have_text(
        "Your session has ended. Sign in again to see your rewards."
    )
    expect(panel.locator("[data-tier]")).to_have_count(4)
    assert not figure(panel, "points").count()


def test_the_api_message_is_shown_when_an_action_is_refused(storefront, store, page):
    # Alice has a paid order, so the API refuses a referrer now.
    panel = storefront({"token": token_for(store.alice)})
    panel.get_by_role("button", name="Enter a referral code").click()
    panel.get_by_label("Referral code of the friend who invited you").fill(
        store.member(store.bob).referral_code
    )
    panel.get_by_role("button", name="Confirm").click()
    alert = panel.get_by_role("alert")
    expect(alert).to_have_text("A referrer can only be set before the first paid order.")
    expect(alert).to_be_focused()
    assert store.member(store.alice).referrer_id is None
    [error] = events(page, "error")
    assert error["detail"]["code"] == "REFERRER_TOO_LATE"


def test_a_new_customer_sets_a_referrer(storefront, store, page, make_user):
    dana = make_user("dana")
    panel = storefront({"token": token_for(dana)})
    expect(figure(panel, "points")).to_have_text("0")
    panel.get_by_role("button", name="Enter a referral code").click()
    code = store.member(store.bob).referral_code
    panel.get_by_label("Referral code of the friend who invited you").fill(code.lower())
    panel.get_by_role("button", name="Confirm").click()
    expect(done_message(panel)).to_have_text(f"{code} is now recorded as your referrer.")
    expect(figure(panel, "referrer")).to_have_text(f"You were referred by {code}.")
    assert store.member(dana).referrer == store.member(store.bob)


def test_withdrawals_are_offered_where_enabled(storefront, store, page, make_channel):
    make_channel(withdrawals_enabled="true", min_withdrawal="25")
    panel = storefront({"token": token_for(store.alice)})
    panel.get_by_role("button", name="Withdraw credit").click()
    assert figure(panel, "withdraw-amount-help").inner_text() == (
        "At least $25.00, up to $140.00. Staff pay it out after reviewing the request."
    )
    panel.get_by_label("Amount").fill("20")
    panel.get_by_label("Where should we pay it?").fill("DE89 3704 0044 0532 0130 00")
    panel.get_by_role("button", name="Continue").click()
    expect(panel.get_by_role("alert")).to_have_text("The minimum is $25.00.")
    panel.get_by_label("Amount").fill("30")
    panel.get_by_role("button", name="Continue").click()
    panel.get_by_role("button", name="Confirm").dblclick()
    expect(done_message(panel)).to_have_text("Your withdrawal request of $30.00 was sent.")
    expect(figure(panel, "wallet")).to_have_text("$110.00")
    assert store.wallet(store.alice) == D("110.00")
    assert store.member(store.alice).withdrawals.count() == 1


def test_the_panel_is_used_with_the_keyboard_and_follows_the_storefronts_texts(
    storefront, store, page
):
    script = """
      document.querySelector("saleor-rewards").strings = {
        signedInTitle: "Deine Prämien", redeem: "Punkte einlösen", points: "Punkte",
        kinds: { DAILY_RELEASE: "Tägliche Ausschüttung" },
      };
    """
    panel = storefront({"token": token_for(store.alice), "locale": "de-DE"}, script=script)
    expect(panel.get_by_role("heading", name="Deine Prämien")).to_be_visible()
    expect(figure(panel, "wallet")).to_have_text("140,00\xa0$")
    expect(panel.get_by_text("Tägliche Ausschüttung").first).to_be_visible()
    redeem = panel.get_by_role("button", name="Punkte einlösen")
    redeem.focus()
    page.keyboard.press("Enter")
    expect(redeem).to_have_attribute("aria-expanded", "true")
    expect(panel.get_by_label("Points to redeem")).to_be_focused()
    page.keyboard.press("Escape")
    expect(redeem).to_be_focused()
    expect(redeem).to_have_attribute("aria-expanded", "false")
    assert panel.get_by_role("status").count() == 1
