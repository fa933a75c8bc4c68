"""A live channel's state as the simulator's starting point: the one place that knows both the
ledger figures (`ledger_figures.ChannelState`) and the simulator's ledger (`simulator.engine`)."""

from __future__ import annotations

from ..config import ChannelConfig
from ..models import AccountKind
from ..money import CONTRIBUTION, ENERGY, POINTS, minor_units
from ..simulator.engine import Engine, Entry
from ..simulator.rules import to_minor
from .ledger_figures import ChannelState


def engine_from_state(state: ChannelState, config: ChannelConfig) -> tuple[Engine, list[Entry]]:
    """The simulator's ledger holding the channel's balances, members, queue, point lots and
    point value, run by `config` (the channel's own or a proposed one). Returns it with the
    queue entries waiting now, head first, to follow them through the run.

    Members are numbered in the order they joined; their tiers are worked out again under
    `config`. Orders paid before the start are not refunded in the run.
    """
    currency = state.currency
    places = minor_units(currency)
    engine = Engine(config, currency)

    def system(kind: str, unit: str = currency) -> int:
        balance = state.system.get((kind, unit), 0)
        return int(balance) if unit == POINTS else to_minor(balance, places)

    engine.platform = system(AccountKind.PLATFORM)
    engine.dividend_pool = system(AccountKind.DIVIDEND_POOL)
    engine.release_pool = system(AccountKind.RELEASE_POOL)
    engine.backing = system(AccountKind.POINTS_BACKING)
    engine.write_off = system(AccountKind.WRITE_OFF)
    engine.write_off_points = system(AccountKind.WRITE_OFF, POINTS)
    engine.gift_cards = system(AccountKind.GIFT_CARDS)
    engine.points_issued = system(AccountKind.POINTS_ISSUED, POINTS)
    engine.energy_issued = system(AccountKind.ENERGY_ISSUED, ENERGY)
    engine.contribution_issued = system(AccountKind.CONTRIBUTION_ISSUED, CONTRIBUTION)
    if config.point_value_mode == "rate":
        engine.scheduled_value = state.scheduled_point_value

    index = {}
    for member in state.members:
        i = index[member.id] = engine.add_member()
        engine.points[i] = int(member.points)
        engine.energy[i] = to_minor(member.energy, places)
        engine.contribution[i] = to_minor(member.contribution, places)
        engine.wallet[i] = to_minor(member.wallet, places)
        engine.confirmed[i] = member.confirmed
        engine.live_gift_orders[i] = member.live_gift_orders
        engine.granted[i] = config.tier_rank(member.granted_tier_code or None)
    for member in state.members:
        if member.referrer_id in index:
            engine.referrer[index[member.id]] = index[member.referrer_id]
        engine._update_tier(index[member.id])

    ttl = engine.ttl
    initial = []
    for waiting in state.queue:
        member = index[waiting.member_id]
        created = int(waiting.created_at.timestamp())
        if waiting.expires_at is not None:
            expires = int(waiting.expires_at.timestamp())
        else:
            # Joined while entries did not expire: a proposed lifetime counts from joining.
            expires = created + ttl if ttl else None
        entry = Entry(member, to_minor(waiting.target, places), created, expires)
        entry.original = to_minor(waiting.original_target, places)
        entry.received = to_minor(waiting.received, places)
        engine.queue.append(entry)
        engine.open_entries[member] += 1
        engine.waiting += 1
        engine.waiting_remaining += entry.target - entry.received
        initial.append(entry)

    if config.points_expire_days:
        for member_id, last_day, points in state.lots:
            lot = [last_day.toordinal(), index[member_id], int(points)]
            engine.lots[lot[1]].append(lot)
            engine._all_lots.append(lot)
    return engine, initial
