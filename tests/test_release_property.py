"""For any members, contributions, energies, tier weights and budgets, a day's release stays within
the budget and every member's energy, pays exactly what the formula says, and moves money from the
release pool to the wallets without creating or losing a cent."""

import datetime
import decimal
import itertools
import json
from decimal import Decimal as D

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from saleor_dividend_plugin.audit import audit_channel
from saleor_dividend_plugin.channels import open_system_accounts
from saleor_dividend_plugin.config import parse_config
from saleor_dividend_plugin.ledger import Accounts, post, unit_of
from saleor_dividend_plugin.members import new_referral_code
from saleor_dividend_plugin.models import (
    MEMBER_KINDS,
    Account,
    AccountKind,
    Channel,
    Member,
    Release,
)
from saleor_dividend_plugin.money import CONTRIBUTION, ENERGY, quantum
from tests.test_release import fund, release

DAY = datetime.date(2026, 5, 10)
_channels = itertools.count(1)


@st.composite
def release_days(draw):
    currency = draw(st.sampled_from(["USD", "JPY", "KWD"]))
    step = quantum(currency)

    def money(top):
        return draw(st.integers(0, top)) * step

    weights = draw(st.lists(st.integers(0, 1_000_000), min_size=1, max_size=4))
    tiers = [
        {
            "code": f"t{i}",
            "name": f"Tier {i}",
            "min_contribution": str(i * 100),
            "release_weight": str(D(w) / 10_000),
        }
        for i, w in enumerate(weights)
    ]
    members = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(tiers) - 1), st.integers(0, 5_000_000), st.integers(0, 5_000_000)
            ),
            max_size=30,
        )
    )
    return dict(
        currency=currency,
        tiers=tiers,
        members=[(f"t{t}", c * step, e * step) for t, c, e in members],
        # Left over from earlier days, funded by the day itself, funded by the day after.
        funding=(money(2_000_000), money(20_000_000), money(1_000_000)),
    )


def expected_releases(budget, members, weights, step):
    """The DESIGN §8 formula, computed apart from the SQL that implements it: each share is
    contribution x weight x budget / W, rounded down once."""
    with decimal.localcontext() as exact:
        exact.prec = 120
        eligible = [(c, weights[t], e) for t, c, e in members if e > 0]
        weighted = sum((c * w for c, w, _ in eligible), D(0))
        if budget <= 0 or weighted <= 0:
            return [D(0) for _ in members]
        return [
            min(e, (c * weights[t] * budget) // (weighted * step) * step) if e > 0 else D(0)
            for t, c, e in members
        ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=release_days())
# A share that comes out even (0.01 x 0.0009 x 0.05 / 0.000009 = 0.05) while u = 5555.5555...
# has no finite decimal form: a truncated u would pay 0.04.
@example(
    case=dict(
        currency="USD",
        members=[("t0", D("0.01"), D("0.05"))],
        tiers=[
            {"code": "t0", "name": "Tier 0", "min_contribution": "0", "release_weight": "0.0009"}
        ],
        funding=(D("0.00"), D("0.05"), D("0.00")),
    )
)
def test_release_stays_within_budget_and_energy_and_conserves_money(db, case):
    # Made directly rather than through configure_channel: no beat schedule is needed here.
    channel = Channel.objects.create(
        slug=f"release-{next(_channels)}",
        currency=case["currency"],
        active=True,
        config=parse_config({"tiers": json.dumps(case["tiers"])}).to_strings(),
    )
    open_system_accounts(channel)
    carried, funded, later = case["funding"]
    for offset, amount in enumerate((carried, funded, later), -1):
        day = DAY + datetime.timedelta(days=offset)
        fund(channel, day, amount, f"ch:{channel.pk}:fund:{day}")
    members = Member.objects.bulk_create(
        Member(channel=channel, referral_code=new_referral_code(), tier_code=tier)
        for tier, _, _ in case["members"]
    )
    Account.objects.bulk_create(
        Account(channel=channel, member=member, kind=kind, unit=unit_of(kind, channel))
        for member in members
        for kind in MEMBER_KINDS
    )
    accounts = Accounts(channel)
    accounts.load_members(m.pk for m in members)
    # Everybody's energy and contribution in one posting, as if each had paid an order.
    legs = []
    for member, (_, contribution, energy) in zip(members, case["members"], strict=True):
        legs += [
            (accounts.member(member, AccountKind.ENERGY), energy),
            (accounts.system(AccountKind.ENERGY_ISSUED, ENERGY), -energy),
            (accounts.member(member, AccountKind.CONTRIBUTION), contribution),
            (accounts.system(AccountKind.CONTRIBUTION_ISSUED, CONTRIBUTION), -contribution),
        ]
    post(channel, f"ch:{channel.pk}:rewards", "order_rewards", legs, day=DAY)

    result = release(channel, DAY)

    accounts = Accounts(channel)
    accounts.load_members(m.pk for m in members)
    wallets = [accounts.member(m, AccountKind.WALLET).balance for m in members]
    energies = [accounts.member(m, AccountKind.ENERGY).balance for m in members]
    weights = {t["code"]: D(t["release_weight"]) for t in case["tiers"]}
    expected = expected_releases(
        carried + funded, case["members"], weights, quantum(case["currency"])
    )
    assert result.budget == carried + funded
    assert wallets == expected
    assert result.released == sum(wallets, D(0)) <= result.budget
    for (_, _, energy), paid, left in zip(case["members"], wallets, energies, strict=True):
        assert paid <= energy and left == energy - paid
    pool = accounts.system(AccountKind.RELEASE_POOL).balance
    assert carried + funded + later - pool == result.released
    rows = Release.objects.filter(channel=channel, day=DAY)
    assert sorted(r.amount for r in rows) == sorted(p for p in wallets if p > 0)
    assert result.members_paid == rows.count()
    assert audit_channel(channel) == []
