"""Channel configuration: what the Dashboard saves, the CLI and the demo set, in one place."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from . import events
from .config import FIELD_NAMES, parse_config
from .ledger import Accounts
from .members import refresh_tiers
from .models import AccountKind, Channel, DrainCall
from .money import CONTRIBUTION, ENERGY, POINTS


def configure_channel(slug: str, currency: str, values: dict[str, Any], active: bool) -> Channel:
    """Validate `values` (raises `config.ConfigError`) and store them for the channel."""
    config = parse_config(values)
    stored = {name: s for name, s in config.to_strings().items() if name in FIELD_NAMES}
    currency = (currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"currency must be a 3-letter code, got {currency!r}")
    with transaction.atomic():
        channel, created = Channel.objects.select_for_update().get_or_create(
            slug=slug, defaults={"currency": currency, "config": stored, "active": active}
        )
        if not created:
            if (
                channel.currency != currency
                and Accounts(channel).system(AccountKind.PLATFORM).balance != 0
            ):
                raise ValueError(
                    f"channel {slug} already holds rewards in {channel.currency}; its currency "
                    f"cannot change to {currency}"
                )
            previous_tiers = channel.settings.tiers
            switched_on = active and not channel.active
            channel.currency = currency
            channel.config = stored
            channel.active = active
            channel.updated_at = timezone.now()
            channel.save()
            if channel.settings.tiers != previous_tiers:
                refresh_tiers(channel)
            if switched_on:
                events.channel_switched_on(channel.slug)
        open_system_accounts(channel)
        # The row its order events note their drain calls in (`lifecycle.queue_event`).
        DrainCall.objects.get_or_create(channel=channel)
        from .beat import schedule_settlement

        schedule_settlement(channel)
    return channel


def open_system_accounts(channel: Channel) -> None:
    accounts = Accounts(channel)
    for kind in AccountKind.values:
        if kind in {"points", "energy", "contribution", "wallet"}:
            continue
        accounts.system(kind)
    for unit in (POINTS, ENERGY, CONTRIBUTION):
        accounts.write_off(unit)
