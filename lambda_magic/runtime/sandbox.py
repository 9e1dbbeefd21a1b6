"""An execution environment's own ``/tmp``, and its code at ``/var/task`` and layers at ``/opt``, as on Lambda.

Inside a new mount namespace the environment's directory is bind-mounted on
``/tmp``, so handlers that write ``/tmp/x`` literally get a private, per-environment
``/tmp`` that survives warm invocations (and a timeout's reset) and is gone with the
environment.  Root gets a mount namespace directly; other users through a user
namespace where the OS allows one.  Where neither is allowed, ``/tmp`` stays the
machine's, ``TMPDIR`` (``tempfile.gettempdir()``) is still private, the code runs
from its real folder (``LAMBDA_TASK_ROOT`` names it), and the invocation says so.
Mount namespaces are a capability (``platform``): off on macOS and under
``LAMBDA_MAGIC_PORTABLE=1``.
The function's extracted package is mounted read-only at ``/var/task`` (and its
layers at ``/opt``) in the same namespace; the machine's ``/var`` and ``/opt`` are
never changed (a missing ``/var/task`` is made on a tmpfs laid over ``/var``, which
shows every real entry of ``/var`` through bind mounts).
"""

from __future__ import annotations

import ctypes
import os

from . import platform

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18

#: Where the code is when there is no mount namespace (the end of both notes below).
TASK_ROOT_NOTE = "the code is not at /var/task (nor layers at /opt): LAMBDA_TASK_ROOT names its real folder"
SHARED_TMP_LIMITATION = (
    "this machine allows no mount namespace, so /tmp is the machine's /tmp, shared by every environment; "
    f"tempfile.gettempdir() (TMPDIR) is still the environment's own; {TASK_ROOT_NOTE}"
)
_MS_RDONLY = 1
_MS_REMOUNT = 32


def shared_tmp_limitation(capabilities: platform.Capabilities | None = None) -> str:
    """What an invocation says when its environment has no private ``/tmp``, with the reason."""
    capability = (capabilities or platform.capabilities()).mount_namespace
    if capability.available:  # allowed in principle, refused when tried (no user namespaces, say)
        return SHARED_TMP_LIMITATION
    return (
        f"no mount namespace here ({capability.reason}), so /tmp is the machine's /tmp, shared by every "
        f"environment; tempfile.gettempdir() (TMPDIR) is still the environment's own; {TASK_ROOT_NOTE}"
    )


def libc() -> ctypes.CDLL | None:
    """The C library, loaded once per process (the template loads it before forking)."""
    return platform.libc()


def mount_private_tmp(
    tmp_dir: str,
    keep: list[str] | tuple[str, ...] = (),
    code: dict[str, str] | None = None,
    mounted: list[str] | None = None,
) -> bool:
    """Make ``tmp_dir`` this process's ``/tmp``; False when the OS does not allow it.

    Directories under the real ``/tmp`` that the process still needs (``keep``: its
    Python installation, a virtual environment or a checkout living in ``/tmp``)
    stay reachable at the same path: their top-level directories are bind-mounted
    back into the private ``/tmp``.  ``code`` (mount point -> folder, e.g.
    ``{"/var/task": ..., "/opt": ...}``) is mounted read-only first (see :func:`mount_code`);
    the mount points that worked are appended to ``mounted``.
    """
    c = libc()
    if c is None or not platform.capabilities().mount_namespace.available:
        return False
    tops = sorted({path.split("/")[2] for path in keep if path.startswith("/tmp/") and len(path.split("/")) > 2})
    uid, gid = os.getuid(), os.getgid()
    attempts = [_CLONE_NEWNS, _CLONE_NEWNS | _CLONE_NEWUSER] if os.geteuid() == 0 else [_CLONE_NEWNS | _CLONE_NEWUSER]
    for flags in attempts:
        if c.unshare(flags) != 0:
            continue
        if flags & _CLONE_NEWUSER and not _map_ids(uid, gid):
            return False
        if c.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            return False
        for mount_point, folder in (code or {}).items():
            if mount_code(c, folder, mount_point, keep) and mounted is not None:  # before /tmp is covered
                mounted.append(mount_point)
        real_tmp = os.open("/tmp", os.O_RDONLY | os.O_DIRECTORY)  # in the new namespace, before it is covered
        try:
            if c.mount(tmp_dir.encode(), b"/tmp", None, _MS_BIND | _MS_REC, None) != 0:
                return False
            for top in tops:
                target = f"/tmp/{top}"
                os.makedirs(target, exist_ok=True)
                source = f"/proc/self/fd/{real_tmp}/{top}".encode()
                if c.mount(source, target.encode(), None, _MS_BIND | _MS_REC, None) != 0:
                    return False
        finally:
            os.close(real_tmp)
        return True
    return False


def mount_code(c: ctypes.CDLL, source: str, target: str, keep: list[str] | tuple[str, ...] = ()) -> bool:
    """Show folder ``source`` read-only at ``target`` (``/var/task``, ``/opt``) in this mount namespace.

    A missing ``target`` is made on a tmpfs laid over its parent, in which every entry
    of the real parent is bound back (the machine's files are never changed).  Where
    ``keep`` paths live under ``target`` (a Python installed in ``/opt``), the target is a
    tmpfs holding the package's entries and those paths.  False when a mount fails.
    """
    if not os.path.isdir(target) and not _make_mount_point(c, target):
        return False
    tops = sorted({p[len(target) + 1 :].split("/")[0] for p in keep if p.startswith(target + "/")})
    try:
        if not tops:
            if c.mount(source.encode(), target.encode(), None, _MS_BIND | _MS_REC, None) != 0:
                return False
        else:
            original = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if c.mount(b"tmpfs", target.encode(), b"tmpfs", 0, b"mode=755") != 0:
                    return False
                for name in sorted(os.listdir(source)):
                    if name not in tops and not _mirror(c, os.path.join(source, name), os.path.join(target, name)):
                        return False
                for name in tops:
                    if not _mirror(c, f"/proc/self/fd/{original}/{name}", os.path.join(target, name)):
                        return False
            finally:
                os.close(original)
        c.mount(None, target.encode(), None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY, None)  # best effort, as Lambda's
    except OSError:
        return False
    return True


def _make_mount_point(c: ctypes.CDLL, target: str) -> bool:
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        return False
    original = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names = os.listdir(f"/proc/self/fd/{original}")
        if c.mount(b"tmpfs", parent.encode(), b"tmpfs", 0, b"mode=755") != 0:
            return False
        for name in names:
            if not _mirror(c, f"/proc/self/fd/{original}/{name}", os.path.join(parent, name)):
                return False
        os.mkdir(target)
    except OSError:
        return False
    finally:
        os.close(original)
    return True


def _mirror(c: ctypes.CDLL, source: str, target: str) -> bool:
    """Make ``target`` show ``source``: the same symlink, or a bind mount of the folder or file."""
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return True
    if os.path.isdir(source):
        os.mkdir(target)
    else:
        with open(target, "w"):
            pass
    return c.mount(source.encode(), target.encode(), None, _MS_BIND | _MS_REC, None) == 0


def _map_ids(uid: int, gid: int) -> bool:
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
    except OSError:
        return False
    return True
