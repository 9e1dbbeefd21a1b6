"""CodeCommit repositories in memory: commits with parents, trees of files, branches, merges.

Ids are git's own (SHA-1 of the blob, tree and commit objects), so a blob id is what
``git hash-object`` prints for the same bytes.  A commit keeps its whole tree as a flat
mapping of path to :class:`FileEntry`; folders (and their tree ids) are derived from the
paths, as git has no empty folders.  Nothing here knows the wire: the operations in
:mod:`.codecommit_ops` validate the input and say AWS's errors.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: CodeCommit's file modes and git's.
GIT_MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
TREE_MODE = "40000"


def git_id(kind: str, data: bytes) -> str:
    """The id git gives an object: SHA-1 of ``"<kind> <size>\\0" + data``."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


@dataclass(frozen=True)
class FileEntry:
    blob_id: str
    mode: str = "NORMAL"  # NORMAL | EXECUTABLE | SYMLINK


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    when: datetime

    @property
    def git_date(self) -> str:
        """``<epoch seconds> +0000``, CodeCommit's ``UserInfo.date``."""
        return f"{int(self.when.timestamp())} +0000"

    def line(self) -> str:
        return f"{self.name} <{self.email}> {self.git_date}"


@dataclass(frozen=True)
class Commit:
    commit_id: str
    tree_id: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person
    files: Mapping[str, FileEntry]


def tree_ids(files: Mapping[str, FileEntry]) -> dict[str, str]:
    """The tree id of every folder (``""`` is the root) of a flat file mapping."""
    children: dict[str, dict[str, tuple[str, str]]] = {"": {}}  # folder -> name -> (mode, id or "")
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder, name = "/".join(parts[: depth - 1]), parts[depth - 1]
            children.setdefault(folder, {})[name] = (TREE_MODE, "")
            children.setdefault("/".join(parts[:depth]), {})
    for path, entry in files.items():
        folder, _, name = path.rpartition("/")
        children[folder][name] = (GIT_MODES[entry.mode], entry.blob_id)
    ids: dict[str, str] = {}
    for folder in sorted(children, key=lambda f: -f.count("/") - (1 if f else 0)):  # deepest first
        entries = children[folder]
        data = b""
        for name in sorted(entries, key=lambda n: n + "/" if entries[n][0] == TREE_MODE else n):
            mode, object_id = entries[name]
            if mode == TREE_MODE:
                object_id = ids[f"{folder}/{name}" if folder else name]
            data += f"{mode} {name}\0".encode() + bytes.fromhex(object_id)
        ids[folder] = git_id("tree", data)
    return ids


@dataclass
class Repository:
    """One repository: its objects, branches, default branch and triggers."""

    name: str
    repository_id: str
    arn: str
    account_id: str
    created: datetime
    description: str | None = None
    kms_key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    default_branch: str | None = None
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    triggers: list[dict] = field(default_factory=list)
    triggers_config_id: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return not self.commits

    def resolve(self, specifier: str) -> Commit | None:
        """The commit a branch name or a full commit id names (None when neither)."""
        if specifier in self.branches:
            return self.commits[self.branches[specifier]]
        return self.commits.get(specifier.lower())

    def store_blob(self, content: bytes) -> str:
        blob_id = git_id("blob", content)
        self.blobs.setdefault(blob_id, content)
        return blob_id

    def make_commit(
        self, files: Mapping[str, FileEntry], parents: Iterable[str], message: str, author: Person, committer: Person
    ) -> Commit:
        """Store a commit of ``files`` (not yet on any branch)."""
        parents = tuple(parents)
        tree_id = tree_ids(files)[""]
        text = f"tree {tree_id}\n" + "".join(f"parent {p}\n" for p in parents)
        text += f"author {author.line()}\ncommitter {committer.line()}\n\n{message}"
        commit = Commit(git_id("commit", text.encode()), tree_id, parents, message, author, committer, dict(files))
        self.commits[commit.commit_id] = commit
        self.last_modified = committer.when
        return commit

    def move_branch(self, branch: str, commit_id: str | None) -> tuple[str | None, str | None]:
        """Point ``branch`` at ``commit_id`` (None deletes it); ``(old, new)`` commit ids.
        The first branch of a repository becomes its default branch."""
        old = self.branches.get(branch)
        if commit_id is None:
            self.branches.pop(branch, None)
        else:
            self.branches[branch] = commit_id
            if self.default_branch is None:
                self.default_branch = branch
        return old, commit_id

    # --- history -------------------------------------------------------------------------------

    def ancestors(self, commit_id: str) -> list[str]:
        """``commit_id`` and every commit it descends from, nearest first."""
        seen: dict[str, None] = {}
        queue = [commit_id]
        while queue:
            current = queue.pop(0)
            if current not in seen:
                seen[current] = None
                queue.extend(self.commits[current].parents)
        return list(seen)

    def is_ancestor(self, ancestor: str, of: str) -> bool:
        return ancestor in self.ancestors(of)

    def merge_base(self, one: str, other: str) -> str | None:
        """The nearest common ancestor of two commits (None: unrelated histories)."""
        theirs = set(self.ancestors(other))
        return next((c for c in self.ancestors(one) if c in theirs), None)


def three_way(
    base: Mapping[str, FileEntry], source: Mapping[str, FileEntry], destination: Mapping[str, FileEntry]
) -> tuple[dict[str, FileEntry], list[str]]:
    """Merge ``source`` into ``destination`` file by file; the merged files and the paths in conflict
    (changed on both sides, differently), which keep the destination's version."""
    merged = dict(destination)
    conflicts: list[str] = []
    for path in sorted(set(base) | set(source) | set(destination)):
        was, theirs, ours = base.get(path), source.get(path), destination.get(path)
        if theirs in (was, ours):
            continue  # the source did not change it, or both changed it alike
        if ours == was:  # only the source changed it
            if theirs is None:
                merged.pop(path, None)
            else:
                merged[path] = theirs
        else:
            conflicts.append(path)
    return merged, conflicts


def differences(
    before: Mapping[str, FileEntry], after: Mapping[str, FileEntry]
) -> list[tuple[str, FileEntry | None, FileEntry | None]]:
    """``(path, before, after)`` for every file added, deleted or modified, by path."""
    return [
        (path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]


def folder_listing(files: Mapping[str, FileEntry], folder: str) -> tuple[list[str], list[tuple[str, FileEntry]]] | None:
    """The direct subfolders and files of ``folder`` (``""``: the root), or None when no file is under it."""
    prefix = f"{folder}/" if folder else ""
    subfolders: dict[str, None] = {}
    direct: list[tuple[str, FileEntry]] = []
    found = False
    for path in sorted(files):
        if not path.startswith(prefix):
            continue
        found = True
        rest = path[len(prefix) :]
        if "/" in rest:
            subfolders[rest.split("/", 1)[0]] = None
        else:
            direct.append((rest, files[path]))
    if not found and folder:
        return None
    return list(subfolders), direct
