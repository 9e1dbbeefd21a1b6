"""CodeCommit's repository, file and commit operations (each takes a :class:`CodeCommitCall`
and returns the output members as boto3 names them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from .codecommit_calls import CodeCommitCall, check_no_conflict, fail
from .codecommit_repos import Commit, FileEntry, Repository, folder_listing, tree_ids
from .codecommit_triggers import move_branch


def metadata(call: CodeCommitCall, repo: Repository) -> dict[str, Any]:
    host = f"git-codecommit.{call.region}.amazonaws.com/v1/repos/{repo.name}"
    return {
        "accountId": repo.account_id,
        "repositoryId": repo.repository_id,
        "repositoryName": repo.name,
        "repositoryDescription": repo.description,
        "defaultBranch": repo.default_branch,
        "lastModifiedDate": repo.last_modified or repo.created,
        "creationDate": repo.created,
        "cloneUrlHttp": f"https://{host}",
        "cloneUrlSsh": f"ssh://{host}",
        "Arn": repo.arn,
        "kmsKeyId": repo.kms_key_id,
    }


# --- repositories ------------------------------------------------------------------------------


def create_repository(call: CodeCommitCall) -> dict[str, Any]:
    name = call.repository_name()
    description = call.params.get("repositoryDescription")
    if description is not None and len(description) > 1000:
        raise fail("InvalidRepositoryDescriptionException")
    tags = call.params.get("tags") or {}
    if len(tags) > 50:
        raise fail("TooManyTagsException")
    with call.api.lock:
        if name in call.api.repositories:
            raise fail("RepositoryNameExistsException", f"Repository named {name} already exists")
        repo = Repository(
            name=name,
            repository_id=str(uuid.uuid4()),
            arn=f"arn:aws:codecommit:{call.region}:{call.account_id}:{name}",
            account_id=call.account_id,
            created=call.now(),
            description=description,
            kms_key_id=call.params.get("kmsKeyId"),
            tags=dict(tags),
            triggers_config_id=str(uuid.uuid4()),
        )
        call.api.repositories[name] = repo
    return {"repositoryMetadata": metadata(call, repo)}


def get_repository(call: CodeCommitCall) -> dict[str, Any]:
    return {"repositoryMetadata": metadata(call, call.repository())}


def list_repositories(call: CodeCommitCall) -> dict[str, Any]:
    sort_by = call.params.get("sortBy") or "repositoryName"
    order = call.params.get("order") or "ascending"
    if sort_by not in ("repositoryName", "lastModifiedDate"):
        raise fail("InvalidSortByException", "The specified sort by value is not valid.")
    if order not in ("ascending", "descending"):
        raise fail("InvalidOrderException", "The specified sort order is not valid.")
    with call.api.lock:
        repos = list(call.api.repositories.values())
    if sort_by == "repositoryName":
        repos.sort(key=lambda r: r.name, reverse=order == "descending")
    else:
        repos.sort(key=lambda r: r.last_modified or r.created, reverse=order == "descending")
    chunk, token = call.page(repos)
    return {
        "repositories": [{"repositoryName": r.name, "repositoryId": r.repository_id} for r in chunk],
        "nextToken": token,
    }


def delete_repository(call: CodeCommitCall) -> dict[str, Any]:
    name = call.repository_name()
    with call.api.lock:
        repo = call.api.repositories.pop(name, None)
    return {"repositoryId": repo.repository_id if repo else None}  # deleting a missing repository is no error


def batch_get_repositories(call: CodeCommitCall) -> dict[str, Any]:
    names = call.params.get("repositoryNames")
    if not names:
        raise fail("RepositoryNamesRequiredException", "At least one repository name is required.")
    if len(names) > 25:
        raise fail("MaximumRepositoryNamesExceededException", "The maximum number of repository names is 25.")
    found, missing = [], []
    for name in names:
        call.repository_name(value=name)
        repo = call.api.repositories.get(name)
        if repo is None:
            missing.append(name)
        else:
            found.append(metadata(call, repo))
    return {
        "repositories": found,
        "repositoriesNotFound": missing,
        "errors": [
            {"repositoryName": n, "errorCode": "RepositoryDoesNotExistException", "errorMessage": f"{n} does not exist"}
            for n in missing
        ],
    }


def update_repository_description(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    description = call.params.get("repositoryDescription")
    if description is not None and len(description) > 1000:
        raise fail("InvalidRepositoryDescriptionException")
    with repo.lock:
        repo.description = description
    return {}


def _tagged(call: CodeCommitCall) -> Repository:
    arn = call.params.get("resourceArn")
    if not arn:
        raise fail("ResourceArnRequiredException", "A valid Amazon Resource Name (ARN) for a resource is required.")
    parts = str(arn).split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "codecommit"]:
        raise fail("InvalidResourceArnException", f"The resource ARN {arn} is not valid.")
    repo = call.api.repositories.get(parts[5])
    if repo is None or repo.arn != arn:
        raise fail("RepositoryDoesNotExistException", f"{parts[5]} does not exist")
    return repo


def list_tags_for_resource(call: CodeCommitCall) -> dict[str, Any]:
    repo = _tagged(call)
    with repo.lock:
        return {"tags": dict(repo.tags)}


def tag_resource(call: CodeCommitCall) -> dict[str, Any]:
    repo = _tagged(call)
    tags = call.params.get("tags")
    if tags is None:
        raise fail("TagsMapRequiredException", "A map of tags is required.")
    with repo.lock:
        if len({**repo.tags, **tags}) > 50:
            raise fail("TooManyTagsException", "The maximum number of tags for a repository is 50.")
        repo.tags.update(tags)
    return {}


def untag_resource(call: CodeCommitCall) -> dict[str, Any]:
    repo = _tagged(call)
    keys = call.params.get("tagKeys")
    if keys is None:
        raise fail("TagKeysListRequiredException", "A list of tag keys is required.")
    with repo.lock:
        for key in keys:
            repo.tags.pop(key, None)
    return {}


# --- files ---------------------------------------------------------------------------------------


def _file_result(commit: Commit, path: str, entry: FileEntry, content: bytes) -> dict[str, Any]:
    return {
        "commitId": commit.commit_id,
        "blobId": entry.blob_id,
        "filePath": path,
        "fileMode": entry.mode,
        "fileSize": len(content),
        "fileContent": content,
    }


def put_file(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    branch = call.branch_name()
    content = call.content(call.params.get("fileContent"))
    path = call.path(call.params.get("filePath"))
    mode = call.file_mode(call.params.get("fileMode"))
    author = call.person("name")
    with repo.lock:
        parent = call.parent(repo, branch)
        files = dict(parent.files) if parent else {}
        old = files.get(path)
        entry = FileEntry(repo.store_blob(content), mode or (old.mode if old else "NORMAL"))
        if old == entry:
            raise fail("SameFileContentException")
        check_no_conflict(files, path)
        files[path] = entry
        commit = repo.make_commit(files, [parent.commit_id] if parent else [], call.message(), author, author)
        move_branch(call, repo, branch, commit.commit_id)
    return {"commitId": commit.commit_id, "blobId": entry.blob_id, "treeId": commit.tree_id}


def get_file(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    path = call.path(call.params.get("filePath"))
    with repo.lock:
        commit = call.commit_or_default(repo)
        entry = commit.files.get(path)
        if entry is None:
            raise fail("FileDoesNotExistException", f"The file {path} does not exist in commit {commit.commit_id}.")
        return _file_result(commit, path, entry, repo.blobs[entry.blob_id])


def get_blob(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    blob_id = call.params.get("blobId")
    if not blob_id:
        raise fail("BlobIdRequiredException")
    with repo.lock:
        if blob_id not in repo.blobs:
            raise fail("BlobIdDoesNotExistException")
        return {"content": repo.blobs[blob_id]}


def get_folder(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    given = call.params.get("folderPath")
    folder = call.path(given, folder=True)
    with repo.lock:
        commit = call.commit_or_default(repo)
        listing = folder_listing(commit.files, folder)
        if listing is None:
            raise fail(
                "FolderDoesNotExistException", f"The folder {given} does not exist in commit {commit.commit_id}."
            )
        subfolders, files = listing
        trees = tree_ids(commit.files)

        def absolute(name: str) -> str:
            return f"{folder}/{name}" if folder else name

        def entry(name: str, file: FileEntry) -> dict[str, Any]:
            return {"blobId": file.blob_id, "absolutePath": absolute(name), "relativePath": name, "fileMode": file.mode}

        return {
            "commitId": commit.commit_id,
            "folderPath": given,
            "treeId": trees[folder],
            "subFolders": [
                {"treeId": trees[absolute(n)], "absolutePath": absolute(n), "relativePath": n} for n in subfolders
            ],
            "files": [entry(n, f) for n, f in files if f.mode != "SYMLINK"],
            "symbolicLinks": [entry(n, f) for n, f in files if f.mode == "SYMLINK"],
            "subModules": [],
        }


# --- commits -------------------------------------------------------------------------------------


def create_commit(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    branch = call.branch_name()
    puts = call.params.get("putFiles") or []
    deletes = call.params.get("deleteFiles") or []
    modes = call.params.get("setFileModes") or []
    if not (puts or deletes or modes):
        raise fail("FileEntryRequiredException")
    if len(puts) + len(deletes) + len(modes) > 100:
        raise fail("MaximumFileEntriesExceededException")
    author = call.person("authorName")
    message = call.message()
    seen: set[str] = set()

    def claim(path: str) -> str:
        if path in seen:
            raise fail("PutFileEntryConflictException", f"The path {path} is named more than once in the commit.")
        seen.add(path)
        return path

    with repo.lock:
        parent = call.parent(repo, branch)
        before = dict(parent.files) if parent else {}
        files = dict(before)
        for put in puts:
            path = claim(call.path(put.get("filePath")))
            content, source = put.get("fileContent"), put.get("sourceFile")
            if content is not None and source is not None:
                raise fail("FileContentAndSourceFileSpecifiedException")
            if source is not None:
                source_path = call.path(source.get("filePath"))
                if source_path == path:
                    raise fail("SamePathRequestException")
                if source_path not in before:
                    raise fail("FileDoesNotExistException", f"The source file {source_path} does not exist.")
                blob_id, old_mode = before[source_path].blob_id, before[source_path].mode
                if source.get("isMove"):
                    files.pop(claim(source_path), None)
            else:
                blob_id = repo.store_blob(call.content(content, "SourceFileOrContentRequiredException"))
                old_mode = before[path].mode if path in before else "NORMAL"
            check_no_conflict({p: f for p, f in files.items() if p != path}, path)
            files[path] = FileEntry(blob_id, call.file_mode(put.get("fileMode")) or old_mode)
        for delete in deletes:
            path = claim(call.path(delete.get("filePath")))
            if files.pop(path, None) is None:
                raise fail("FileDoesNotExistException", f"The file {path} does not exist, so it cannot be deleted.")
        for change in modes:
            path = claim(call.path(change.get("filePath")))
            mode = call.file_mode(change.get("fileMode"))
            if mode is None:
                raise fail("FileModeRequiredException")
            if path not in files:
                raise fail("FileDoesNotExistException", f"The file {path} does not exist.")
            files[path] = FileEntry(files[path].blob_id, mode)
        if files == before:
            raise fail("NoChangeException")
        commit = repo.make_commit(files, [parent.commit_id] if parent else [], message, author, author)
        move_branch(call, repo, branch, commit.commit_id)

    def listed(paths: list[str], source: dict[str, FileEntry]) -> list[dict[str, Any]]:
        return [{"absolutePath": p, "blobId": source[p].blob_id, "fileMode": source[p].mode} for p in paths]

    return {
        "commitId": commit.commit_id,
        "treeId": commit.tree_id,
        "filesAdded": listed(sorted(set(files) - set(before)), files),
        "filesUpdated": listed(sorted(p for p in files if p in before and files[p] != before[p]), files),
        "filesDeleted": listed(sorted(set(before) - set(files)), before),
    }


def commit_info(commit: Commit) -> dict[str, Any]:
    def person(p: Any) -> dict[str, str]:
        return {"name": p.name, "email": p.email, "date": p.git_date}

    return {
        "commitId": commit.commit_id,
        "treeId": commit.tree_id,
        "parents": list(commit.parents),
        "message": commit.message,
        "author": person(commit.author),
        "committer": person(commit.committer),
        "additionalData": "",
    }


def get_commit(call: CodeCommitCall) -> dict[str, Any]:
    repo = call.repository()
    commit_id = call.params.get("commitId")
    if not commit_id:
        raise fail("CommitIdRequiredException")
    if (
        not isinstance(commit_id, str)
        or len(commit_id) != 40
        or any(c not in "0123456789abcdefABCDEF" for c in commit_id)
    ):
        raise fail("InvalidCommitIdException", f"The commit ID {commit_id!r} is not valid.")
    with repo.lock:
        commit = repo.commits.get(commit_id.lower())
        if commit is None:
            raise fail("CommitIdDoesNotExistException", f"Could not find commit {commit_id} in repository {repo.name}.")
        return {"commit": commit_info(commit)}


OPERATIONS: dict[str, Callable[[CodeCommitCall], Any]] = {
    "CreateRepository": create_repository,
    "GetRepository": get_repository,
    "ListRepositories": list_repositories,
    "DeleteRepository": delete_repository,
    "BatchGetRepositories": batch_get_repositories,
    "UpdateRepositoryDescription": update_repository_description,
    "ListTagsForResource": list_tags_for_resource,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "PutFile": put_file,
    "GetFile": get_file,
    "GetBlob": get_blob,
    "GetFolder": get_folder,
    "CreateCommit": create_commit,
    "GetCommit": get_commit,
}
