"""Resource-based policy evaluation for push sources, on the statements AddPermission builds."""

from __future__ import annotations

from lambda_magic.sources.push.permissions import allows

ACCOUNT = "123456789012"
BUCKET_ARN = "arn:aws:s3:::photos"


def statement(principal, *, source_arn=None, source_account=None, action="lambda:InvokeFunction", effect="Allow"):
    s = {"Sid": "s", "Effect": effect, "Principal": principal, "Action": action, "Resource": "arn"}
    condition = {}
    if source_account:
        condition["StringEquals"] = {"AWS:SourceAccount": source_account}
    if source_arn:
        condition["ArnLike"] = {"AWS:SourceArn": source_arn}
    if condition:
        s["Condition"] = condition
    return s


def check(statements, principal="s3.amazonaws.com", source_arn=BUCKET_ARN, source_account=ACCOUNT):
    return allows(
        statements, principal=principal, account_id=ACCOUNT, source_arn=source_arn, source_account=source_account
    )


def test_no_policy_allows_nothing():
    assert not check([])


def test_the_service_principal_with_its_source_arn_is_allowed():
    assert check([statement({"Service": "s3.amazonaws.com"}, source_arn=BUCKET_ARN, source_account=ACCOUNT)])


def test_another_service_or_another_source_is_refused():
    granted = [statement({"Service": "s3.amazonaws.com"}, source_arn=BUCKET_ARN)]
    assert not check(granted, principal="sns.amazonaws.com")
    assert not check(granted, source_arn="arn:aws:s3:::other")
    assert not check([statement({"Service": "s3.amazonaws.com"}, source_account="999999999999")])


def test_source_arn_patterns_and_unconditioned_statements():
    assert check([statement({"Service": "s3.amazonaws.com"}, source_arn="arn:aws:s3:::pho*")])
    assert check([statement({"Service": "s3.amazonaws.com"})])
    assert check([statement("*")])


def test_actions_other_than_invoke_do_not_grant_and_a_deny_wins():
    assert not check([statement({"Service": "s3.amazonaws.com"}, action="lambda:GetFunction")])
    assert check([statement({"Service": "s3.amazonaws.com"}, action="lambda:*")])
    assert not check(
        [statement({"Service": "s3.amazonaws.com"}), statement({"Service": "s3.amazonaws.com"}, effect="Deny")]
    )


def test_a_condition_on_a_key_the_call_does_not_carry_fails():
    assert not check([statement({"Service": "s3.amazonaws.com"}, source_arn=BUCKET_ARN)], source_arn=None)
