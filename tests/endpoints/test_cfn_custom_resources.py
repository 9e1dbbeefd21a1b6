"""CloudFormation custom resources: the HTTPS ResponseURL, and stacks driven by the account.

Handlers use the real ``cfnresponse`` and crhelper packages, unchanged; the stack's status
is checked with boto3's ``describe_stacks`` against the local cloud too.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

import lambda_magic as lm
from lambda_magic.endpoints.cfn_requests import NOT_STABLE
from lambda_magic.endpoints.cfn_responses import ResponseUrls
from lambda_magic.endpoints.cfn_stack import Stack
from lambda_magic.endpoints.cfn_stacks import CloudFormationError, CloudFormationStacks
from lambda_magic.events.verdict import verdict_for
from lambda_magic.runtime import LocalAccount

ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"

#: cfnresponse, as AWS documents it: the physical id is "id-" + Name; Fail=true answers FAILED on
#: Create and Update (a Delete always succeeds, so a rollback completes).
CFNRESPONSE = """
import cfnresponse

def lambda_handler(event, context):
    props = event["ResourceProperties"]
    if props.get("Fail") == "true" and event["RequestType"] != "Delete":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, "failed-" + props["Name"], reason="no quota left")
        return
    data = {"Greeting": "hello " + props["Name"], "Secret": "s3cr3t"}
    physical = event.get("PhysicalResourceId") if event["RequestType"] == "Delete" else "id-" + props["Name"]
    cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physical, noEcho=props.get("Hide") == "true")
"""

CRHELPER = """
from crhelper import CfnResource

helper = CfnResource(log_level="INFO")

@helper.create
def create(event, context):
    helper.Data["Size"] = event["ResourceProperties"]["Size"]
    return "bucket-of-" + event["ResourceProperties"]["Size"]

@helper.update
def update(event, context):
    helper.Data["Size"] = event["ResourceProperties"]["Size"]  # no id returned: the same resource

@helper.delete
def delete(event, context):
    pass

def lambda_handler(event, context):
    helper(event, context)
"""

SILENT = """
import cfnresponse

def lambda_handler(event, context):
    if event["RequestType"] == "Delete":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
    return "CloudFormation never reads this"
"""

RAISES = """
def lambda_handler(event, context):
    if event["RequestType"] == "Create":
        raise RuntimeError("CloudFormation never hears of this")
    import cfnresponse
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
"""

BIG = """
import cfnresponse

def lambda_handler(event, context):
    if event["RequestType"] == "Delete":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
    else:
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Blob": "x" * 5000}, "big-1")
"""

ENVIRONMENT = """
import os

def lambda_handler(event, context):
    return [os.environ.get("SSL_CERT_FILE"), os.environ.get("REQUESTS_CA_BUNDLE")]
"""


def template(function: str = "custom", outputs: dict | None = None, **properties: object) -> dict:
    return {
        "Parameters": {"Who": {"Type": "String", "Default": "ada"}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-inbox"}}},
            "Greeter": {
                "Type": "Custom::Greeter",
                "Properties": {
                    "ServiceToken": ARN.format(function),
                    "Name": {"Ref": "Who"},
                    "QueueArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "Size": 3,
                    "Enabled": True,
                    **properties,
                },
            },
        },
        "Outputs": outputs
        if outputs is not None
        else {"Greeting": {"Value": {"Fn::GetAtt": ["Greeter", "Greeting"]}}, "Id": {"Value": {"Ref": "Greeter"}}},
    }


def requests_to(account: LocalAccount, stack: Stack) -> list[dict]:
    """The requests the stack's custom resources received, in the order they were sent (once their
    invocations ended).  Not in the order they were recorded: a handler's ``cfnresponse.send`` lets the
    stack go on before the handler returns, so the next request's invocation can end first."""
    assert account.wait(60)
    received = [
        inv
        for inv in account.invocation_records()
        if inv.status != "queued" and isinstance(inv.event, dict) and inv.event.get("StackId") == stack.stack_id
    ]
    return [inv.event for inv in sorted(received, key=lambda inv: inv.start)]


def describe(account: LocalAccount, name: str) -> dict:
    return account.cloud.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


@pytest.fixture(scope="module")
def shared():
    """One account for the stack tests (moto's CloudFormation takes long to load); each test has its own stack."""
    account = LocalAccount()
    try:
        for name, code in {
            "custom": CFNRESPONSE,
            "crh": CRHELPER,
            "silent": SILENT,
            "big": BIG,
            "raises": RAISES,
        }.items():
            account.register(name, code, timeout_s=10)
        yield account
    finally:
        account.shutdown()


@pytest.fixture
def account(shared):
    return shared


@pytest.fixture
def stacks(shared):
    return CloudFormationStacks.of(shared)


def test_cfnresponse_create_success_runs_the_stack(account, stacks):
    stack = stacks.create_stack("demo", template())
    assert stack.wait(120)
    assert stack.status == "CREATE_COMPLETE"
    assert stack.outputs == {"Greeting": "hello ada", "Id": "id-ada"}
    (create,) = requests_to(account, stack)
    assert create["RequestType"] == "Create"
    assert "PhysicalResourceId" not in create and "OldResourceProperties" not in create
    props = create["ResourceProperties"]
    assert (props["Size"], props["Enabled"], props["Name"]) == ("3", "true", "ada")  # stringified, as CFN sends
    assert props["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:demo-inbox"
    assert create["ResponseURL"].startswith("https://127.0.0.1:")
    described = describe(account, "demo")
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]} == stack.outputs
    assert account.cloud.client("sqs").get_queue_url(QueueName="demo-inbox")["QueueUrl"]


def test_noecho_masks_outputs(account, stacks):
    stack = stacks.create_stack("hidden", template(Hide=True))
    stack.wait(120)
    assert stack.outputs["Greeting"] == "*****"


def test_crhelper_create_update_delete(account, stacks):
    stack = stacks.create_stack("crh", template("crh", {"Size": {"Value": {"Fn::GetAtt": ["Greeter", "Size"]}}}))
    stack.wait(120)
    assert stack.status == "CREATE_COMPLETE"
    assert stack.customs["Greeter"].physical_id == "bucket-of-3"
    stacks.update_stack("crh", template("crh", {}, Size=4)).wait(120)
    assert stack.status == "UPDATE_COMPLETE"
    update = requests_to(account, stack)[-1]
    assert update["RequestType"] == "Update"
    assert update["PhysicalResourceId"] == "bucket-of-3"
    assert (update["ResourceProperties"]["Size"], update["OldResourceProperties"]["Size"]) == ("4", "3")
    assert stack.customs["Greeter"].data == {"Size": "4"}
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" not in [e.status for e in stack.events()]  # same id: no replacement
    stacks.delete_stack("crh").wait(120)
    assert stack.status == "DELETE_COMPLETE"
    delete = requests_to(account, stack)[-1]
    assert (delete["RequestType"], delete["PhysicalResourceId"]) == ("Delete", "bucket-of-3")
    assert describe(account, stack.stack_id)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(botocore.exceptions.ClientError, match="does not exist"):
        describe(account, "crh")


def test_unchanged_properties_send_no_update(account, stacks):
    stacks.create_stack("same", template()).wait(120)
    stack = stacks.update_stack("same", template())
    stack.wait(120)
    assert stack.status == "UPDATE_COMPLETE"
    assert [e["RequestType"] for e in requests_to(account, stack)] == ["Create"]


def test_failed_create_rolls_back_with_a_delete_of_the_failed_id(account, stacks):
    stack = stacks.create_stack("broken", template(Fail=True))
    stack.wait(120)
    assert stack.status == "ROLLBACK_COMPLETE"
    failed = [e for e in stack.events() if e.status == "CREATE_FAILED"]
    assert [e.logical_id for e in failed] == ["Greeter"]
    assert "Message returned: no quota left" in str(failed[0].reason)
    delete = requests_to(account, stack)[-1]
    assert (delete["RequestType"], delete["PhysicalResourceId"]) == ("Delete", "failed-ada")
    assert describe(account, "broken")["StackStatus"] == "ROLLBACK_COMPLETE"
    queues = account.cloud.client("sqs").list_queues().get("QueueUrls") or []
    assert not [url for url in queues if url.endswith("/broken-inbox")]  # the queue went too
    with pytest.raises(CloudFormationError, match="ROLLBACK_COMPLETE state and can not be updated"):
        stacks.update_stack("broken", template())


def test_update_with_a_new_physical_id_deletes_the_old_one_in_cleanup(account, stacks):
    stacks.create_stack("swap", template()).wait(120)
    stack = stacks.update_stack("swap", template(), {"Who": "grace"})
    stack.wait(120)
    assert stack.status == "UPDATE_COMPLETE"
    update, delete = requests_to(account, stack)[1:]
    assert update["OldResourceProperties"]["Name"] == "ada" and update["ResourceProperties"]["Name"] == "grace"
    assert (delete["RequestType"], delete["PhysicalResourceId"]) == ("Delete", "id-ada")
    statuses = [e.status for e in stack.events()]
    assert statuses.index("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") < statuses.index("UPDATE_COMPLETE", -1 + len(statuses))
    assert stack.outputs == {"Greeting": "hello grace", "Id": "id-grace"}


def test_failed_update_rolls_back_to_the_old_properties(account, stacks):
    stacks.create_stack("undo", template()).wait(120)
    stack = stacks.update_stack("undo", template(Fail=True))
    stack.wait(120)
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    failed_update, restore = requests_to(account, stack)[1:]
    assert failed_update["ResourceProperties"]["Fail"] == "true"
    assert restore["RequestType"] == "Update"
    assert "Fail" not in restore["ResourceProperties"] and restore["OldResourceProperties"]["Fail"] == "true"
    assert describe(account, "undo")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_missing_response_times_out_on_the_account_clock(account, stacks):
    account.configure(clock_mode="manual")
    try:
        stack = stacks.create_stack("mute", template("silent", {}, ServiceTimeout=600))
        assert stack.wait(120)  # the manual clock is moved to the timeout
    finally:
        account.configure(clock_mode="auto")
    assert stack.status == "ROLLBACK_COMPLETE"
    (failed,) = [e for e in stack.events() if e.status == "CREATE_FAILED"]
    (started,) = [e for e in stack.events() if e.status == "CREATE_IN_PROGRESS" and e.logical_id == "Greeter"]
    assert failed.reason == NOT_STABLE
    assert failed.timestamp - started.timestamp >= 600
    assert [e["RequestType"] for e in requests_to(account, stack)] == ["Create", "Delete"]


def test_a_handler_that_raises_is_retried_then_the_stack_times_out(account, stacks):
    stack = stacks.create_stack("raising", template("raises", {}, ServiceTimeout=900))
    assert stack.wait(120)  # the auto clock skips Lambda's retry delays and the wait for the answer
    (failed,) = [e for e in stack.events() if e.status == "CREATE_FAILED"]
    assert failed.reason == NOT_STABLE
    assert [e["RequestType"] for e in requests_to(account, stack)] == ["Create"] * 3 + ["Delete"]
    assert stack.status == "ROLLBACK_COMPLETE"


def test_a_response_over_4096_bytes_fails_the_resource(account, stacks):
    stack = stacks.create_stack("big", template("big", {}))
    stack.wait(120)
    (failed,) = [e for e in stack.events() if e.status == "CREATE_FAILED"]
    assert failed.reason == "Response object is too long."
    assert stack.status == "ROLLBACK_COMPLETE"
    messages = [e.message for e in account.log_events("big")]
    assert "Status code: 200" in messages  # S3 took the PUT; CloudFormation refused the document


def test_an_event_invoked_by_hand_is_judged_by_what_arrived(account):
    ResponseUrls.of(account)
    event = account.render_event("cloudformation/create-request", {"resource_properties": {"Name": "x"}})
    assert event["ResponseURL"].startswith(f"https://127.0.0.1:{ResponseUrls.of(account).port}/arn%3Aaws%3A")
    invocation = account.invoke("custom", event)
    document = ResponseUrls.of(account).arrived(event)
    assert json.loads(document)["PhysicalResourceId"] == "id-x"
    verdict = verdict_for("cloudformation/create-request", event, invocation, response_document=document)
    assert verdict.details["read_from"] == "ResponseURL"
    assert verdict.details["resource_status"] == "CREATE_COMPLETE"


def test_the_url_takes_puts_as_s3_does_and_verification_is_on(account):
    urls = ResponseUrls.of(account)
    event = account.render_event("cloudformation/create-request")
    body = json.dumps({"Status": "SUCCESS"}).encode()
    put = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "text/x"})
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(put, context=ssl.create_default_context(), timeout=30)  # the machine's CAs only
    with urllib.request.urlopen(put, context=urls.authority.client_context(), timeout=30) as answer:
        assert (answer.status, answer.read()) == (200, b"")
        assert answer.headers["ETag"].startswith('"')
    assert urls.arrived(event) == body
    forged = urllib.request.Request(event["ResponseURL"][:-4] + "0000", data=body, method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, context=urls.authority.client_context(), timeout=30)
    assert refused.value.code == 403 and b"SignatureDoesNotMatch" in refused.value.read()


def test_environments_trust_the_local_ca_besides_the_machines(account):
    urls = ResponseUrls.of(account)
    account.register("env", ENVIRONMENT)
    bundle, requests_bundle = account.invoke("env").payload
    assert bundle == requests_bundle == str(urls.authority.bundle_file)
    assert not bundle.startswith("/tmp/")
    with open(bundle) as handle:
        assert handle.read().count("BEGIN CERTIFICATE") > 1  # the machine's CAs and the local one


def test_a_cancelled_timeout_neither_fires_nor_moves_the_clock(account):
    from lambda_magic.runtime.clock import AccountClock
    from lambda_magic.runtime.scheduler import Scheduler

    clock = AccountClock("manual")
    scheduler = Scheduler(clock)
    fired: list[str] = []
    start = clock.time()
    number = scheduler.call_later(3600, lambda: fired.append("timeout"))
    assert scheduler.pending_timers() == 1
    assert scheduler.cancel(number) and not scheduler.cancel(number)
    assert scheduler.wait(5) and fired == [] and clock.time() == start
    scheduler.stop()


def test_environments_get_files_only_outside_tmp(account, tmp_path):
    from lambda_magic.common.errors import InvalidParameterValueException

    inside = tmp_path / "bundle.pem"
    inside.write_text("x")
    with pytest.raises(InvalidParameterValueException, match="outside /tmp"):
        account.endpoints.set_file("SSL_CERT_FILE", str(inside))


# --- the module-level API, on the default account -------------------------------------------

LM_HANDLER = """
import cfnresponse

def lambda_handler(event, context):
    name = event["ResourceProperties"].get("Name", "none")
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Name": name}, "thing-" + name)
"""


@pytest.fixture
def default_account():
    lm.reset()
    yield lm.account()
    lm.reset()
    lm.account().shutdown()


def test_a_stack_through_lm_and_describe_stacks_agree(default_account):
    lm.register("thing", LM_HANDLER)
    template = """
Resources:
  Thing:
    Type: Custom::Thing
    Properties:
      ServiceToken: !Sub "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:thing"
      Name: first
Outputs:
  Name:
    Value: !GetAtt Thing.Name
"""
    stack = lm.cloudformation.create_stack("things", template)
    assert (stack.status, stack.outputs) == ("CREATE_COMPLETE", {"Name": "first"})
    cloudformation = lm.client("cloudformation")
    described = cloudformation.describe_stacks(StackName="things")["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    newest = cloudformation.describe_stack_events(StackName="things")["StackEvents"]
    assert [(e["LogicalResourceId"], e["ResourceStatus"]) for e in newest[:2]] == [
        ("things", "CREATE_COMPLETE"),
        ("Thing", "CREATE_COMPLETE"),
    ]
    assert newest[1]["PhysicalResourceId"] == "thing-first"
    events = stack.events()
    assert list(events.columns[:5]) == ["timestamp", "logical_id", "resource_type", "status", "reason"]
    assert events["status"].iloc[-1] == "CREATE_COMPLETE"
    assert lm.cloudformation.delete_stack("things").status == "DELETE_COMPLETE"
    summaries = cloudformation.list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in summaries if s["StackName"] == "things"] == ["DELETE_COMPLETE"]


ANSWERS_THEN_WORKS = """
import time
import cfnresponse

def lambda_handler(event, context):
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, "late-1")
    time.sleep(1.5)  # the stack goes on at once; the invocation has not ended
    print("after the answer", event["RequestType"])
"""


def test_wait_returns_once_the_invocations_the_operation_sent_have_ended(default_account):
    """The stack completes on the answer, while the handler still runs (as on AWS); ``wait`` and
    the blocking ``lm.cloudformation`` calls also wait for that invocation, so its logs are in."""
    lm.register("late", ANSWERS_THEN_WORKS, timeout_s=10)
    template = {
        "Resources": {
            "Late": {
                "Type": "Custom::Late",
                "Properties": {"ServiceToken": ARN.format("late")},
            }
        }
    }
    stack = lm.cloudformation.create_stack("late", template)
    assert stack.status == "CREATE_COMPLETE"
    assert list(lm.logs("late", filter_pattern='"after the answer"')["message"]) == ["after the answer Create"]
    assert [inv.status for inv in lm.account().invocation_records("late")] == ["success"]
    started = lm.cloudformation.delete_stack("late", wait=False)
    assert started.wait(60).status == "DELETE_COMPLETE"
    assert list(lm.logs("late", filter_pattern='"after the answer"')["message"])[-1] == "after the answer Delete"


def test_an_event_invoked_by_hand_gets_the_verdict_on_the_put(default_account):
    lm.register("thing", LM_HANDLER)
    invocation = lm.invoke("thing", template="cloudformation/create-request")
    assert invocation.verdict.details["read_from"] == "ResponseURL"
    assert invocation.verdict.details["PhysicalResourceId"] == "thing-example"
    assert invocation.verdict.details["resource_status"] == "CREATE_COMPLETE"


# --- templates (no cloud needed) ------------------------------------------------------------------


def test_yaml_short_forms_order_and_stringified_properties():
    from lambda_magic.endpoints.cfn_template import creation_order, parse_template, stringify

    parsed = parse_template(
        """
Resources:
  B:
    Type: Custom::B
    Properties:
      ServiceToken: !GetAtt A.Arn
      Name: !Sub "${A}-b"
  A:
    Type: AWS::SQS::Queue
"""
    )
    assert parsed["Resources"]["B"]["Properties"] == {
        "ServiceToken": {"Fn::GetAtt": ["A", "Arn"]},
        "Name": {"Fn::Sub": "${A}-b"},
    }
    assert creation_order(parsed) == ["A", "B"]
    assert stringify({"n": 14, "on": True, "list": [1, False], "s": "x"}) == {
        "n": "14",
        "on": "true",
        "list": ["1", "false"],
        "s": "x",
    }


def test_templates_cloudformation_refuses(stacks):
    circular = {
        "Resources": {
            "A": {"Type": "Custom::A", "Properties": {"ServiceToken": "x", "Other": {"Ref": "B"}}},
            "B": {"Type": "Custom::B", "Properties": {"ServiceToken": "x", "Other": {"Ref": "A"}}},
        }
    }
    with pytest.raises(CloudFormationError, match="Circular dependency between resources"):
        stacks.create_stack("circle", circular)
    with pytest.raises(CloudFormationError, match="At least one Resources member must be defined"):
        stacks.create_stack("empty", {"Resources": {}})
    needs = {"Parameters": {"Size": {"Type": "Number"}}, "Resources": template()["Resources"]}
    with pytest.raises(CloudFormationError, match=r"Parameters: \['Size'\] must have values"):
        stacks.create_stack("needs", needs)


def test_the_event_builder_renders_and_judges_like_the_account(default_account):
    from lambda_magic.display.builder import EventBuilder
    from lambda_magic.events import Catalog

    lm.register("thing", LM_HANDLER)
    builder = EventBuilder(lm.account(), Catalog.load(), "thing", {})
    builder.service.value = "cloudformation"
    builder.event_type.value = "cloudformation/create-request"
    assert json.loads(builder.preview.value)["ResponseURL"].startswith("https://127.0.0.1:")
    builder.invoke_button.click()
    invocation = builder._history[-1][3]
    assert invocation.verdict.details["read_from"] == "ResponseURL"
    assert invocation.verdict.details["resource_status"] == "CREATE_COMPLETE"
