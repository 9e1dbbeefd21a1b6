"""CPU in proportion to memory, as Lambda allocates it (``runtime/cpu_share.py``).

The curve tests compare a CPU-bound handler's Duration with the CPU time it used (measured by
the handler, ``time.process_time``): Lambda's model says Duration / CPU = 1769 / memory below
1,769 MB and 1 above.  Another busy process can only make an environment slower than its share,
never faster, so the lower bounds are tight (20 %) and the upper bounds widen by the slowdown an
unlimited environment shows at the same moment (the bounds are generous, as timing on a shared
machine needs).  These tests are marked ``serial``: the suite's parallel run leaves them out and
``.ci/run`` runs them afterwards on their own, so other tests' CPU does not distort the curve.
"""

from __future__ import annotations

import concurrent.futures
import os
import statistics

import pytest

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.cpu_share import (
    CgroupLimiter,
    DutyCycleLimiter,
    NoLimiter,
    choose_limiter,
    quota_us,
    vcpus,
)
from lambda_magic.runtime.platform import capabilities

BURN = """
import time
def lambda_handler(event, context):
    began = time.process_time()
    while time.process_time() - began < event["cpu_s"]:
        pass
    return time.process_time() - began
"""

INIT_BURN = """
import time
began = time.process_time()
while time.process_time() - began < 0.3:
    pass
def lambda_handler(event, context):
    return "ready"
"""


def _cgroup_available() -> bool:
    limiter = choose_limiter(portable=capabilities().portable)
    try:
        return isinstance(limiter, CgroupLimiter)
    finally:
        limiter.close()


needs_cgroup = pytest.mark.skipif(not _cgroup_available(), reason="no writable cpu cgroup on this machine")


def _stretch(account: LocalAccount, name: str, cpu_s: float) -> float:
    """Duration / CPU time of one warm invocation that burns ``cpu_s`` of CPU."""
    invocation = account.invoke(name, {"cpu_s": cpu_s})
    assert invocation.status == "success", invocation.error
    return invocation.duration_ms / (invocation.payload * 1000)


@pytest.fixture
def account():
    made = LocalAccount()
    yield made
    made.shutdown()


def test_the_share_is_lambdas_linear_model():
    assert vcpus(1769) == 1.0
    assert round(vcpus(128), 4) == 0.0724
    assert round(vcpus(10240), 2) == 5.79
    assert quota_us(128) == 7236  # of every 100 ms
    assert quota_us(1769) == 100_000
    assert quota_us(10240) == 578_858  # more than one CPU's worth per period


@pytest.mark.serial
@needs_cgroup
def test_duration_follows_the_memory_curve(account):
    sizes = (128, 256, 512, 1024, 1769)
    for memory in sizes:
        account.register(f"burn{memory}", BURN, memory_mb=memory, timeout_s=60)
        account.invoke(f"burn{memory}", {"cpu_s": 0.001})  # cold start: init is not what is measured
    account.register("free", BURN, memory_mb=1769, timeout_s=60, cpu_share="off")
    account.invoke("free", {"cpu_s": 0.001})
    for memory in sizes:
        cpu_s = 0.3 if memory <= 512 else 0.8  # long enough for many 100 ms periods
        before = statistics.median(_stretch(account, "free", 0.1) for _ in range(3))
        stretch = _stretch(account, f"burn{memory}", cpu_s)
        slowdown = max(before, statistics.median(_stretch(account, "free", 0.1) for _ in range(3)))
        ideal = max(1.0, 1769 / memory)
        assert stretch >= 0.8 * ideal, (memory, stretch, ideal)
        assert stretch <= 1.2 * ideal * max(1.0, slowdown), (memory, stretch, ideal, slowdown)
    invocation = account.invoke("burn128", {"cpu_s": 0.001})
    assert invocation.cpu_share.startswith("0.072 vCPU (cgroup-v")


@pytest.mark.serial
@needs_cgroup
def test_each_environment_has_its_own_budget_and_init_runs_unthrottled(account):
    account.register("burn", BURN, memory_mb=256, timeout_s=60)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two at once: two environments
        invocations = list(pool.map(lambda event: account.invoke("burn", event), [{"cpu_s": 0.2}] * 2))
    assert len({inv.log_stream for inv in invocations}) == 2  # two environments, each with its own group
    for inv in invocations:
        stretch = inv.duration_ms / (inv.payload * 1000)
        assert stretch < 1.5 * 1769 / 256, stretch  # a shared budget would double it (13.8)
        assert stretch > 0.8 * 1769 / 256, stretch
    account.register("slow_init", INIT_BURN, memory_mb=128, timeout_s=10)
    cold = account.invoke("slow_init")
    assert cold.status == "success" and cold.cold_start
    # 0.3 s of CPU at 0.072 vCPU would take over 4 s; the init phase has the CPU burst Lambda gives it.
    assert cold.init_duration_ms < 0.3 * 1000 * 1769 / 128 / 3, cold.init_duration_ms


@pytest.mark.serial
@needs_cgroup
def test_a_short_handler_runs_at_full_speed_and_off_means_off(account):
    account.register("short", BURN, memory_mb=128, timeout_s=10)
    account.invoke("short", {"cpu_s": 0.001})
    # 2 ms of CPU fits in one period's 7.2 ms quota: no stop, as on Lambda.
    assert statistics.median(_stretch(account, "short", 0.002) for _ in range(5)) < 3
    account.register("unlimited", BURN, memory_mb=128, timeout_s=10, cpu_share="off")
    inv = account.invoke("unlimited", {"cpu_s": 0.05})
    assert inv.cpu_share == "off (cpu_share is off)"
    assert inv.duration_ms / (inv.payload * 1000) < 3


def test_the_account_setting_turns_it_off_and_inline_says_it_is_not_limited(account):
    account.configure(cpu_share="off")
    account.register("plain", BURN, memory_mb=128)
    assert account.invoke("plain", {"cpu_s": 0.001}).cpu_share == "off (cpu_share is off)"
    account.register("inline", BURN, memory_mb=128, isolation="inline")
    assert (
        account.invoke("inline", {"cpu_s": 0.001}).cpu_share
        == "off (inline isolation runs in the kernel's own process)"
    )


@pytest.mark.serial
def test_the_duty_cycle_fallback_throttles_without_cgroups(account):
    limiter = choose_limiter(portable=True)  # what macOS and unprivileged Linux get
    assert isinstance(limiter, DutyCycleLimiter)
    account._cpu_limiter = limiter  # (the account closes it at shutdown)
    account.register("burn", BURN, memory_mb=256, timeout_s=60)
    account.invoke("burn", {"cpu_s": 0.001})
    inv = account.invoke("burn", {"cpu_s": 0.3})
    assert inv.cpu_share.startswith("0.145 vCPU (duty-cycle")
    stretch = inv.duration_ms / (inv.payload * 1000)
    assert 0.65 * 1769 / 256 <= stretch <= 1.5 * 1769 / 256, stretch  # coarser than a cgroup: ±35 %


def test_cgroup_files_are_written_as_each_version_names_them(tmp_path):
    for version, expected in (
        (1, {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "7236"}),
        (2, {"cpu.max": "7236 100000"}),
    ):
        base = tmp_path / f"v{version}" / "lambda_magic" / "owner"
        limiter = CgroupLimiter(version, str(tmp_path / f"v{version}"), str(base))
        share = limiter.attach(4242, "env-1", 128)
        group = base / "env-1"
        assert (group / "cgroup.procs").read_text() == "4242"
        assert not any((group / name).exists() for name in expected)  # nothing limits the init phase
        share.start()
        assert {name: (group / name).read_text() for name in expected} == expected
        assert share.describe().startswith(f"0.072 vCPU (cgroup-v{version}")
        share.release()  # a real group's control files vanish with it; here the files keep the directory
        assert limiter._leftovers == [str(group)]


def test_a_group_that_cannot_be_made_is_said_on_the_invocation(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    limiter = CgroupLimiter(1, str(tmp_path), str(blocked))
    share = limiter.attach(1, "env-1", 128)
    assert not share.applied and share.describe().startswith("off (cgroup-v1: ")
    assert NoLimiter("no way here").attach(1, "env-1", 128).describe() == "off (no way here)"


def test_no_group_outlives_its_account():
    limiter = choose_limiter(portable=capabilities().portable)
    if not isinstance(limiter, CgroupLimiter):
        limiter.close()
        pytest.skip("no writable cpu cgroup on this machine")
    limiter.close()
    made = LocalAccount()
    made.register("burn", BURN, memory_mb=128)
    made.invoke("burn", {"cpu_s": 0.001})
    base = made.cpu_limiter().base  # type: ignore[union-attr]
    assert os.listdir(base)  # the environment's group
    made.shutdown()
    assert not os.path.exists(base)
