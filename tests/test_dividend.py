"""The order dividend (DESIGN §6) in exact cents: the free-order queue and the dividend pool.

Release, points backing and referral are switched off unless a test needs them, so that every
cent a customer receives here comes from the dividend pool.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from saleor_dividend_plugin import wallet
from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import configure_channel
from saleor_dividend_plugin.dividend import expire_entries
from saleor_dividend_plugin.ledger import Accounts, post
from saleor_dividend_plugin.models import AccountKind, QueueEntry, QueueStatus

DIVIDEND_ONLY = {"release_ratio": "0", "points_backing_ratio": "0", "referral_mode": "off"}


@pytest.fixture
def dividend_shop(make_shop):
    def make(**values):
        return make_shop(**{**DIVIDEND_ONLY, "dividend_ratio": "0.2", **values})

    return make


def pool(shop):
    return shop.balance(None, AccountKind.DIVIDEND_POOL)


def entry(shop, order):
    return QueueEntry.objects.get(order=shop.record(order))


def queued(shop, order):
    return QueueEntry.objects.filter(order=shop.record(order)).exists()


# The README's worked example: ten customers, one order each, 20% of every order funds the pool,
# fifo, each queued order gets back 100% of its amount. After each order: the wallets of the
# first three customers (the others receive nothing in these ten orders) and the pool.
WORKED_EXAMPLE = [
    ("120.00", ("0.00", "0.00", "0.00"), "24.00"),  # nobody ahead: the 24.00 waits in the pool
    ("35.50", ("31.10", "0.00", "0.00"), "0.00"),  # 24.00 + 7.10 to the head
    ("80.00", ("47.10", "0.00", "0.00"), "0.00"),
    ("15.25", ("50.15", "0.00", "0.00"), "0.00"),
    ("200.00", ("90.15", "0.00", "0.00"), "0.00"),
    ("60.00", ("102.15", "0.00", "0.00"), "0.00"),
    ("99.99", ("120.00", "2.14", "0.00"), "0.00"),  # 19.99: 17.85 frees #1, 2.14 to #2
    ("45.00", ("120.00", "11.14", "0.00"), "0.00"),
    ("150.00", ("120.00", "35.50", "5.64"), "0.00"),  # 30.00: 24.36 frees #2, 5.64 to #3
    ("10.00", ("120.00", "35.50", "7.64"), "0.00"),
]


def test_worked_example_pays_every_cent_in_fifo_order(dividend_shop, make_user):
    shop = dividend_shop(payout_mode="fifo", free_ratio="1")
    customers = [make_user(f"c{i}") for i in range(1, 11)]
    orders = []
    for step, (customer, (amount, wallets, pool_after)) in enumerate(
        zip(customers, WORKED_EXAMPLE, strict=True), 1
    ):
        orders.append(shop.order(customer, amount))
        expected = [D(w) for w in wallets] + [D("0.00")] * 7
        assert [shop.wallet(c) for c in customers[:step]] == expected[:step], f"order {step}"
        assert pool(shop) == D(pool_after), f"order {step}"

    entries = [QueueEntry.objects.get(order=record) for record in orders]
    assert [e.target for e in entries] == [D(amount) for amount, _, _ in WORKED_EXAMPLE]
    assert [e.status for e in entries] == ["freed", "freed"] + ["waiting"] * 8
    assert [e.received for e in entries] == [D("120.00"), D("35.50"), D("7.64")] + [0] * 7
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    # All funding is accounted for: 163.14 funded, all of it paid out.
    assert shop.balance(None, AccountKind.PLATFORM) == D("-163.14")
    assert audit_channel(shop.channel) == []


def test_even_mode_splits_among_the_first_k_capped_at_their_remainder(dividend_shop, make_user):
    shop = dividend_shop(payout_mode="even", even_k="3")
    c1, c2, c3, c4, c5 = (make_user() for _ in range(5))
    o1 = shop.place(c1, "100")
    shop.pay(o1)
    assert pool(shop) == D("20.00")  # nobody ahead yet
    shop.order(c2, "10")  # 20.00 + 2.00, all to the only entry ahead
    assert (shop.wallet(c1), pool(shop)) == (D("22.00"), 0)
    shop.order(c3, "50")  # 10.00 split between #1 and #2
    assert (shop.wallet(c1), shop.wallet(c2)) == (D("27.00"), D("5.00"))

    # 20.00 (20.002 rounded down) in thirds of 6.66; #2 needs only 5.00 and is freed.
    o4 = shop.place(c4, "100.01")
    shop.pay(o4)
    assert [shop.wallet(c) for c in (c1, c2, c3)] == [D("33.66"), D("10.00"), D("6.66")]
    assert pool(shop) == D("1.68")
    assert QueueEntry.objects.get(member=shop.member(c2)).status == QueueStatus.FREED

    # The next three waiting are #1, #3 and #4: 1.68 + 0.20 = 1.88 in thirds of 0.62.
    shop.order(c5, "1.00")
    assert [shop.wallet(c) for c in (c1, c3, c4)] == [D("34.28"), D("7.28"), D("0.62")]
    assert pool(shop) == D("0.02")
    assert entry(shop, o4).target == D("100.01")
    assert audit_channel(shop.channel) == []


def test_surplus_waits_in_the_pool_until_an_entry_is_ahead(dividend_shop, make_user):
    shop = dividend_shop(queue_min_amount="50")
    small, guest_paid, big, later = make_user(), None, make_user(), make_user()
    shop.order(small, "20")  # below the minimum: funds the pool, does not queue
    shop.pay(shop.place(guest_paid, "30"))  # guests fund the pool too
    assert pool(shop) == D("10.00")
    o3 = shop.place(big, "100")
    shop.pay(o3)  # nobody is ahead of it: the pool keeps everything
    assert pool(shop) == D("30.00")
    assert shop.wallet(big) == 0
    shop.order(later, "10")  # 30.00 carried over + 2.00, all to the entry now ahead
    assert shop.wallet(big) == D("32.00")
    assert pool(shop) == 0
    assert entry(shop, o3).received == D("32.00")
    assert audit_channel(shop.channel) == []


def test_minimum_amount_to_queue(dividend_shop, make_user):
    shop = dividend_shop(queue_min_amount="50")
    below = shop.place(make_user(), "49.99")
    shop.pay(below)
    at = shop.place(make_user(), "50.00")
    shop.pay(at)
    assert not queued(shop, below)
    assert entry(shop, at).target == D("50.00")
    assert pool(shop) == D("19.99")  # 9.99 + 10.00, with nobody ahead of the queued one


def test_maximum_amount_caps_the_target(dividend_shop, make_user):
    shop = dividend_shop(queue_max_amount="100", free_ratio="0.5")
    capped = shop.place(make_user(), "250")
    shop.pay(capped)
    under = shop.place(make_user(), "80.01")
    shop.pay(under)
    assert entry(shop, capped).target == D("50.00")  # 0.5 x min(250, 100)
    assert entry(shop, under).target == D("40.00")  # 0.5 x 80.01 = 40.005, rounded down


def test_queue_length_limit(dividend_shop, make_user):
    shop = dividend_shop(queue_max_length="2")
    c1, c2, c3, c4 = (make_user() for _ in range(4))
    o1, o2 = shop.place(c1, "100"), shop.place(c2, "100")
    shop.pay(o1)
    shop.pay(o2)
    o3 = shop.place(c3, "100")
    shop.pay(o3)  # two waiting: funds the pool, stays out
    assert not queued(shop, o3)
    assert shop.wallet(c1) == D("60.00")
    o4 = shop.place(c4, "400")
    shop.pay(o4)  # 80.00: 40.00 frees #1, 40.00 to #2; one waiting, so #4 joins
    assert (shop.wallet(c1), shop.wallet(c2)) == (D("100.00"), D("40.00"))
    assert entry(shop, o4).status == QueueStatus.WAITING
    assert audit_channel(shop.channel) == []


def test_open_entries_per_customer_limit(dividend_shop, make_user):
    shop = dividend_shop(queue_max_entries_per_member="2")
    regular, other = make_user(), make_user()
    first, second, third = (shop.place(regular, "100") for _ in range(3))
    for order in (first, second, third):
        shop.pay(order)
    assert queued(shop, first) and queued(shop, second)
    assert not queued(shop, third)  # two open entries already
    other_order = shop.place(other, "100")
    shop.pay(other_order)  # the limit is per customer
    assert queued(shop, other_order)
    assert (entry(shop, first).received, entry(shop, second).received) == (D("80.00"), 0)

    fourth = shop.place(regular, "300")
    shop.pay(fourth)  # 60.00: 20.00 frees the first entry, 40.00 to the second
    assert entry(shop, first).status == QueueStatus.FREED
    assert entry(shop, second).received == D("40.00")
    assert queued(shop, fourth)  # one open entry again
    assert shop.wallet(regular) == D("140.00")
    assert audit_channel(shop.channel) == []


def test_entries_expire_after_their_lifetime_and_keep_what_they_received(dividend_shop, make_user):
    shop = dividend_shop(queue_ttl_days="30")
    c1, c2, c3, c4 = (make_user() for _ in range(4))
    o1, o2 = shop.place(c1, "100"), shop.place(c2, "100")
    shop.pay(o1)
    shop.pay(o2)
    first = entry(shop, o1)
    assert first.expires_at == first.created_at + datetime.timedelta(days=30)
    assert first.received == D("40.00")

    second = entry(shop, o2)
    second.expires_at = first.expires_at + datetime.timedelta(days=10)
    second.save(update_fields=["expires_at"])
    assert expire_entries(shop.channel, first.expires_at - datetime.timedelta(seconds=1)) == 0
    assert expire_entries(shop.channel, first.expires_at) == 1
    first.refresh_from_db()
    assert (first.status, first.received, first.closed_at) == (
        QueueStatus.EXPIRED,
        D("40.00"),
        first.expires_at,
    )
    assert shop.wallet(c1) == D("40.00")  # what it received stays

    o3 = shop.place(c3, "100")
    shop.pay(o3)  # the expired entry is skipped: 20.00 to #2
    assert (shop.wallet(c1), shop.wallet(c2)) == (D("40.00"), D("20.00"))

    # A confirmation expires stale entries itself, without waiting for the daily settlement.
    QueueEntry.objects.filter(pk=second.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    shop.order(c4, "100")
    assert entry(shop, o2).status == QueueStatus.EXPIRED
    assert (shop.wallet(c2), shop.wallet(c3)) == (D("20.00"), D("20.00"))
    assert audit_channel(shop.channel) == []


def test_a_lifetime_switched_on_later_leaves_the_entries_queued_without_one(
    dividend_shop, make_user
):
    # Entries that joined while queue_ttl_days was 0 have no lifetime; switching one on applies
    # to the entries that join from then on.
    shop = dividend_shop(queue_ttl_days="0")
    c1, c2, c3 = (make_user() for _ in range(3))
    o1 = shop.place(c1, "100")
    shop.pay(o1)
    configure_channel(
        shop.channel.slug, "USD", {**shop.channel.config, "queue_ttl_days": "30"}, True
    )
    shop.channel.refresh_from_db()
    assert shop.pay(shop.place(c2, "100")) == "confirmed"
    assert entry(shop, o1).expires_at is None
    # The pool's 20.00 from the first order and 20.00 from the second.
    assert shop.wallet(c1) == D("40.00")
    o3 = shop.place(c3, "100")
    shop.pay(o3)
    assert entry(shop, o3).expires_at == entry(shop, o3).created_at + datetime.timedelta(days=30)
    assert shop.wallet(c1) == D("60.00")
    assert expire_entries(shop.channel, timezone.now() + datetime.timedelta(days=31)) == 2
    assert entry(shop, o1).status == QueueStatus.WAITING
    assert audit_channel(shop.channel) == []


def test_entries_without_a_lifetime_never_expire(dividend_shop, make_user):
    shop = dividend_shop(queue_ttl_days="0")
    order = shop.place(make_user(), "100")
    shop.pay(order)
    assert entry(shop, order).expires_at is None
    assert expire_entries(shop.channel, timezone.now() + datetime.timedelta(days=10_000)) == 0


def test_refunded_entry_leaves_or_shrinks_and_the_queue_moves_on(dividend_shop, make_user):
    shop = dividend_shop()
    c1, c2, c3, c4 = (make_user() for _ in range(4))
    o1, o2, o3 = shop.place(c1, "100"), shop.place(c2, "50"), shop.place(c3, "100")
    for order in (o1, o2, o3):
        shop.pay(order)
    assert shop.wallet(c1) == D("50.00")  # 20.00 + 10.00 + 20.00

    shop.refund(o2, "50")  # fully refunded: leaves the queue
    assert (entry(shop, o2).status, entry(shop, o2).target) == (QueueStatus.CANCELLED, 0)
    shop.refund(o3, "40")  # 60% kept: the target shrinks to 60.00
    assert entry(shop, o3).target == D("60.00")

    shop.order(c4, "300")  # 60.00: 50.00 frees #1, 10.00 skips #2 and goes to #3
    assert [shop.wallet(c) for c in (c1, c2, c3)] == [D("100.00"), 0, D("10.00")]
    assert audit_channel(shop.channel) == []


def test_refund_below_what_was_received_claws_back_into_the_pool(dividend_shop, make_user):
    shop = dividend_shop()
    c1, c2 = make_user(), make_user()
    o1 = shop.place(c1, "100")
    shop.pay(o1)
    shop.order(c2, "200")  # 20.00 + 40.00 to #1
    assert shop.wallet(c1) == D("60.00")
    shop.refund(o1, "50")  # target 50.00: the 10.00 above it goes back to the pool
    assert shop.wallet(c1) == D("50.00")
    first = entry(shop, o1)
    assert (first.status, first.target, first.received) == (
        QueueStatus.FREED,
        D("50.00"),
        D("50.00"),
    )
    assert pool(shop) == D("10.00")
    assert audit_channel(shop.channel) == []


def test_stale_entries_do_not_hold_a_place_even_when_nothing_is_paid(dividend_shop, make_user):
    shop = dividend_shop(dividend_ratio="0", queue_max_length="1", queue_ttl_days="30")
    stale = shop.place(make_user(), "100")
    shop.pay(stale)
    QueueEntry.objects.filter(order=shop.record(stale)).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    fresh = shop.place(make_user(), "100")
    shop.pay(fresh)  # the pool is empty, yet the stale entry leaves and makes room
    assert entry(shop, stale).status == QueueStatus.EXPIRED
    assert entry(shop, fresh).status == QueueStatus.WAITING


def test_a_clawback_the_wallet_cannot_cover_never_refills_the_pool(
    dividend_shop, make_user, settings
):
    settings.DIVIDEND_HOST = "tests.test_wallet.GiftCardHost"
    shop = dividend_shop()
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    a = shop.place(alice, "100")
    shop.pay(a)
    shop.order(bob, "100")  # 20.00 + 20.00 pay Alice's entry
    assert shop.wallet(alice) == D("40.00")
    wallet.convert_to_gift_card(shop.member(alice), "40.00", key="alice-card")
    assert shop.wallet(alice) == 0

    shop.refund(a, "100")  # 40.00 due back, the wallet holds nothing: all written off

    assert (entry(shop, a).status, entry(shop, a).received) == (QueueStatus.CANCELLED, 0)
    assert pool(shop) == D("0.00")
    assert shop.balance(None, AccountKind.WRITE_OFF) == D("-40.00")
    # The write-off is the platform's loss, not new money: 40.00 funded, 40.00 written off.
    assert shop.balance(None, AccountKind.PLATFORM) == D("0.00")
    assert audit_channel(shop.channel) == []
    shop.order(carol, "100")  # only Carol's 20.00 reaches Bob's entry
    assert shop.wallet(bob) == D("20.00")
    assert audit_channel(shop.channel) == []


def test_the_audit_flags_a_pool_refilled_by_a_write_off(dividend_shop, make_user):
    shop = dividend_shop()
    shop.order(make_user(), "100")  # 20.00 waits in the pool
    assert audit_channel(shop.channel) == []
    accounts = Accounts(shop.channel)
    # What a clawback used to post when the wallet was empty: the pool credited in full, the
    # write-off paying for it.
    post(
        shop.channel,
        "unfunded-refill",
        "queue_clawback",
        [
            (accounts.system(AccountKind.DIVIDEND_POOL), D("40.00")),
            (accounts.write_off("USD"), D("-40.00")),
        ],
        day=timezone.now().date(),
    )
    # Every other check passes: the funding still adds up once the write-off is counted.
    problems = audit_channel(shop.channel)
    assert [p.invariant for p in problems] == ["8-pools"]
    assert problems[0].rows == [
        "dividend_pool 60.00 != funding 20.00 - payouts 0.00 + given back 0.00"
    ]


def test_even_mode_reaches_past_expired_entries_to_the_first_k_waiting(dividend_shop, make_user):
    # Entries that joined under a shorter lifetime expire while older ones behind no lifetime
    # still wait: the even split goes to the first even_k entries still waiting however many
    # expired ones stand between them.
    shop = dividend_shop(payout_mode="even", even_k="2", queue_max_amount="100000")
    head, *expiring, second, buyer = (make_user() for _ in range(9))
    first = shop.order(head, "10000")
    stale = [shop.order(customer, "1000") for customer in expiring]
    shop.order(second, "500")
    QueueEntry.objects.filter(order__in=stale).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    before = shop.wallet(head), shop.wallet(second)
    assert QueueEntry.objects.get(order=first).status == QueueStatus.WAITING
    shop.order(buyer, "100")  # 20.00 in halves between the head and the second entry
    statuses = [QueueEntry.objects.get(order=record).status for record in stale]
    assert statuses == [QueueStatus.EXPIRED] * 6
    assert (shop.wallet(head) - before[0], shop.wallet(second) - before[1]) == (
        D("10.00"),
        D("10.00"),
    )
    assert audit_channel(shop.channel) == []
