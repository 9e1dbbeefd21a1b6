"""CodeCommit's branch, merge and difference operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .codecommit_calls import CodeCommitCall, fail
from .codecommit_repos import GIT_MODES, Commit, FileEntry, Repository, differences, three_way
from .codecommit_triggers import move_branch


def _branch(call: CodeCommitCall, repo: Repository, name: str) -> str:
    if name not in repo.branches:
        raise fail("BranchDoesNotExistException", f"Branch {name} does not exist in repository {repo.name}.")
    return repo.branches[name]


def get_branch(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    name = call.branch_name()
    with repo.lock:
        return {"branch": {"branchName": name, "commitId": _branch(call, repo, name)}}


def list_branches(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    with repo.lock:
        names = sorted(repo.branches)
    chunk, token = call.page(names, size=100)
    return {"branches": chunk, "nextToken": token}


def create_branch(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    name = call.branch_name()
    with repo.lock:
        if name in repo.branches:
            raise fail("BranchNameExistsException", f"Branch {name} already exists in repository {repo.name}.")
        commit = call.commit(repo, "commitId", required="CommitIdRequiredException")
        move_branch(call, repo, name, commit.commit_id)
    return {}


def delete_branch(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    name = call.branch_name()
    with repo.lock:
        if name not in repo.branches:
            return {}  # as on AWS: nothing to delete is no error
        if name == repo.default_branch:
            raise fail(
                "DefaultBranchCannotBeDeletedException",
                f"The default branch {name} cannot be deleted: make another branch the default first.",
            )
        old, _ = move_branch(call, repo, name, None)
    return {"deletedBranch": {"branchName": name, "commitId": old}}


def update_default_branch(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    name = call.branch_name("defaultBranchName")
    with repo.lock:
        _branch(call, repo, name)
        repo.default_branch = name
    return {}


# --- merges ----------------------------------------------------------------------------------------


def _merge_target(call: CodeCommitCall, repo: Repository) -> str:
    """The branch a merge moves: ``targetBranch``, else the destination when it names a branch."""
    target = call.params.get("targetBranch")
    if target is None:
        destination = call.params.get("destinationCommitSpecifier")
        if destination not in repo.branches:
            raise fail("InvalidTargetBranchException", "The destination is not a branch: name the targetBranch.")
        return str(destination)
    name = call.branch_name("targetBranch")
    _branch(call, repo, name)
    return name


def merge_branches_by_fast_forward(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    with repo.lock:
        source = call.commit(repo, "sourceCommitSpecifier")
        destination = call.commit(repo, "destinationCommitSpecifier")
        target = _merge_target(call, repo)
        if repo.is_ancestor(source.commit_id, destination.commit_id):
            result = destination  # already merged: nothing moves
        elif repo.is_ancestor(destination.commit_id, source.commit_id):
            result = source
        else:
            raise fail(
                "ManualMergeRequiredException",
                "The branches have diverged and cannot be merged by fast-forward: use a squash or three-way merge.",
            )
        if repo.branches[target] != result.commit_id:
            move_branch(call, repo, target, result.commit_id)
    return {"commitId": result.commit_id, "treeId": result.tree_id}


def _merged_files(call: CodeCommitCall, repo: Repository, source: Commit, destination: Commit) -> dict[str, FileEntry]:
    strategy = call.params.get("conflictResolutionStrategy") or "NONE"
    if strategy not in ("NONE", "ACCEPT_SOURCE", "ACCEPT_DESTINATION", "AUTOMERGE"):
        raise fail("InvalidConflictResolutionStrategyException")
    level = call.params.get("conflictDetailLevel") or "FILE_LEVEL"
    if level not in ("FILE_LEVEL", "LINE_LEVEL"):
        raise fail("InvalidConflictDetailLevelException")
    base_id = repo.merge_base(source.commit_id, destination.commit_id)
    base = repo.commits[base_id].files if base_id else {}
    merged, conflicts = three_way(base, source.files, destination.files)
    if conflicts and strategy == "ACCEPT_SOURCE":
        for path in conflicts:
            if path in source.files:
                merged[path] = source.files[path]
            else:
                merged.pop(path, None)
    elif conflicts and strategy != "ACCEPT_DESTINATION":
        raise fail(
            "ManualMergeRequiredException",
            f"The branches conflict in {', '.join(conflicts)}: resolve them, or merge with "
            "conflictResolutionStrategy ACCEPT_SOURCE or ACCEPT_DESTINATION.",
        )
    return merged


def _merge(call: CodeCommitCall, *, squash: bool) -> dict[str, Any]:
    repo = call.repository()
    author = call.person("authorName")
    message = call.message()
    with repo.lock:
        source = call.commit(repo, "sourceCommitSpecifier")
        destination = call.commit(repo, "destinationCommitSpecifier")
        target = _merge_target(call, repo)
        if repo.is_ancestor(source.commit_id, destination.commit_id):
            return {"commitId": destination.commit_id, "treeId": destination.tree_id}  # nothing to merge
        files = _merged_files(call, repo, source, destination)
        parents = [destination.commit_id] if squash else [destination.commit_id, source.commit_id]
        commit = repo.make_commit(files, parents, message, author, author)
        move_branch(call, repo, target, commit.commit_id)
    return {"commitId": commit.commit_id, "treeId": commit.tree_id}


def merge_branches_by_squash(call: CodeCommitCall) -> dict[str, Any]:
    return _merge(call, squash=True)


def merge_branches_by_three_way(call: CodeCommitCall) -> dict[str, Any]:
    return _merge(call, squash=False)


# --- differences -----------------------------------------------------------------------------------


def _under(files: Any, path: str | None) -> dict[str, FileEntry]:
    if not path:
        return dict(files)
    return {p: f for p, f in files.items() if p == path or p.startswith(path + "/")}


def get_differences(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    size = call.params.get("MaxResults")
    if size is not None and (not isinstance(size, int) or size < 1):
        raise fail("InvalidMaxResultsException", f"The MaxResults value {size!r} is not valid.")
    before_path = call.path(call.params["beforePath"], folder=True) if call.params.get("beforePath") else None
    after_path = call.path(call.params["afterPath"], folder=True) if call.params.get("afterPath") else None
    with repo.lock:
        after = call.commit(repo, "afterCommitSpecifier")
        before = call.commit(repo, "beforeCommitSpecifier") if call.params.get("beforeCommitSpecifier") else None
        old = _under(before.files if before else {}, before_path)
        new = _under(after.files, after_path)
        for path, files, commit in ((before_path, old, before), (after_path, new, after)):
            if path and commit is not None and not files:
                raise fail("PathDoesNotExistException", f"The path {path} does not exist in commit {commit.commit_id}.")

    def blob(path: str, entry: FileEntry | None) -> dict[str, str] | None:
        return None if entry is None else {"blobId": entry.blob_id, "path": path, "mode": GIT_MODES[entry.mode]}

    rows = [
        {
            "beforeBlob": blob(path, was),
            "afterBlob": blob(path, now),
            "changeType": "A" if was is None else "D" if now is None else "M",
        }
        for path, was, now in differences(old, new)
    ]
    chunk, token = call.page(rows, key="NextToken", size=size or 100)
    return {"differences": chunk, "NextToken": token}


OPERATIONS: dict[str, Callable[[CodeCommitCall], Any]] = {
    "GetBranch": get_branch,
    "ListBranches": list_branches,
    "CreateBranch": create_branch,
    "DeleteBranch": delete_branch,
    "UpdateDefaultBranch": update_default_branch,
    "MergeBranchesByFastForward": merge_branches_by_fast_forward,
    "MergeBranchesBySquash": merge_branches_by_squash,
    "MergeBranchesByThreeWay": merge_branches_by_three_way,
    "GetDifferences": get_differences,
}
