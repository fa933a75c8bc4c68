"""Members: created on a customer's first order in a channel, with a referral code and accounts."""

from __future__ import annotations

import secrets

from django.db import connection, transaction
from django.utils import timezone

from .ledger import open_member_accounts
from .locks import lock_channel
from .models import Account, Channel, Member, OrderRecord, OrderStatus

# No 0/O or 1/I: codes are read aloud and typed from screenshots.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_REFERRAL_DEPTH = 3


class ReferralError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def new_referral_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def member_for(channel: Channel, user_id) -> Member:
    """The customer's membership in the channel, created on first use."""
    return members_for(channel, [user_id])[user_id]


def members_for(channel: Channel, user_ids, now=None) -> dict:
    """The memberships of these customers in the channel, created (with their accounts, dated
    `now`, by default the current time) where they have none yet. Returns {user id: member}."""
    wanted = set(user_ids)
    found = {m.user_id: m for m in Member.objects.filter(channel=channel, user_id__in=wanted)}
    lowest = channel.settings.tiers[0].code
    for _ in range(5):
        missing = wanted - found.keys()
        if not missing:
            return found
        # Ignoring conflicts: another request may have created the member meanwhile, or a
        # referral code may have collided; whoever is still missing is tried again. A member
        # and its accounts are created in one transaction, so a member found has its accounts,
        # unless this call created it.
        with transaction.atomic():
            Member.objects.bulk_create(
                [
                    Member(
                        channel=channel,
                        user_id=user_id,
                        referral_code=new_referral_code(),
                        tier_code=lowest,
                        # The model's default is bound at import; the report dates members by this.
                        created_at=now or timezone.now(),
                    )
                    for user_id in missing
                ],
                ignore_conflicts=True,
            )
            created = list(Member.objects.filter(channel=channel, user_id__in=missing))
            opened = set(
                Account.objects.filter(member__in=created).values_list("member_id", flat=True)
            )
            open_member_accounts(channel, [m for m in created if m.pk not in opened])
        found.update((m.user_id, m) for m in created)
    if wanted - found.keys():
        raise RuntimeError("could not allocate unique referral codes")
    return found


def referrer_chain(member: Member) -> list[Member]:
    """Level 1, 2, 3 referrers of `member`, nearest first."""
    chain, current = [], member
    while current.referrer_id and len(chain) < MAX_REFERRAL_DEPTH:
        current = Member.objects.get(pk=current.referrer_id)
        chain.append(current)
    return chain


def set_referrer(member: Member, code: str) -> Member:
    """Attach `member` to the owner of referral `code`, once, before their first confirmed order."""
    code = (code or "").strip().upper()
    with transaction.atomic():
        # The channel lock, not a row lock: two customers naming each other at once must not both
        # pass the cycle check, and an order confirmed meanwhile must either see the referrer or
        # make this too late.
        lock_channel(member.channel_id)
        member = Member.objects.get(pk=member.pk)
        if member.referrer_id:
            raise ReferralError("ALREADY_SET", "A referrer has already been set for this account.")
        confirmed = OrderRecord.objects.filter(member=member, status=OrderStatus.CONFIRMED)
        if member.first_confirmed_at or confirmed.exists():
            raise ReferralError(
                "TOO_LATE", "A referrer can only be set before the first paid order."
            )
        referrer = Member.objects.filter(channel_id=member.channel_id, referral_code=code).first()
        if referrer is None:
            raise ReferralError("NOT_FOUND", "No customer in this channel has that referral code.")
        if referrer.pk == member.pk:
            raise ReferralError("SELF_REFERRAL", "You cannot refer yourself.")
        # Walk up from the referrer: meeting `member` would close a cycle.
        ancestors, ancestor = 0, referrer
        while True:
            ancestors += 1
            if ancestor.referrer_id == member.pk:
                raise ReferralError("CYCLE", "That referral would create a referral cycle.")
            if not ancestor.referrer_id or ancestors > MAX_REFERRAL_DEPTH:
                break
            ancestor = Member.objects.get(pk=ancestor.referrer_id)
        # Chains are limited to MAX_REFERRAL_DEPTH levels, counting the customers `member` has
        # already referred (multi-level schemes beyond that are unlawful in many places).
        depth = ancestors + _referral_height(member)
        if depth > MAX_REFERRAL_DEPTH:
            raise ReferralError(
                "DEPTH_EXCEEDED",
                f"Referral chains are limited to {MAX_REFERRAL_DEPTH} levels; this one would "
                f"have {depth}.",
            )
        member.referrer = referrer
        member.referrer_set_at = timezone.now()
        member.save(update_fields=["referrer", "referrer_set_at"])
        return member


def _referral_height(member: Member) -> int:
    """How many levels of referrals hang below `member` (0 when nobody used its code)."""
    height, level = 0, [member.pk]
    while level and height <= MAX_REFERRAL_DEPTH:
        level = list(Member.objects.filter(referrer_id__in=level).values_list("pk", flat=True))
        if level:
            height += 1
    return height


def refresh_tiers(channel: Channel) -> int:
    """Re-rank every member of the channel after its tiers were reconfigured, in one statement.
    Returns how many members changed tier (each change is recorded)."""
    config = channel.settings
    tiers = ", ".join(["(%s, %s::int, %s::numeric)"] * len(config.tiers))
    params = [p for rank, t in enumerate(config.tiers) for p in (t.code, rank, t.min_contribution)]
    with transaction.atomic():
        lock_channel(channel.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH tiers(code, rank, min_contribution) AS (VALUES {tiers}),"
                " ranked AS ("
                "   SELECT m.id, m.tier_code AS previous, greatest("
                "       (SELECT max(rank) FROM tiers WHERE min_contribution <= c.balance),"
                "       (SELECT rank FROM tiers WHERE code = m.granted_tier_code)) AS rank"
                "     FROM dividend_member m"
                "     JOIN dividend_account c ON c.member_id = m.id AND c.kind = 'contribution'"
                "    WHERE m.channel_id = %s),"
                " changed AS ("
                "   UPDATE dividend_member m SET tier_code = t.code"
                "     FROM ranked r JOIN tiers t ON t.rank = r.rank"
                "    WHERE m.id = r.id AND m.tier_code <> t.code"
                "   RETURNING m.id, r.previous, t.code)"
                " INSERT INTO dividend_tier_change (member_id, previous, tier, reason, created_at)"
                " SELECT id, previous, code, 'configuration', %s FROM changed",
                [*params, channel.pk, timezone.now()],
            )
            return cursor.rowcount
