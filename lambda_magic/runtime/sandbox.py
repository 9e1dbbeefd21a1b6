"""An execution environment's own ``/tmp``, as on Lambda.

Inside a new mount namespace the environment's directory is bind-mounted on
``/tmp``, so handlers that write ``/tmp/x`` literally get a private, per-environment
``/tmp`` that survives warm invocations (and a timeout's reset) and is gone with the
environment.  Root gets a mount namespace directly; other users through a user
namespace where the OS allows one.  Where neither is allowed, ``/tmp`` stays the
machine's, ``TMPDIR`` (``tempfile.gettempdir()``) is still private, and the
invocation says so.  Mount namespaces are a capability (``platform``): off on
macOS and under ``LAMBDA_MAGIC_PORTABLE=1``.
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

SHARED_TMP_LIMITATION = (
    "this machine allows no mount namespace, so /tmp is the machine's /tmp, shared by every environment; "
    "tempfile.gettempdir() (TMPDIR) is still the environment's own"
)


def shared_tmp_limitation(capabilities: platform.Capabilities | None = None) -> str:
    """What an invocation says when its environment has no private ``/tmp``, with the reason."""
    capability = (capabilities or platform.capabilities()).mount_namespace
    if capability.available:  # allowed in principle, refused when tried (no user namespaces, say)
        return SHARED_TMP_LIMITATION
    return (
        f"no mount namespace here ({capability.reason}), so /tmp is the machine's /tmp, shared by every "
        "environment; tempfile.gettempdir() (TMPDIR) is still the environment's own"
    )


def libc() -> ctypes.CDLL | None:
    """The C library, loaded once per process (the template loads it before forking)."""
    return platform.libc()


def mount_private_tmp(tmp_dir: str, keep: list[str] | tuple[str, ...] = ()) -> bool:
    """Make ``tmp_dir`` this process's ``/tmp``; False when the OS does not allow it.

    Directories under the real ``/tmp`` that the process still needs (``keep``: its
    Python installation, a virtual environment or a checkout living in ``/tmp``)
    stay reachable at the same path: their top-level directories are bind-mounted
    back into the private ``/tmp``.
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


def _map_ids(uid: int, gid: int) -> bool:
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
    except OSError:
        return False
    return True
