"""Who is calling the plugin's endpoint, by Saleor's own access tokens and permissions."""

from __future__ import annotations

import jwt
from saleor.core.auth_backend import load_user_from_request
from saleor.permission.enums import GiftcardPermissions, OrderPermissions

PERMISSIONS = {
    "MANAGE_ORDERS": OrderPermissions.MANAGE_ORDERS,
    "MANAGE_GIFT_CARD": GiftcardPermissions.MANAGE_GIFT_CARD,
}


def authenticate(request):
    """The customer or staff member whose token (`Authorization: Bearer …`) the request carries,
    None without a token. A token Saleor rejects (expired, revoked, for an inactive account)
    raises PermissionError, chained to Saleor's reason."""
    try:
        return load_user_from_request(request)
    except jwt.InvalidTokenError as error:
        raise PermissionError(str(error) or "Invalid token.") from error


def has_permission(user, permission: str) -> bool:
    perm = PERMISSIONS.get(permission)
    if perm is None or user is None or not getattr(user, "is_active", False):
        return False
    return user.has_perm(perm)
