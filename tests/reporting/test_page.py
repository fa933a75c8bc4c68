"""The report page: only a fresh link signed for this channel and an active staff member opens it,
and a refused one shows nothing of the report."""

import io

import pytest
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from saleor_dividend_plugin.reporting.page import LINK_MAX_AGE, REFUSED, link, sign_link


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


def get(url):
    return Client().get(url)


def test_a_fresh_link_for_the_channel_opens_its_report(known_history, staff):
    response = get(link("/report/?channel=known", "known", staff.pk) + "&days=3")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rewards report: channel known, 2026-03-02 to 2026-03-04" in body
    assert body.count('<img src="data:image/png;base64,') == 8
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def refused(response):
    return response.status_code == 403 and response.content.decode() == REFUSED


def test_expired_forged_and_other_channel_links_are_refused(
    known_history, make_channel, staff, clock, monkeypatch
):
    make_channel(slug="other")
    token = sign_link("known", staff.pk)
    # Another channel's page, the same token.
    assert refused(get(f"/report/?channel=other&token={token}"))
    # A forged token: the claims changed, or signed with another salt, or none at all.
    forged = signing.TimestampSigner(salt="another-salt").sign_object(
        {"channel": "known", "user": staff.pk}
    )
    tampered = token.replace(token.split(":")[0], sign_link("other", staff.pk).split(":")[0])
    for bad in (forged, tampered, token[:-2] + "xx", ""):
        assert refused(get(f"/report/?channel=known&token={bad}"))
    assert refused(get("/report/?channel=known"))
    # Expired: the signature's time is more than LINK_MAX_AGE ago.
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + LINK_MAX_AGE + 1)
    assert refused(get(f"/report/?channel=known&token={token}"))
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + LINK_MAX_AGE - 5)
    assert get(f"/report/?channel=known&token={token}").status_code == 200


def test_a_link_for_someone_no_longer_staff_is_refused(known_history, staff, make_user):
    customer = make_user("customer")
    assert refused(get(link("/report/?channel=known", "known", customer.pk)))
    url = link("/report/?channel=known", "known", staff.pk)
    staff.is_active = False
    staff.save()
    assert refused(get(url))


def test_bad_days_and_methods(known_history, staff):
    url = link("/report/?channel=known", "known", staff.pk)
    for days in ("0", "abc", "99999"):
        response = get(f"{url}&days={days}")
        assert response.status_code == 400
        assert "days must be a whole number from 1 to 3650" in response.content.decode()
    assert Client().post(url).status_code == 405


def test_the_report_command_writes_files_and_refuses_bad_flags(known_history, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "dividend_report", "known", "--days", "3", "--out", str(tmp_path), stdout=out, stderr=err
    )
    assert "3 paid, 1 cancelled" in out.getvalue()
    assert "report written to" in err.getvalue()
    files = {p.name for p in tmp_path.iterdir()}
    assert {"summary.json", "daily.csv", "index.html", "queue.png", "waiting.png"} <= files
    assert len(list(tmp_path.glob("*.png"))) == 8
    for args, message in (
        (["nowhere"], "no rewards channel 'nowhere' (channels: known)"),
        (["known", "--days", "0"], "days must be a whole number from 1 to 3650, got 0"),
        (["known", "--days", "x"], "days must be a whole number from 1 to 3650, got 'x'"),
    ):
        target = tmp_path / "refused"
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call_command("dividend_report", *args, "--out", str(target))
        assert not target.exists()
