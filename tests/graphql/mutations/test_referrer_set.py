from saleor_dividend_plugin.models import Member

from ..conftest import error_codes

SET = """
mutation SetReferrer($code: String!) {
  referrerSet(code: $code) {
    errors { field code message }
    account { id referralCode referrerCode }
  }
}
"""


def codes(result):
    return [(e["field"], e["code"]) for e in result["referrerSet"]["errors"]]


def test_a_new_customer_names_their_referrer_once(api, rewarded, make_user):
    carol = make_user("carol")
    result = api.data(SET, {"code": f" {rewarded.referral_code.lower()} "}, user=carol)
    carol_member = Member.objects.get(user=carol)
    assert result["referrerSet"]["errors"] == []
    assert result["referrerSet"]["account"]["referrerCode"] == rewarded.referral_code
    assert result["referrerSet"]["account"]["referralCode"] == carol_member.referral_code
    assert carol_member.referrer_id == rewarded.pk

    dave = make_user("dave")
    dave_code = api.data(SET, {"code": carol_member.referral_code}, user=dave)
    assert dave_code["referrerSet"]["errors"] == []
    again = api.data(SET, {"code": dave_code["referrerSet"]["account"]["referralCode"]}, user=carol)
    assert codes(again) == [("code", "REFERRER_ALREADY_SET")]
    assert Member.objects.get(user=carol).referrer_id == rewarded.pk


def test_the_members_service_refusals_are_reported_on_code(api, rewarded, customer, make_user):
    carol = make_user("carol")
    assert codes(api.data(SET, {"code": "NOSUCH22"}, user=carol)) == [("code", "NOT_FOUND")]
    own = Member.objects.get(user=carol).referral_code
    assert codes(api.data(SET, {"code": own}, user=carol)) == [("code", "SELF_REFERRAL")]
    # Alice already has a paid order.
    assert codes(api.data(SET, {"code": own}, user=customer)) == [("code", "REFERRER_TOO_LATE")]
    assert codes(api.data(SET, {"code": "  "}, user=carol)) == [("code", "REQUIRED")]
    assert Member.objects.get(user=carol).referrer_id is None


def test_a_code_of_another_channel_is_unknown_here(api, rewarded, make_user, make_channel):
    outlet = make_channel("outlet")
    result = api.data(
        SET, {"code": rewarded.referral_code}, user=make_user("carol"), channel=outlet
    )
    assert codes(result) == [("code", "NOT_FOUND")]


def test_anonymous_callers_cannot_set_a_referrer(api, rewarded):
    body = api(SET, {"code": rewarded.referral_code})
    assert error_codes(body) == ["PermissionDenied"]
    assert body["data"] == {"referrerSet": None}
