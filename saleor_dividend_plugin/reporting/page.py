"""The report page of a channel, opened from the Dashboard by a signed link.

The link carries the channel and the staff member it was made for, signed with the host's
SECRET_KEY and a salt of its own and valid for `LINK_MAX_AGE`: whoever holds it sees that channel's
report until then, and nothing else. The Dashboard makes a new one each time the settings open.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpResponse

from ..models import Channel
from .live import DEFAULT_DAYS, ReportError, channel_report, parse_days
from .report import page_html

SALT = "saleor_dividend_plugin.report-link"
LINK_MAX_AGE = 15 * 60
REFUSED = (
    "This report link is not valid: it has expired, was altered, or belongs to another channel. "
    "Open the channel's plugin settings in the Dashboard again for a new link."
)


def sign_link(channel_slug: str, user_id) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"channel": channel_slug, "user": user_id}
    )


def link(base_url: str, channel_slug: str, user_id) -> str:
    joint = "&" if "?" in base_url else "?"
    return f"{base_url}{joint}{urlencode({'token': sign_link(channel_slug, user_id)})}"


def _text(status: int, message: str) -> HttpResponse:
    return _private(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of caches and out of other sites' Referer; the
    # page loads nothing from anywhere (its plots are inline images).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    return response


def signed_user(token: str, channel_slug: str):
    """The active staff member the token was signed for, for this channel; None otherwise."""
    try:
        claims = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # expired links raise SignatureExpired, a BadSignature
        return None
    if not isinstance(claims, dict) or claims.get("channel") != channel_slug:
        return None
    return (
        get_user_model()
        .objects.filter(pk=claims.get("user"), is_active=True, is_staff=True)
        .first()
    )


def report_response(request, channel_slug: str | None) -> HttpResponse:
    if request.method != "GET":
        response = _text(405, "Only GET.")
        response["Allow"] = "GET"
        return response
    if not channel_slug or signed_user(request.GET.get("token", ""), channel_slug) is None:
        return _text(403, REFUSED)
    try:
        days = parse_days(request.GET["days"]) if "days" in request.GET else DEFAULT_DAYS
    except ReportError as error:
        return _text(400, str(error))
    channel = Channel.objects.filter(slug=channel_slug).first()
    if channel is None:
        return _text(404, "The rewards plugin has not been saved for this channel yet.")
    html = page_html(channel_report(channel, days))
    return _private(HttpResponse(html, content_type="text/html; charset=utf-8"))


def report_view(request) -> HttpResponse:
    """The standalone host's `/report/?channel=<slug>&token=…`."""
    return report_response(request, request.GET.get("channel"))
