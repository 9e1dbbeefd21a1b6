"""CPU in proportion to memory, as Lambda allocates it.

"At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per
second)", linearly below and above (up to 6 vCPUs at 10,240 MB): a 128 MB function gets
``128 / 1769`` = 7.2 % of a CPU.  Lambda meters CPU time per scheduling period, so a short
handler still runs at full speed, and the budget is the environment's own.  The init phase
runs unthrottled (Lambda gives initialization a CPU burst: the "init code will execute
faster than your handler code"), so the share applies from the first invocation on.

How the share is enforced, best first (:func:`choose_limiter`):

* ``cgroup-v2``: a group per environment with ``cpu.max = QUOTA 100000`` (where the
  account may create groups with the ``cpu`` controller: root, or a delegated subtree);
* ``cgroup-v1``: the same with ``cpu.cfs_period_us`` / ``cpu.cfs_quota_us``;
* ``duty-cycle``: a thread that meters each environment's CPU time every 10 ms and
  stops (``SIGSTOP``) its process group while it is over its budget, then continues it
  (``SIGCONT``): unprivileged, and on macOS; coarser (±20 %), and the stops are visible
  to the function as pauses;
* none: the reason is said on every invocation.

The visible core count stays the machine's, as on Lambda (a function always sees at least
two CPUs there).  Each environment's :class:`CpuShare` says what applied.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ..common import limits

#: Memory that buys one vCPU, and the CFS period the quota is measured over.
VCPU_MEMORY_MB = 1769
PERIOD_US = 100_000
MIN_QUOTA_US = 1_000  # the kernel's smallest quota
#: What ``cpu_share`` may be set to (the account's setting and a function's option).
CHOICES = ("on", "off")


def vcpus(memory_mb: int) -> float:
    """The CPU share Lambda gives ``memory_mb``: 1.0 at 1,769 MB, linear, at most 10,240 MB's."""
    return min(memory_mb, limits.MEMORY_MAX_MB) / VCPU_MEMORY_MB


def quota_us(memory_mb: int, period_us: int = PERIOD_US) -> int:
    """The CPU time per period of ``memory_mb`` (at least the kernel's 1 ms)."""
    return max(MIN_QUOTA_US, round(vcpus(memory_mb) * period_us))


@dataclass
class CpuShare:
    """What limits one environment's CPU: ``how`` is said on each of its invocations."""

    vcpus: float | None
    how: str
    _apply: Callable[[], None] | None = None
    _release: Callable[[], None] | None = None
    _text: str | None = None

    @property
    def applied(self) -> bool:
        return self.vcpus is not None

    def describe(self) -> str:
        """``0.072 vCPU (cgroup-v1 cpu.cfs_quota_us 7236/100000)`` or ``off (why)``."""
        if self._text is None:
            self._text = f"{self.vcpus:.3f} vCPU ({self.how})" if self.vcpus is not None else f"off ({self.how})"
        return self._text

    def start(self) -> None:
        """Apply the share (after the init phase, which runs unthrottled)."""
        if self._apply is not None:
            apply, self._apply = self._apply, None
            apply()

    def release(self) -> None:
        """Undo the share when the environment ends (idempotent)."""
        self._apply = None
        if self._release is not None:
            release, self._release = self._release, None
            release()


def unlimited(reason: str) -> CpuShare:
    return CpuShare(None, reason)


class CgroupLimiter:
    """A cgroup per environment under ``<controller root>/lambda_magic/<kernel pid>``."""

    def __init__(self, version: int, root: str, base: str):
        self.version = version
        self.root = root  # the hierarchy's (or the delegated subtree's) directory
        self.base = base  # this account's directory below it
        self.name = f"cgroup-v{version}"
        self._lock = threading.Lock()
        self._leftovers: list[str] = []

    def attach(self, pid: int, env_id: str, memory_mb: int) -> CpuShare:
        """A group for process ``pid`` (unlimited until :meth:`CpuShare.start`)."""
        self._remove_leftovers()
        path = os.path.join(self.base, env_id)
        try:
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "cgroup.procs"), str(pid))
        except OSError as exc:
            self._remove(path)
            return unlimited(f"{self.name}: {exc.strerror or exc} for {path}")
        quota = quota_us(memory_mb)
        if self.version == 2:
            files = [("cpu.max", f"{quota} {PERIOD_US}")]
            how = f"cgroup-v2 cpu.max {quota} {PERIOD_US}"
        else:
            files = [("cpu.cfs_period_us", str(PERIOD_US)), ("cpu.cfs_quota_us", str(quota))]
            how = f"cgroup-v1 cpu.cfs_quota_us {quota}/{PERIOD_US}"

        def apply() -> None:
            for name, value in files:
                with contextlib.suppress(OSError):  # the environment ended meanwhile
                    _write(os.path.join(path, name), value)

        return CpuShare(vcpus(memory_mb), how, apply, lambda: self._remove(path))

    def _remove(self, path: str) -> None:
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError:  # the process is not reaped yet: removed on a later attach or at close
            with self._lock:
                self._leftovers.append(path)

    def _remove_leftovers(self) -> None:
        with self._lock:
            leftovers, self._leftovers = self._leftovers, []
        for path in leftovers:
            self._remove(path)

    def close(self) -> None:
        for _ in range(50):  # ended environments leave their groups once the kernel has reaped them
            self._remove_leftovers()
            with self._lock:
                if not self._leftovers:
                    break
            time.sleep(0.01)
        with contextlib.suppress(OSError):
            os.rmdir(self.base)


class DutyCycleLimiter:
    """Meters each environment's CPU time and stops its process group while over budget."""

    name = "duty-cycle"
    TICK_S = 0.01

    def __init__(self, cpu_seconds: Callable[[int], float | None]):
        self._cpu_seconds = cpu_seconds
        self._lock = threading.Lock()
        self._meters: dict[int, _Meter] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, pid: int, env_id: str, memory_mb: int) -> CpuShare:
        share = vcpus(memory_mb)

        def apply() -> None:
            used = self._cpu_seconds(pid)
            if used is None:
                return
            with self._lock:
                self._meters[pid] = _Meter(share, used, time.monotonic())
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="lambda_magic-cpu-share", daemon=True)
                    self._thread.start()

        def release() -> None:
            with self._lock:
                meter = self._meters.pop(pid, None)
            if meter is not None and meter.stopped:
                _signal(pid, signal.SIGCONT)

        how = "duty-cycle: SIGSTOP/SIGCONT every 10 ms against the environment's CPU time"
        return CpuShare(share, how, apply, release)

    def _run(self) -> None:
        while not self._stopping.wait(self.TICK_S):
            with self._lock:
                meters = list(self._meters.items())
            now = time.monotonic()
            for pid, meter in meters:
                used = self._cpu_seconds(pid)
                if used is None:
                    continue
                meter.balance = min(
                    meter.share * PERIOD_US / 1e6,
                    meter.balance + meter.share * (now - meter.at) - (used - meter.used),
                )
                meter.used, meter.at = used, now
                if meter.balance < 0 and not meter.stopped:
                    meter.stopped = _signal(pid, signal.SIGSTOP)
                elif meter.balance >= 0 and meter.stopped:
                    _signal(pid, signal.SIGCONT)
                    meter.stopped = False

    def close(self) -> None:
        self._stopping.set()
        with self._lock:
            meters, self._meters = self._meters, {}
        for pid, meter in meters.items():
            if meter.stopped:
                _signal(pid, signal.SIGCONT)
        if self._thread is not None:
            self._thread.join(timeout=1)


@dataclass
class _Meter:
    share: float
    used: float
    at: float
    balance: float = 0.0
    stopped: bool = False


class NoLimiter:
    """No way to limit CPU here; ``reason`` says why (it is shown on every invocation)."""

    name = "none"

    def __init__(self, reason: str):
        self.reason = reason

    def attach(self, pid: int, env_id: str, memory_mb: int) -> CpuShare:
        return unlimited(self.reason)

    def close(self) -> None:
        pass


Limiter = CgroupLimiter | DutyCycleLimiter | NoLimiter


def choose_limiter(*, portable: bool = False, cgroup_root: str = "/sys/fs/cgroup", owner: str | None = None) -> Limiter:
    """The best way to limit CPU on this machine (probed once per account)."""
    owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if not portable and hasattr(os, "sched_getaffinity"):
        limiter = _cgroup_v2(cgroup_root, owner) or _cgroup_v1(cgroup_root, owner)
        if limiter is not None:
            return limiter
    meter = _cpu_meter(portable)
    if meter is None:
        return NoLimiter("no cgroup to write and no way to read another process's CPU time (install psutil)")
    return DutyCycleLimiter(meter)


def _cgroup_v1(root: str, owner: str) -> CgroupLimiter | None:
    controller = os.path.join(root, "cpu")
    if not os.path.exists(os.path.join(controller, "cpu.cfs_quota_us")):
        return None
    base = os.path.join(controller, "lambda_magic", owner)
    _remove_stale(os.path.dirname(base))
    if not _can_make(base):
        return None
    return CgroupLimiter(1, controller, base)


def _cgroup_v2(root: str, owner: str) -> CgroupLimiter | None:
    for mount in (root, os.path.join(root, "unified")):
        controllers = os.path.join(mount, "cgroup.controllers")
        try:
            with open(controllers) as file:
                if "cpu" not in file.read().split():
                    continue
        except OSError:
            continue
        parent = os.path.join(mount, "lambda_magic")
        base = os.path.join(parent, owner)
        _remove_stale(parent)
        try:
            _write(os.path.join(mount, "cgroup.subtree_control"), "+cpu")
            os.makedirs(parent, exist_ok=True)
            _write(os.path.join(parent, "cgroup.subtree_control"), "+cpu")
        except OSError:
            continue
        if not _can_make(base):
            continue
        try:
            _write(os.path.join(base, "cgroup.subtree_control"), "+cpu")
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(base)
            continue
        return CgroupLimiter(2, mount, base)
    return None


def _remove_stale(parent: str) -> None:
    """Remove the empty groups a kernel that ended without closing its account left behind."""
    try:
        owners = os.listdir(parent)
    except OSError:
        return
    for owner in owners:
        pid = owner.partition("-")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        path = os.path.join(parent, owner)
        with contextlib.suppress(OSError):
            for name in os.listdir(path):
                if os.path.isdir(os.path.join(path, name)):
                    os.rmdir(os.path.join(path, name))
            os.rmdir(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _can_make(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(os.path.join(path, "cgroup.procs"), os.W_OK)


def _cpu_meter(portable: bool) -> Callable[[int], float | None] | None:
    """Seconds of CPU a process (all its threads) used: from /proc, else psutil."""
    if not portable and os.path.exists("/proc/self/stat"):
        ticks = os.sysconf("SC_CLK_TCK")

        def from_proc(pid: int) -> float | None:
            try:
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                return None
            return (int(fields[11]) + int(fields[12])) / ticks

        return from_proc
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None

    def from_psutil(pid: int) -> float | None:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.Error, OSError):
            return None
        return float(times.user + times.system)

    return from_psutil


def _write(path: str, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)


def _signal(pid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pid, sig)
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            return False
    return True
