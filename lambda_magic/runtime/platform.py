"""What this operating system lets an execution environment do, probed once.

Each Linux-only call the runtime makes is an optional capability with a reason
when it is missing, so the runtime also runs on macOS (with the differences the
README lists).  ``LAMBDA_MAGIC_PORTABLE=1`` turns every Linux-only capability
off, so Linux CI can run the code paths macOS takes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import socket
import sys
from dataclasses import dataclass

#: The documented switch: set to ``1`` to run without any Linux-only capability.
PORTABLE_VARIABLE = "LAMBDA_MAGIC_PORTABLE"


@dataclass(frozen=True)
class Capability:
    """One capability: whether this OS allows it, and why not."""

    name: str
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class Capabilities:
    """The probe's answer; see ``describe()`` for a readable list."""

    portable: bool
    #: ``prctl(PR_SET_PDEATHSIG)``: an environment dies with its template.
    parent_death_signal: Capability
    #: ``prctl(PR_SET_CHILD_SUBREAPER)``: what a handler starts stays below its environment.
    child_subreaper: Capability
    #: ``unshare`` + ``mount``: each environment gets its own ``/tmp``.
    mount_namespace: Capability
    #: ``/proc/<pid>/statm`` and ``status``: the kernel watches an environment's resident memory.
    proc_memory: Capability
    #: ``RLIMIT_AS`` sized from ``/proc/self/statm``: an allocation past the memory fails fast.
    address_space_limit: Capability
    #: ``SOCK_SEQPACKET`` Unix sockets for the template's control channel (else datagrams).
    seqpacket: Capability

    def all(self) -> tuple[Capability, ...]:
        return (
            self.parent_death_signal,
            self.child_subreaper,
            self.mount_namespace,
            self.proc_memory,
            self.address_space_limit,
            self.seqpacket,
        )

    def describe(self) -> str:
        """One line per capability: ``name: yes`` or ``name: no (reason)``."""
        return "\n".join(f"{c.name}: {'yes' if c.available else 'no (' + c.reason + ')'}" for c in self.all())


def portable_requested(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Whether ``LAMBDA_MAGIC_PORTABLE`` asks for the portable code paths."""
    value = (os.environ if environ is None else environ).get(PORTABLE_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def capabilities() -> Capabilities:
    """The capabilities of this process's OS under the current switch (probed once per switch value)."""
    return _probe(portable_requested())


def maxrss_bytes(ru_maxrss: int) -> int:
    """``ru_maxrss`` in bytes: Linux counts kilobytes, macOS bytes (a property of the OS, not a capability)."""
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


@functools.cache
def _probe(portable: bool) -> Capabilities:
    switched_off = f"{PORTABLE_VARIABLE}=1 turns it off"
    linux = sys.platform.startswith("linux")
    c_library = libc()

    def linux_call(name: str, symbol: str, what: str) -> Capability:
        if portable:
            return Capability(name, False, switched_off)
        if not linux:
            return Capability(name, False, f"{what} is Linux-only ({sys.platform})")
        if c_library is None or not hasattr(c_library, symbol):
            return Capability(name, False, f"the C library has no {symbol}()")
        return Capability(name, True)

    def proc(name: str, what: str) -> Capability:
        if portable:
            return Capability(name, False, switched_off)
        if not os.path.exists("/proc/self/statm"):
            return Capability(name, False, f"{what} needs /proc/<pid>/statm, which this OS does not have")
        return Capability(name, True)

    if portable:
        seqpacket = Capability("seqpacket", False, switched_off)
    else:
        seqpacket = (
            Capability("seqpacket", True)
            if _has_seqpacket()
            else Capability("seqpacket", False, "this OS has no SOCK_SEQPACKET Unix sockets")
        )
    return Capabilities(
        portable=portable,
        parent_death_signal=linux_call("parent_death_signal", "prctl", "prctl(PR_SET_PDEATHSIG)"),
        child_subreaper=linux_call("child_subreaper", "prctl", "prctl(PR_SET_CHILD_SUBREAPER)"),
        mount_namespace=linux_call("mount_namespace", "unshare", "a mount namespace (unshare)"),
        proc_memory=proc("proc_memory", "watching resident memory"),
        address_space_limit=proc("address_space_limit", "sizing RLIMIT_AS"),
        seqpacket=seqpacket,
    )


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library, loaded once per process (the template loads it before forking)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None


def _has_seqpacket() -> bool:
    kind = getattr(socket, "SOCK_SEQPACKET", None)
    if kind is None:
        return False
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, kind)
    except OSError:
        return False
    ours.close()
    theirs.close()
    return True
