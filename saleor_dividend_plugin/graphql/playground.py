"""The GraphQL playground page served on GET: the same explorer Saleor serves, pointed at the URL
it was opened from."""

import base64
import hashlib
import json

from django.utils.html import escape

_PLAYGROUND = "https://cdn.jsdelivr.net/npm/@saleor/graphql-playground@3.0.0/dist/umd"
_SCRIPT_SRI = (
    "sha512-xbGZvNZugfiqQdC42yV5/CDwkcGReW4Jo5v39eWOG6Y63fQuhb/"
    "NulSUIH4oWIJxbZOKAdQbgMxwkOEt0U++bA=="
)
_STYLE_SRI = (
    "sha512-6yzktgk11EmjCnuWTl0+FImf6MG3c+mqrO33bCiwaeouI5RoAJKSyKmLGFAYt44jRtr/"
    "bgkjqvRUxay3Ih05cw=="
)
# The playground adds this inline style when its settings are opened.
_SETTINGS_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"
_START = """
    const root = document.querySelector("#root");
    createPlayground(root, { endpoint: JSON.parse(root.dataset.endpoint) });
"""
_START_HASH = base64.b64encode(hashlib.sha256(_START.encode()).digest()).decode()


def playground_html(endpoint: str) -> str:
    """The page; `endpoint` is where its queries are posted (the URL of the page itself)."""
    csp = (
        f"default-src 'none'; connect-src 'self'; "
        f"script-src {_PLAYGROUND}/index.js 'sha256-{_START_HASH}'; "
        f"style-src {_PLAYGROUND}/index.css {_SETTINGS_STYLE}; font-src 'self' data:; "
        f"img-src data:"
    )
    return f"""<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex, nofollow">
  <meta http-equiv="content-security-policy" content="{escape(csp)}">
  <title>Rewards GraphQL</title>
  <link rel="stylesheet" href="{_PLAYGROUND}/index.css" integrity="{_STYLE_SRI}"
        crossorigin="anonymous">
</head>
<body>
  <div id="root" data-endpoint="{escape(json.dumps(endpoint))}"></div>
  <script src="{_PLAYGROUND}/index.js" integrity="{_SCRIPT_SRI}" crossorigin="anonymous"></script>
  <script type="module">{_START}</script>
</body>
</html>
"""
