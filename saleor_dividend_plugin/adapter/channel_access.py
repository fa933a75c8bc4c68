"""Which channels a staff member may act in, as Saleor decides it.

Saleor's permission groups may be restricted to some channels. Saleor's staff operations in a
channel (`BaseMutation.check_channel_permissions`, the order resolvers) ask
`AccessibleChannelsByUserIdLoader`, the same on every supported line (3.21 to main): a member
of a group without `restricted_access_to_channels` has every channel, a member of a restricted
group has that group's channels, the union over all their groups, and a staff member in no
group has none. Superusers are no exception there, so they are none here.
"""

from __future__ import annotations

from django.db.models import Q
from saleor.account.models import Group


def has_channel_access(user, channel: str) -> bool:
    if user is None or user.pk is None:
        return False
    return (
        Group.objects.filter(user=user)
        .filter(Q(restricted_access_to_channels=False) | Q(channels__slug=channel))
        .exists()
    )
