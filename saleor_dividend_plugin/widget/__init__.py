"""The storefront rewards panel, `<saleor-rewards>`: one plain script served by the plugin itself.

Inside Saleor it is at `/plugins/channel/<channel-slug>/saleor_dividend_plugin/widget.js` (the
plugin's `webhook` route); the standalone host serves it at `/widget.js`. Both answer with
`widget_response`:

- `widget.js` redirects to `widget.<version>.js`, and the redirect may be cached for five
  minutes: storefronts paste the short URL once and pick up a new version within minutes of an
  upgrade, without downloading the script again on every page.
- `widget.<version>.js` is the script, cached for a year as immutable: the version is the hash of
  its content, so a URL never changes meaning.
- Any other version (a URL pinned before an upgrade) redirects to the current one, like
  `widget.js`: the old content is no longer installed, and a 404 would break the storefront.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from django.http import HttpResponse, HttpResponseRedirect

SCRIPT = Path(__file__).with_name("saleor-rewards.js")
_PATH = re.compile(r"^/?widget(?:\.(?P<version>[0-9a-f]{1,64}))?\.js$")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=300"


@cache
def _script() -> tuple[bytes, str]:
    body = SCRIPT.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def widget_version() -> str:
    """The hash in the current script's URL."""
    return _script()[1]


def widget_response(request, path: str) -> HttpResponse | None:
    """The answer to a request for the script at `path`, or None when `path` names no script."""
    match = _PATH.search(path)
    if match is None:
        return None
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    body, version = _script()
    if match["version"] == version:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        response["Cache-Control"] = IMMUTABLE
    else:
        # Relative, so that it holds behind any proxy or mount point of the plugin's URL.
        response = HttpResponseRedirect(f"widget.{version}.js")
        response["Cache-Control"] = SHORT_LIVED
    # `<script type="module">` and integrity-checked scripts are fetched with CORS.
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response
