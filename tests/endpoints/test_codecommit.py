"""The account's CodeCommit API through boto3: repositories, files, commits, branches, merges,
differences, and repository triggers that call the notebook's functions."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from botocore.config import Config

from lambda_magic.endpoints.codecommit import ENDPOINT_VARIABLE, CodeCommitAPI
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources

RECORD = """
def lambda_handler(event, context):
    return event
"""

#: A handler that commits through its own boto3 client (it reaches the account's CodeCommit API).
COMMITTER = """
import boto3


def lambda_handler(event, context):
    cc = boto3.client("codecommit")
    tip = cc.get_branch(repositoryName=event["repo"], branchName="main")["branch"]["commitId"]
    done = cc.put_file(repositoryName=event["repo"], branchName="main", parentCommitId=tip,
                       filePath="from-handler.txt", fileContent=b"hi")
    return done["commitId"]
"""


@pytest.fixture
def lambda_api(account):
    return LambdaAPI.of(account)


@pytest.fixture
def push(account, lambda_api):
    return PushSources.of(account, policy=lambda_api.policy, lambda_client=lambda_api.client)


@pytest.fixture
def api(account, push):
    return CodeCommitAPI.of(account, deliver=push.deliver)


@pytest.fixture
def cc(api):
    return api.client(config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def repo(cc):
    cc.create_repository(repositoryName="demo", repositoryDescription="the lecture's repository")
    return "demo"


def _first(cc, repo, content=b"hello\n", path="README.md"):
    return cc.put_file(repositoryName=repo, branchName="main", filePath=path, fileContent=content)


def _tip(cc, repo, branch="main"):
    return cc.get_branch(repositoryName=repo, branchName=branch)["branch"]["commitId"]


def _error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


# --- repositories ----------------------------------------------------------------------------------


def test_repositories_are_created_listed_and_deleted(cc, repo, account):
    meta = cc.get_repository(repositoryName=repo)["repositoryMetadata"]
    assert meta["Arn"] == f"arn:aws:codecommit:{account.settings.region}:{account.settings.account_id}:demo"
    assert meta["cloneUrlHttp"].endswith("/v1/repos/demo") and "defaultBranch" not in meta
    assert meta["repositoryDescription"] == "the lecture's repository"
    cc.create_repository(repositoryName="another")
    listed = cc.list_repositories(sortBy="repositoryName", order="descending")["repositories"]
    assert [r["repositoryName"] for r in listed] == ["demo", "another"]
    with pytest.raises(cc.exceptions.RepositoryNameExistsException) as excinfo:
        cc.create_repository(repositoryName=repo)
    assert _error(excinfo)[1] == "Repository named demo already exists"
    assert cc.delete_repository(repositoryName="another")["repositoryId"]
    assert "repositoryId" not in cc.delete_repository(repositoryName="another")  # no error, nothing deleted
    with pytest.raises(cc.exceptions.RepositoryDoesNotExistException) as excinfo:
        cc.get_repository(repositoryName="another")
    assert _error(excinfo)[1] == "another does not exist"
    with pytest.raises(cc.exceptions.InvalidRepositoryNameException):
        cc.create_repository(repositoryName="no spaces")


# --- files and commits -----------------------------------------------------------------------------


def test_put_file_makes_the_first_commit_and_the_default_branch(cc, repo):
    done = _first(cc, repo)
    assert done["blobId"] == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object of "hello\n"
    assert cc.get_repository(repositoryName=repo)["repositoryMetadata"]["defaultBranch"] == "main"
    assert _tip(cc, repo) == done["commitId"]
    got = cc.get_file(repositoryName=repo, filePath="README.md")
    assert (got["fileContent"], got["fileMode"], got["fileSize"], got["commitId"]) == (
        b"hello\n",
        "NORMAL",
        6,
        done["commitId"],
    )
    commit = cc.get_commit(repositoryName=repo, commitId=done["commitId"])["commit"]
    assert commit["parents"] == [] and commit["treeId"] == done["treeId"]


def test_put_file_checks_the_parent_commit_as_codecommit_does(cc, repo):
    first = _first(cc, repo)
    with pytest.raises(cc.exceptions.ParentCommitIdRequiredException):
        cc.put_file(repositoryName=repo, branchName="main", filePath="b.txt", fileContent=b"b")
    second = cc.put_file(
        repositoryName=repo,
        branchName="main",
        filePath="b.txt",
        fileContent=b"b",
        parentCommitId=first["commitId"],
        commitMessage="add b",
        name="Ann",
        email="ann@example.com",
    )
    with pytest.raises(cc.exceptions.ParentCommitIdOutdatedException):
        cc.put_file(
            repositoryName=repo, branchName="main", filePath="c.txt", fileContent=b"c", parentCommitId=first["commitId"]
        )
    with pytest.raises(cc.exceptions.SameFileContentException):
        cc.put_file(
            repositoryName=repo,
            branchName="main",
            filePath="b.txt",
            fileContent=b"b",
            parentCommitId=second["commitId"],
        )
    with pytest.raises(cc.exceptions.BranchDoesNotExistException):
        cc.put_file(
            repositoryName=repo, branchName="nope", filePath="c", fileContent=b"c", parentCommitId=second["commitId"]
        )
    with pytest.raises(cc.exceptions.RepositoryDoesNotExistException):
        cc.put_file(repositoryName="missing", branchName="main", filePath="c", fileContent=b"c")
    commit = cc.get_commit(repositoryName=repo, commitId=second["commitId"])["commit"]
    assert commit["parents"] == [first["commitId"]] and commit["message"] == "add b"
    assert (commit["author"]["name"], commit["author"]["email"]) == ("Ann", "ann@example.com")


def test_create_commit_puts_moves_and_deletes_files(cc, repo):
    first = _first(cc, repo)
    done = cc.create_commit(
        repositoryName=repo,
        branchName="main",
        parentCommitId=first["commitId"],
        putFiles=[
            {"filePath": "src/app.py", "fileContent": b"print('hi')\n"},
            {"filePath": "bin/run.sh", "fileContent": b"#!/bin/sh\n", "fileMode": "EXECUTABLE"},
            {"filePath": "docs/README.md", "sourceFile": {"filePath": "README.md", "isMove": True}},
        ],
        commitMessage="layout",
    )
    assert [f["absolutePath"] for f in done["filesAdded"]] == ["bin/run.sh", "docs/README.md", "src/app.py"]
    assert [f["absolutePath"] for f in done["filesDeleted"]] == ["README.md"]
    root = cc.get_folder(repositoryName=repo, folderPath="/")
    assert [f["relativePath"] for f in root["subFolders"]] == ["bin", "docs", "src"] and root["files"] == []
    assert root["treeId"] == done["treeId"]
    bin_folder = cc.get_folder(repositoryName=repo, folderPath="bin", commitSpecifier="main")
    assert bin_folder["files"] == [
        {
            "blobId": bin_folder["files"][0]["blobId"],
            "absolutePath": "bin/run.sh",
            "relativePath": "run.sh",
            "fileMode": "EXECUTABLE",
        }
    ]
    with pytest.raises(cc.exceptions.FolderDoesNotExistException):
        cc.get_folder(repositoryName=repo, folderPath="nowhere")
    with pytest.raises(cc.exceptions.FileDoesNotExistException):
        cc.get_file(repositoryName=repo, filePath="README.md")
    assert (
        cc.get_file(repositoryName=repo, filePath="README.md", commitSpecifier=first["commitId"])["fileContent"]
        == b"hello\n"
    )
    with pytest.raises(cc.exceptions.NoChangeException):
        cc.create_commit(
            repositoryName=repo,
            branchName="main",
            parentCommitId=done["commitId"],
            putFiles=[{"filePath": "src/app.py", "fileContent": b"print('hi')\n"}],
        )
    with pytest.raises(cc.exceptions.FileDoesNotExistException):
        cc.create_commit(
            repositoryName=repo, branchName="main", parentCommitId=done["commitId"], deleteFiles=[{"filePath": "x"}]
        )
    with pytest.raises(cc.exceptions.DirectoryNameConflictsWithFileNameException):
        cc.create_commit(
            repositoryName=repo,
            branchName="main",
            parentCommitId=done["commitId"],
            putFiles=[{"filePath": "src/app.py/inner", "fileContent": b"x"}],
        )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_ids_are_gits_own(cc, repo, tmp_path):
    first = _first(cc, repo)
    done = cc.create_commit(
        repositoryName=repo,
        branchName="main",
        parentCommitId=first["commitId"],
        putFiles=[
            {"filePath": "src/a.py", "fileContent": b"a\n"},
            {"filePath": "src/x/run", "fileContent": b"r\n", "fileMode": "EXECUTABLE"},
        ],
    )

    def git(*args, data=None):
        return subprocess.run(["git", *args], cwd=tmp_path, input=data, capture_output=True, check=True).stdout

    git("init", "-q")
    for path, content, mode in (
        ("README.md", b"hello\n", "100644"),
        ("src/a.py", b"a\n", "100644"),
        ("src/x/run", b"r\n", "100755"),
    ):
        blob = git("hash-object", "-w", "--stdin", data=content).decode().strip()
        git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")
    assert git("write-tree").decode().strip() == done["treeId"]


# --- branches and merges ---------------------------------------------------------------------------


def test_branches_are_created_listed_deleted_and_the_default_one_is_kept(cc, repo):
    first = _first(cc, repo)
    cc.create_branch(repositoryName=repo, branchName="dev", commitId=first["commitId"])
    assert cc.list_branches(repositoryName=repo)["branches"] == ["dev", "main"]
    with pytest.raises(cc.exceptions.BranchNameExistsException):
        cc.create_branch(repositoryName=repo, branchName="dev", commitId=first["commitId"])
    with pytest.raises(cc.exceptions.CommitDoesNotExistException):
        cc.create_branch(repositoryName=repo, branchName="x", commitId="0" * 40)
    with pytest.raises(cc.exceptions.DefaultBranchCannotBeDeletedException):
        cc.delete_branch(repositoryName=repo, branchName="main")
    cc.update_default_branch(repositoryName=repo, defaultBranchName="dev")
    assert cc.get_repository(repositoryName=repo)["repositoryMetadata"]["defaultBranch"] == "dev"
    deleted = cc.delete_branch(repositoryName=repo, branchName="main")["deletedBranch"]
    assert deleted == {"branchName": "main", "commitId": first["commitId"]}
    assert "deletedBranch" not in cc.delete_branch(repositoryName=repo, branchName="main")
    with pytest.raises(cc.exceptions.BranchDoesNotExistException):
        cc.get_branch(repositoryName=repo, branchName="main")
    with pytest.raises(cc.exceptions.BranchDoesNotExistException):
        cc.update_default_branch(repositoryName=repo, defaultBranchName="main")


def _feature(cc, repo):
    """main: README; feature: README + feature.txt (one commit ahead)."""
    first = _first(cc, repo)
    cc.create_branch(repositoryName=repo, branchName="feature", commitId=first["commitId"])
    ahead = cc.put_file(
        repositoryName=repo,
        branchName="feature",
        filePath="feature.txt",
        fileContent=b"f",
        parentCommitId=first["commitId"],
    )
    return first["commitId"], ahead["commitId"]


def test_merge_by_fast_forward_moves_the_branch_and_refuses_diverged_ones(cc, repo):
    _, ahead = _feature(cc, repo)
    done = cc.merge_branches_by_fast_forward(
        repositoryName=repo, sourceCommitSpecifier="feature", destinationCommitSpecifier="main"
    )
    assert done["commitId"] == ahead == _tip(cc, repo)
    cc.put_file(repositoryName=repo, branchName="main", filePath="m.txt", fileContent=b"m", parentCommitId=ahead)
    cc.put_file(repositoryName=repo, branchName="feature", filePath="g.txt", fileContent=b"g", parentCommitId=ahead)
    with pytest.raises(cc.exceptions.ManualMergeRequiredException):
        cc.merge_branches_by_fast_forward(
            repositoryName=repo, sourceCommitSpecifier="feature", destinationCommitSpecifier="main"
        )


def test_squash_and_three_way_merges_combine_both_sides(cc, repo):
    first, ahead = _feature(cc, repo)
    main = cc.put_file(repositoryName=repo, branchName="main", filePath="m.txt", fileContent=b"m", parentCommitId=first)
    cc.create_branch(repositoryName=repo, branchName="main2", commitId=main["commitId"])
    squash = cc.merge_branches_by_squash(
        repositoryName=repo, sourceCommitSpecifier="feature", destinationCommitSpecifier="main", commitMessage="squash"
    )
    commit = cc.get_commit(repositoryName=repo, commitId=squash["commitId"])["commit"]
    assert commit["parents"] == [main["commitId"]] and commit["message"] == "squash"
    paths = [f["relativePath"] for f in cc.get_folder(repositoryName=repo, folderPath="/")["files"]]
    assert paths == ["README.md", "feature.txt", "m.txt"]
    merge = cc.merge_branches_by_three_way(
        repositoryName=repo, sourceCommitSpecifier="feature", destinationCommitSpecifier="main2"
    )
    commit = cc.get_commit(repositoryName=repo, commitId=merge["commitId"])["commit"]
    assert commit["parents"] == [main["commitId"], ahead] and merge["treeId"] == squash["treeId"]


def test_conflicting_merges_need_a_strategy(cc, repo):
    first = _first(cc, repo)["commitId"]
    cc.create_branch(repositoryName=repo, branchName="other", commitId=first)
    cc.put_file(repositoryName=repo, branchName="main", filePath="README.md", fileContent=b"ours", parentCommitId=first)
    cc.put_file(
        repositoryName=repo, branchName="other", filePath="README.md", fileContent=b"theirs", parentCommitId=first
    )
    with pytest.raises(cc.exceptions.ManualMergeRequiredException):
        cc.merge_branches_by_squash(
            repositoryName=repo, sourceCommitSpecifier="other", destinationCommitSpecifier="main"
        )
    cc.merge_branches_by_squash(
        repositoryName=repo,
        sourceCommitSpecifier="other",
        destinationCommitSpecifier="main",
        conflictResolutionStrategy="ACCEPT_SOURCE",
    )
    assert cc.get_file(repositoryName=repo, filePath="README.md")["fileContent"] == b"theirs"


def test_get_differences_lists_added_modified_and_deleted_files(cc, repo):
    first = _first(cc, repo)["commitId"]
    done = cc.create_commit(
        repositoryName=repo,
        branchName="main",
        parentCommitId=first,
        putFiles=[{"filePath": "src/a.py", "fileContent": b"a"}, {"filePath": "README.md", "fileContent": b"new"}],
    )
    diff = cc.get_differences(repositoryName=repo, beforeCommitSpecifier=first, afterCommitSpecifier=done["commitId"])
    assert [(d["changeType"], (d.get("afterBlob") or d["beforeBlob"])["path"]) for d in diff["differences"]] == [
        ("M", "README.md"),
        ("A", "src/a.py"),
    ]
    assert diff["differences"][1]["afterBlob"]["mode"] == "100644"
    everything = cc.get_differences(repositoryName=repo, afterCommitSpecifier="main", afterPath="src")["differences"]
    assert [d["changeType"] for d in everything] == ["A"]


# --- triggers --------------------------------------------------------------------------------------


def _trigger(account, function="record", **fields):
    settings = account.settings
    trigger = {
        "name": "on-push",
        "destinationArn": f"arn:aws:lambda:{settings.region}:{settings.account_id}:function:{function}",
        "branches": [],
        "events": ["all"],
    }
    trigger.update(fields)
    return trigger


def _allow(lambda_api, account, function="record", repo="demo"):
    lambda_api.client().add_permission(
        FunctionName=function,
        StatementId="codecommit",
        Action="lambda:InvokeFunction",
        Principal="codecommit.amazonaws.com",
        SourceArn=f"arn:aws:codecommit:{account.settings.region}:{account.settings.account_id}:{repo}",
    )


def _events(account, name="record"):
    assert account.wait(timeout=30)
    return [r.payload for r in account.invocation_records(name)]


def test_trigger_configuration_is_validated_as_codecommit_does(cc, repo, account):
    cases = [
        ({"events": ["all", "createReference"]}, "InvalidRepositoryTriggerEventsException"),
        ({"events": []}, "RepositoryTriggerEventsListRequiredException"),
        (
            {"destinationArn": "arn:aws:lambda:eu-west-3:123456789012:function:x"},
            "InvalidRepositoryTriggerRegionException",
        ),
        ({"destinationArn": "not-an-arn"}, "InvalidRepositoryTriggerDestinationArnException"),
        ({"branches": [f"b{i}" for i in range(11)]}, "MaximumBranchesExceededException"),
        ({"customData": "x" * 1001}, "InvalidRepositoryTriggerCustomDataException"),
    ]
    for fields, code in cases:
        with pytest.raises(cc.exceptions.ClientError) as excinfo:
            cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account, **fields)])
        assert _error(excinfo)[0] == code, fields
    many = [_trigger(account, name=f"t{i}") for i in range(11)]
    with pytest.raises(cc.exceptions.MaximumRepositoryTriggersExceededException):
        cc.put_repository_triggers(repositoryName=repo, triggers=many)
    no_branches = _trigger(account)
    del no_branches["branches"]
    with pytest.raises(cc.exceptions.RepositoryTriggerBranchNameListRequiredException):
        cc.put_repository_triggers(repositoryName=repo, triggers=[no_branches])
    config = cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account, customData="hello")])
    got = cc.get_repository_triggers(repositoryName=repo)
    assert got["configurationId"] == config["configurationId"]
    assert got["triggers"] == [_trigger(account, customData="hello")]


def test_a_commit_invokes_the_function_with_the_codecommit_record(cc, repo, account, lambda_api):
    account.register("record", RECORD)
    _allow(lambda_api, account)
    config = cc.put_repository_triggers(
        repositoryName=repo, triggers=[_trigger(account, customData="deploy", branches=["main"])]
    )["configurationId"]
    first = _first(cc, repo)
    [event] = _events(account)
    [record] = event["Records"]
    assert record["codecommit"] == {
        "references": [{"commit": first["commitId"], "ref": "refs/heads/main", "created": True}]
    }
    meta = cc.get_repository(repositoryName=repo)["repositoryMetadata"]
    assert {k: v for k, v in record.items() if k not in ("codecommit", "eventId", "eventTime")} == {
        "awsRegion": account.settings.region,
        "customData": "deploy",
        "eventName": "ReferenceChanges",
        "eventPartNumber": 1,
        "eventSource": "aws:codecommit",
        "eventSourceARN": meta["Arn"],
        "eventTotalParts": 1,
        "eventTriggerConfigId": config,
        "eventTriggerName": "on-push",
        "eventVersion": "1.0",
        "userIdentityARN": f"arn:aws:sts::{account.settings.account_id}:assumed-role/lambda_magic/local",
    }
    assert len(record["eventId"]) == 36 and record["eventTime"].endswith("+0000") and len(record["eventTime"]) == 28
    [invocation] = account.invocation_records("record")
    assert invocation.trigger == "codecommit:demo"


def test_events_and_branch_filters_choose_the_changes_sent(cc, repo, account, lambda_api):
    account.register("record", RECORD)
    _allow(lambda_api, account)
    first = _first(cc, repo)["commitId"]  # no trigger yet
    cc.put_repository_triggers(
        repositoryName=repo,
        triggers=[
            _trigger(account, name="branches", events=["createReference", "deleteReference"]),
            _trigger(account, name="dev-updates", events=["updateReference"], branches=["dev"]),
        ],
    )
    cc.create_branch(repositoryName=repo, branchName="dev", commitId=first)  # branches
    cc.put_file(repositoryName=repo, branchName="main", filePath="m", fileContent=b"m", parentCommitId=first)  # none
    cc.put_file(
        repositoryName=repo, branchName="dev", filePath="d", fileContent=b"d", parentCommitId=first
    )  # dev-updates
    dev_tip = _tip(cc, repo, "dev")
    cc.delete_branch(repositoryName=repo, branchName="dev")  # branches
    sent = [
        (e["Records"][0]["eventTriggerName"], e["Records"][0]["codecommit"]["references"]) for e in _events(account)
    ]
    assert sorted(sent, key=str) == sorted(
        [
            ("branches", [{"commit": first, "ref": "refs/heads/dev", "created": True}]),
            ("dev-updates", [{"commit": dev_tip, "ref": "refs/heads/dev"}]),
            ("branches", [{"commit": dev_tip, "ref": "refs/heads/dev", "deleted": True}]),
        ],
        key=str,
    )


def test_without_the_permission_the_event_is_a_counted_drop(cc, repo, account, push):
    account.register("record", RECORD)
    cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account)])  # accepted, as on AWS
    _first(cc, repo)
    assert _events(account) == []
    assert push.dropped[("record", "codecommit:demo", "AccessDenied")] == 1
    tested = cc.test_repository_triggers(repositoryName=repo, triggers=[_trigger(account)])
    assert tested["successfulExecutions"] == []
    [failure] = tested["failedExecutions"]
    assert failure["trigger"] == "on-push" and "codecommit.amazonaws.com" in failure["failureMessage"]


def test_test_repository_triggers_sends_a_test_event_with_the_last_commit(cc, repo, account, lambda_api):
    account.register("record", RECORD)
    _allow(lambda_api, account)
    tested = cc.test_repository_triggers(repositoryName=repo, triggers=[_trigger(account)])
    assert tested == {
        "successfulExecutions": ["on-push"],
        "failedExecutions": [],
        "ResponseMetadata": tested["ResponseMetadata"],
    }
    first = _first(cc, repo)["commitId"]  # no trigger configured: nothing sent
    cc.test_repository_triggers(repositoryName=repo, triggers=[_trigger(account, customData="c")])
    sent = [e["Records"][0] for e in _events(account)]
    assert sorted((r["eventName"], r["codecommit"]["references"][0]["commit"], r.get("customData")) for r in sent) == [
        ("TriggerEventTest", "0" * 40, None),  # an empty repository: zeros
        ("TriggerEventTest", first, "c"),  # the last commit
    ]


@pytest.mark.slow  # a process environment imports boto3
def test_a_handler_commits_with_its_own_client_and_the_trigger_names_its_request(cc, repo, account, lambda_api):
    account.register("record", RECORD)
    account.register("committer", COMMITTER, timeout_s=60)
    _allow(lambda_api, account)
    _first(cc, repo)
    cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account)])
    done = account.invoke("committer", {"repo": repo})
    assert done.status == "success", done.payload
    [event] = _events(account)
    [record] = event["Records"]
    assert record["codecommit"]["references"] == [{"commit": done.payload, "ref": "refs/heads/main"}]
    assert record["userIdentityARN"].endswith(":assumed-role/committer-role/committer")
    [invocation] = account.invocation_records("record")
    assert invocation.caller_request_id == done.request_id


def test_environments_get_the_codecommit_endpoint(api, account):
    assert account.endpoints.environment()[ENDPOINT_VARIABLE] == f"http://127.0.0.1:{api.server.preferred_port}"
    api.stop()
    assert ENDPOINT_VARIABLE not in account.endpoints.environment()


def test_add_trigger_adds_the_trigger_and_the_permission(cc, repo, account, push, lambda_api):
    account.register("record", RECORD)
    cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account, name="kept", function="other")])
    trigger = push.add_trigger("record", "codecommit:demo", branches=["main"], custom_data="from lm")
    assert (trigger.source, trigger.settings["name"]) == ("codecommit:demo", "record")
    triggers = cc.get_repository_triggers(repositoryName=repo)["triggers"]
    assert [t["name"] for t in triggers] == ["kept", "record"]
    assert triggers[1]["branches"] == ["main"] and triggers[1]["customData"] == "from lm"
    first = _first(cc, repo)["commitId"]
    [event] = _events(account)
    assert event["Records"][0]["codecommit"]["references"][0]["commit"] == first
    assert (
        push.dropped[(_trigger(account, function="other")["destinationArn"], "codecommit:demo", "FunctionNotFound")]
        == 1
    )
    with pytest.raises(Exception, match="RepositoryDoesNotExistException: missing does not exist"):
        push.add_trigger("record", "codecommit:missing")


# --- the wire, other clients -----------------------------------------------------------------------


def test_a_wrong_type_or_an_unsigned_request_is_refused_as_aws_refuses_it(api):
    raw = api.client(config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
    raw.create_repository(repositoryName="demo")
    with pytest.raises(raw.exceptions.ClientError) as excinfo:
        raw.put_repository_triggers(repositoryName="demo", triggers=[{"name": 5, "destinationArn": "x"}])
    assert _error(excinfo)[0] == "SerializationException"
    with pytest.raises(raw.exceptions.RepositoryNameRequiredException):
        raw.get_repository(repositoryName="")
    import urllib.request

    request = urllib.request.Request(
        api.url, data=b"{}", headers={"X-Amz-Target": "CodeCommit_20150413.ListRepositories"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


@pytest.fixture
def cli(api, account, tmp_path):
    """Run the AWS CLI (v1, from PyPI) against the CodeCommit API; returns the finished process."""
    import json
    import os
    import sys

    def run(*args: str) -> tuple[int, object, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": account.settings.region,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        command = [sys.executable, "-m", "awscli", "--endpoint-url", api.url, "codecommit", *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr

    return run


@pytest.mark.slow  # each CLI run starts an interpreter and loads botocore
def test_the_cli_creates_a_repository_commits_a_file_and_reads_it(cli, tmp_path):
    (tmp_path / "app.py").write_bytes(b"print('from the cli')\n")
    code, created, err = cli("create-repository", "--repository-name", "cli-repo")
    assert code == 0, err
    assert created["repositoryMetadata"]["repositoryName"] == "cli-repo"
    code, put, err = cli(
        "put-file", "--repository-name", "cli-repo", "--branch-name", "main", "--file-path", "app.py",
        "--file-content", "fileb://app.py", "--commit-message", "first",
    )  # fmt: skip
    assert code == 0, err
    code, got, err = cli("get-file", "--repository-name", "cli-repo", "--file-path", "app.py")
    assert code == 0, err
    assert got["commitId"] == put["commitId"] and got["fileSize"] == 22
    code, _, err = cli("get-branch", "--repository-name", "cli-repo", "--branch-name", "nope")
    assert code == 255
    assert "An error occurred (BranchDoesNotExistException) when calling the GetBranch operation" in err


@pytest.fixture
def lm():
    import lambda_magic

    lambda_magic.reset()
    yield lambda_magic
    lambda_magic.reset()
    lambda_magic.account().shutdown()


def test_lm_client_and_add_trigger_on_the_default_account(lm):
    lm.register("record", RECORD)
    cc = lm.client("codecommit")
    assert cc.meta.endpoint_url == lm.endpoints()["codecommit"]
    cc.create_repository(repositoryName="lecture")
    trigger = lm.add_trigger("record", "codecommit:lecture", branches=["main"])
    assert trigger.source == "codecommit:lecture" and trigger.statement_id
    done = cc.put_file(repositoryName="lecture", branchName="main", filePath="a.txt", fileContent=b"a")
    assert lm.wait(timeout=30)
    [invocation] = lm.account().invocation_records("record")
    assert invocation.trigger == "codecommit:lecture"
    assert invocation.payload["Records"][0]["codecommit"]["references"] == [
        {"commit": done["commitId"], "ref": "refs/heads/main", "created": True}
    ]
    lm.reset()  # the repositories go with everything else; the address stays
    assert lm.client("codecommit").list_repositories()["repositories"] == []
    assert lm.endpoints()["codecommit"] == cc.meta.endpoint_url


def test_tags_descriptions_and_batch_lookups(cc, repo):
    arn = cc.get_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    cc.tag_resource(resourceArn=arn, tags={"course": "lambda", "week": "6"})
    cc.untag_resource(resourceArn=arn, tagKeys=["week"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"course": "lambda"}
    with pytest.raises(cc.exceptions.RepositoryDoesNotExistException):
        cc.list_tags_for_resource(resourceArn=arn.replace(":demo", ":other"))
    cc.update_repository_description(repositoryName=repo, repositoryDescription="new words")
    found = cc.batch_get_repositories(repositoryNames=[repo, "missing"])
    assert [r["repositoryDescription"] for r in found["repositories"]] == ["new words"]
    assert found["repositoriesNotFound"] == ["missing"]


@pytest.mark.slow  # starts the local cloud
def test_a_trigger_to_an_sns_topic_publishes_the_event_as_the_message(cc, repo, account):
    import json

    sns, sqs = account.cloud.client("sns"), account.cloud.client("sqs")
    topic = sns.create_topic(Name="pushes")["TopicArn"]
    queue = sqs.create_queue(QueueName="pushes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account, destinationArn=topic)])
    done = _first(cc, repo)
    [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    [record] = json.loads(message["Body"])["Records"]
    assert (record["eventSource"], record["codecommit"]["references"][0]["commit"]) == (
        "aws:codecommit",
        done["commitId"],
    )


def test_the_event_has_the_shape_of_the_catalogs_template(cc, repo, account, lambda_api):
    account.register("record", RECORD)
    _allow(lambda_api, account)
    cc.put_repository_triggers(repositoryName=repo, triggers=[_trigger(account, customData="c")])
    _first(cc, repo)
    [event] = _events(account)
    template = account.render_event("codecommit/repository", {"change": "create"})
    assert event.keys() == template.keys()
    assert event["Records"][0].keys() == template["Records"][0].keys()
    assert (
        event["Records"][0]["codecommit"]["references"][0].keys()
        == template["Records"][0]["codecommit"]["references"][0].keys()
    )
