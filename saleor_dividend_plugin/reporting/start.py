"""A live channel as the simulator's starting point: the one place that knows both the ledger's
snapshot of a channel (`ledger_figures.ChannelSnapshot`) and the rules kernel's state
(`kernel.state.ChannelState`)."""

from __future__ import annotations

from ..config import ChannelConfig
from ..kernel.rules import to_minor
from ..kernel.state import DAY_SECONDS, ChannelState, Entry
from ..ledger import kernel_balance
from ..money import minor_units
from .ledger_figures import ChannelSnapshot


def state_from_channel(
    snapshot: ChannelSnapshot, config: ChannelConfig
) -> tuple[ChannelState, list[Entry]]:
    """The kernel's state of the channel: its balances, members, queue, point lots and point
    value, under `config` (the channel's own or a proposed one). Returns it with the queue
    entries waiting now, head first, to follow them through a run.

    Members are numbered in the order they joined; their tiers are worked out again under
    `config`. Orders paid before the start are not in the state, so a run does not refund them.
    """
    currency = snapshot.currency
    places = minor_units(currency)
    state = ChannelState(config, currency)

    for (kind, unit), balance in snapshot.system.items():
        held = kernel_balance(kind, unit, balance, currency)
        if held is not None:
            setattr(state, *held)
    if config.point_value_mode == "rate" and snapshot.scheduled_point_value is not None:
        state.scheduled_value = snapshot.scheduled_point_value
        state.valued_day = snapshot.scheduled_on.toordinal()

    index = {
        member.id: state.add_member(
            points=int(member.points),
            energy=to_minor(member.energy, places),
            contribution=to_minor(member.contribution, places),
            wallet=to_minor(member.wallet, places),
            granted=config.tier_rank(member.granted_tier_code or None),
            confirmed=member.confirmed,
            live_gift_orders=member.live_gift_orders,
        )
        for member in snapshot.members
    }
    for member in snapshot.members:
        if member.referrer_id in index:
            state.referrer[index[member.id]] = index[member.referrer_id]

    ttl = config.queue_ttl_days * DAY_SECONDS
    initial = []
    for number, waiting in enumerate(snapshot.queue):
        created = int(waiting.created_at.timestamp())
        if waiting.expires_at is not None:
            expires = int(waiting.expires_at.timestamp())
        else:
            # Joined while entries did not expire: a proposed lifetime counts from joining.
            expires = created + ttl if ttl else None
        entry = Entry(
            ("waiting", number),
            index[waiting.member_id],
            to_minor(waiting.target, places),
            created,
            expires,
            received=to_minor(waiting.received, places),
        )
        entry.original = to_minor(waiting.original_target, places)
        initial.append(state.add_entry(entry))

    if config.points_expire_days:
        for member_id, last_day, points in snapshot.lots:
            state.add_lot(index[member_id], int(points), last_day.toordinal())
    return state, initial
