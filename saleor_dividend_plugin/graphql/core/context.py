"""The request context: the channel the endpoint serves, the signed-in user and their rights."""

from __future__ import annotations

from functools import cached_property

from graphql.error import GraphQLError

from ... import points
from ...host import get_host
from ...ledger import Accounts
from ...models import Channel


class RequestError(GraphQLError):
    """An error whose message is meant for the caller. `code` goes to extensions.exception.code,
    where Saleor's own API puts it."""

    code = "GraphQLError"


class PermissionDenied(RequestError):
    code = "PermissionDenied"


class InvalidToken(RequestError):
    code = "InvalidTokenError"


class ExpiredToken(RequestError):
    code = "ExpiredSignatureError"


class ChannelNotFound(RequestError):
    code = "ChannelNotFound"


class RewardContext:
    def __init__(self, channel: Channel, user):
        self.channel = channel
        self.user = user
        # DataLoader instances of this request, by their context key.
        self.dataloaders: dict = {}
        self._permissions: dict[str, bool] = {}

    @cached_property
    def accounts(self) -> Accounts:
        """The channel's system accounts, loaded once per request."""
        return Accounts(self.channel)

    @cached_property
    def point_value(self):
        return points.point_value(self.channel, self.accounts)

    def forget_loaded(self) -> None:
        """Drop everything read so far: a mutation's payload shows the state after it."""
        self.dataloaders.clear()
        self.__dict__.pop("accounts", None)
        self.__dict__.pop("point_value", None)

    def has_permission(self, permission: str) -> bool:
        if self.user is None:
            return False
        if permission not in self._permissions:
            self._permissions[permission] = get_host().has_permission(self.user, permission)
        return self._permissions[permission]

    def require_user(self):
        if self.user is None:
            raise PermissionDenied("You need to be signed in to do this.")

    @cached_property
    def has_channel_access(self) -> bool:
        """Whether the signed-in staff member may act in this endpoint's channel, as the host
        decides it (Saleor: through their permission groups' channel restrictions)."""
        return self.user is not None and get_host().has_channel_access(self.user, self.channel.slug)

    def require_any_permission(self, *permissions: str):
        """Staff operations: one of `permissions`, in this channel."""
        self.require_user()
        if not any(self.has_permission(p) for p in permissions):
            raise PermissionDenied(
                "You need one of the following permissions: " + ", ".join(permissions) + "."
            )
        if not self.has_channel_access:
            raise PermissionDenied(f"You do not have access to the {self.channel.slug} channel.")
