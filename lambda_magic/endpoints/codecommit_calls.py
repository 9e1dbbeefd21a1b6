"""One CodeCommit call as an operation sees it, and the checks the operations share:
repository, branch and path names, commit specifiers, parents, pages, with AWS's error codes."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .codecommit_repos import Commit, FileEntry, Person, Repository
from .errors import ApiError

if TYPE_CHECKING:
    from .codecommit import CodeCommitAPI

_REPOSITORY_NAME = re.compile(r"[\w.-]{1,100}")
_COMMIT_ID = re.compile(r"[0-9a-fA-F]{40}")
_BAD_REF = re.compile(r"[\x00-\x20~^:?*\[\\\x7f]|\.\.|@\{|//|/\.|\.lock(/|$)")
FILE_MODES = ("NORMAL", "EXECUTABLE", "SYMLINK")
MAX_FILE_BYTES = 6 * 1024 * 1024  # "a file can be up to 6 MB" through the API


def fail(code: str, message: str = "") -> ApiError:
    """AWS's error ``code``; without a message, the model's description of it is sent."""
    return ApiError(code, message)


@dataclass
class CodeCommitCall:
    """An operation's parameters, the API serving it and who made it."""

    api: CodeCommitAPI
    operation: str
    params: dict[str, Any]
    #: The caller's identity (``userIdentityARN`` of the trigger events it causes).
    identity_arn: str
    #: The request id of the invocation whose environment signed (None outside functions).
    caller_request_id: str | None = None

    @property
    def region(self) -> str:
        return str(self.api.account.settings.region)

    @property
    def account_id(self) -> str:
        return str(self.api.account.settings.account_id)

    def now(self) -> datetime:
        return self.api.account.clock.now()

    # --- names ---------------------------------------------------------------------------------

    def repository_name(self, key: str = "repositoryName", value: Any = None) -> str:
        name = self.params.get(key) if value is None else value
        if not name:
            raise fail("RepositoryNameRequiredException", "A repository name is required, but was not specified.")
        if not isinstance(name, str) or not _REPOSITORY_NAME.fullmatch(name) or name.endswith(".git"):
            raise fail("InvalidRepositoryNameException")
        return name

    def repository(self, key: str = "repositoryName") -> Repository:
        name = self.repository_name(key)
        found = self.api.repositories.get(name)
        if found is None:
            raise fail("RepositoryDoesNotExistException", f"{name} does not exist")
        return found

    def branch_name(self, key: str = "branchName", value: Any = None) -> str:
        name = self.params.get(key) if value is None else value
        if not name:
            raise fail("BranchNameRequiredException", "A branch name is required, but was not specified.")
        if not isinstance(name, str) or not valid_ref(name):
            raise fail("InvalidBranchNameException", f"The branch name {name!r} is not valid.")
        return name

    def path(self, value: Any, *, folder: bool = False) -> str:
        """A file (or folder) path without leading slashes; ``""`` is the root folder."""
        if value is None or (value == "" and not folder):
            raise fail("PathRequiredException", "The folderPath for a location cannot be null." if folder else "")
        if not isinstance(value, str):
            raise fail("InvalidPathException")
        path = value.strip("/") if folder else value.lstrip("/")
        parts = path.split("/")
        if (path or not folder) and (not path or any(p in ("", ".", "..") for p in parts) or "\0" in path):
            raise fail("InvalidPathException", f"The specified path {value!r} is not valid.")
        return path

    def file_mode(self, value: Any) -> str | None:
        if value is None:
            return None
        if value not in FILE_MODES:
            raise fail(
                "InvalidFileModeException", f"The file mode {value!r} is not valid: use NORMAL, EXECUTABLE or SYMLINK."
            )
        return str(value)

    def content(self, value: Any, code: str = "FileContentRequiredException") -> bytes:
        if value is None:
            raise fail(code)
        if len(value) > MAX_FILE_BYTES:
            raise fail("FileContentSizeLimitExceededException")
        return bytes(value)

    def person(self, name_key: str, email_key: str = "email") -> Person:
        """The author of a commit the call makes (the caller's identity when no name is given)."""
        name, email = self.params.get(name_key), self.params.get(email_key)
        if name is not None and len(name) > 1024:
            raise fail("NameLengthExceededException")
        if email is not None and ("@" not in email or len(email) > 1024):
            raise fail("InvalidEmailException", f"The email address {email!r} is not valid.")
        return Person(name or self.identity_arn, email or "", self.now())

    def message(self, key: str = "commitMessage") -> str:
        text = self.params.get(key) or ""
        if len(text) > 100 * 1024:
            raise fail("CommitMessageLengthExceededException")
        return str(text)

    # --- commits -------------------------------------------------------------------------------

    def commit(self, repo: Repository, key: str, *, required: str = "CommitRequiredException") -> Commit:
        """The commit a specifier (branch name or commit id) names."""
        specifier = self.params.get(key)
        if not specifier:
            raise fail(required)
        if not isinstance(specifier, str):
            raise fail("InvalidCommitException")
        found = repo.resolve(specifier)
        if found is None:
            raise fail("CommitDoesNotExistException", f"Could not find commit {specifier!r} in repository {repo.name}.")
        return found

    def commit_or_default(self, repo: Repository, key: str = "commitSpecifier") -> Commit:
        """The named commit, or the tip of the default branch when none is named."""
        if self.params.get(key):
            return self.commit(repo, key)
        if repo.default_branch is None:
            raise fail("CommitDoesNotExistException")
        return repo.commits[repo.branches[repo.default_branch]]

    def parent(self, repo: Repository, branch: str) -> Commit | None:
        """The commit a new commit on ``branch`` builds on (None in an empty repository), checked
        against ``parentCommitId`` as CodeCommit checks it."""
        parent_id = self.params.get("parentCommitId")
        if parent_id is not None and (not isinstance(parent_id, str) or not _COMMIT_ID.fullmatch(parent_id)):
            raise fail("InvalidParentCommitIdException", f"The parent commit ID {parent_id!r} is not valid.")
        if repo.empty:
            if parent_id:
                raise fail("ParentCommitDoesNotExistException")
            return None
        tip = repo.branches.get(branch)
        if tip is None:
            raise fail("BranchDoesNotExistException", f"Branch {branch} does not exist in repository {repo.name}.")
        if not parent_id:
            raise fail("ParentCommitIdRequiredException")
        if parent_id.lower() not in repo.commits:
            raise fail("ParentCommitDoesNotExistException")
        if parent_id.lower() != tip:
            raise fail("ParentCommitIdOutdatedException")
        return repo.commits[tip]

    def page(self, items: list, key: str = "nextToken", size: int = 1000) -> tuple[list, str | None]:
        """One page of ``items`` after the continuation token (an opaque position)."""
        token = self.params.get(key)
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("lm:"))
            except (ValueError, binascii.Error):
                raise fail("InvalidContinuationTokenException") from None
        chunk = items[start : start + size]
        rest = start + size < len(items)
        return chunk, base64.urlsafe_b64encode(f"lm:{start + size}".encode()).decode() if rest else None


def valid_ref(name: str) -> bool:
    """Whether git accepts ``name`` as a branch name."""
    return bool(name) and not (
        _BAD_REF.search(name) or name.startswith(("/", "-", ".")) or name.endswith(("/", ".")) or name == "@"
    )


def check_no_conflict(files: dict[str, FileEntry], path: str) -> None:
    """A file may not take a folder's name, nor sit under a file."""
    if any(other.startswith(path + "/") for other in files):
        raise fail("FileNameConflictsWithDirectoryNameException", f"The file name {path} is the name of a folder.")
    parts = path.split("/")
    for depth in range(1, len(parts)):
        if "/".join(parts[:depth]) in files:
            raise fail(
                "DirectoryNameConflictsWithFileNameException",
                f"The folder {'/'.join(parts[:depth])} of {path} is a file in the repository.",
            )
