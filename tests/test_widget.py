"""How the storefront widget's script is served: a short-lived redirect to an immutable,
content-hashed URL (the standalone host's `/widget.js`; Saleor's is tested in tests/saleor/)."""

import hashlib
import re

from saleor_dividend_plugin.widget import SCRIPT, widget_version

BODY = SCRIPT.read_bytes()
VERSION = hashlib.sha256(BODY).hexdigest()[:16]


def test_the_short_url_redirects_to_the_current_version_for_five_minutes(client):
    response = client.get("/widget.js")
    assert response.status_code == 302
    assert response["Location"] == f"widget.{VERSION}.js"
    assert response["Cache-Control"] == "public, max-age=300"
    assert widget_version() == VERSION


def test_the_versioned_url_serves_the_script_cached_for_a_year(client):
    response = client.get(f"/widget.{VERSION}.js")
    assert response.status_code == 200
    assert response.content == BODY
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.head(f"/widget.{VERSION}.js").status_code == 200


def test_a_url_of_another_version_redirects_to_the_current_one(client):
    response = client.get("/widget.0123456789abcdef.js")
    assert response.status_code == 302
    assert response["Location"] == f"widget.{VERSION}.js"
    assert response["Cache-Control"] == "public, max-age=300"


def test_the_script_only_answers_reads(client):
    response = client.post(f"/widget.{VERSION}.js")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.get("/widget.JS").status_code == 404
    assert client.get("/widgets.js").status_code == 404


def test_the_script_needs_no_build_step_and_loads_nothing_else():
    text = BODY.decode()
    # One classic script: no module syntax, nothing imported or fetched but the API.
    assert not re.search(r"^\s*(import|export)\b|\brequire\(|\bimport\(", text, re.MULTILINE)
    assert text.count("fetch(") == 1
    assert "innerHTML" not in text
