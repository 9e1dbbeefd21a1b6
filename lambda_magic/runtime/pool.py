"""Execution environments that are idle, per function: warm reuse, resets, retiring, reaping."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from typing import Any


class EnvironmentPool:
    """Keeps idle environments (newest first), every environment in use, and the
    sandboxes of environments that ended by themselves, awaiting their reset.

    Environments of an older revision of a function (its code or configuration
    changed) are never reused: idle ones end at once, busy ones when they return.
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now  # the account clock: idle time is measured on it
        self._idle: dict[tuple, list[Any]] = {}
        self._busy: set[Any] = set()
        self._resets: dict[tuple, list[Any]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple, revision: int) -> Any | None:
        """An idle environment of this key and revision, now busy; ``None`` means a cold start.

        Keys are ``(function name, version, provisioned)``.
        """
        stale: list[Any] = []
        env = None
        while env is None:
            with self._lock:  # taken off the idle list first: usable() asks the system, not under the lock
                idle = self._idle.get(key)
                if not idle:
                    break
                candidate = idle.pop()
                self._busy.add(candidate)
            if candidate.revision == revision and candidate.usable():
                env = candidate
            else:
                with self._lock:
                    self._busy.discard(candidate)
                stale.append(candidate)
        _end(stale)
        return env

    def take_reset(self, key: tuple, revision: int) -> Any | None:
        """The sandbox of an environment that timed out or crashed, to be reset (or None)."""
        stale = []
        found = None
        with self._lock:
            sandboxes = self._resets.get(key)
            while sandboxes:
                sandbox = sandboxes.pop()
                if sandbox.revision == revision:
                    found = sandbox
                    break
                stale.append(sandbox)
        _remove(stale)
        return found

    def add_busy(self, env: Any) -> None:
        with self._lock:
            self._busy.add(env)

    def forget(self, env: Any) -> None:
        """Stop tracking a busy environment the caller has ended itself."""
        with self._lock:
            self._busy.discard(env)

    def give_back(self, env: Any, current_revision: int | None) -> None:
        """Return an environment after an invocation: warm if still current; if it
        ended by itself, its sandbox waits for the reset that the next invoke does."""
        current = env.revision == current_revision
        with self._lock:
            self._busy.discard(env)
            keep = env.alive and current
            env.last_used = self._now()
            if keep:
                self._idle.setdefault(env.pool_key, []).append(env)
            reset = not env.alive and env.crashed and current and hasattr(env, "sandbox")
            if reset:
                self._resets.setdefault(env.pool_key, []).append(env.sandbox())
        if not keep:
            env.shutdown(keep_sandbox=reset)

    def retire(self, name: str, version: str | None = None) -> None:
        """End the idle environments of ``name`` (of one version, or all), after an
        update or a delete; busy ones end when they are given back."""

        def matches(key: tuple) -> bool:
            return key[0] == name and (version is None or key[1] == version)

        with self._lock:
            stale = [env for key in [k for k in self._idle if matches(k)] for env in self._idle.pop(key)]
            sandboxes = [box for key in [k for k in self._resets if matches(k)] for box in self._resets.pop(key)]
        _end(stale)
        _remove(sandboxes)

    def reap(self, idle_timeout_s: float) -> int:
        """End environments idle for longer than ``idle_timeout_s``; returns how many."""
        cutoff = self._now() - idle_timeout_s
        stale: list[Any] = []
        with self._lock:
            for key, idle in self._idle.items():
                if key[2]:
                    continue  # provisioned environments stay initialised while configured
                stale.extend(env for env in idle if env.last_used < cutoff)
                self._idle[key] = [env for env in idle if env.last_used >= cutoff]
        _end(stale)
        return len(stale)

    def environments(self) -> list[tuple[Any, str]]:
        """Every live environment with its state (``idle`` or ``busy``)."""
        with self._lock:
            return [(env, "idle") for idle in self._idle.values() for env in idle] + [
                (env, "busy") for env in self._busy
            ]

    def count(self, key: tuple) -> int:
        with self._lock:
            return len(self._idle.get(key, ())) + sum(1 for env in self._busy if env.pool_key == key)

    def shutdown_all(self) -> None:
        with self._lock:
            everything = [env for idle in self._idle.values() for env in idle] + list(self._busy)
            sandboxes = [sandbox for waiting in self._resets.values() for sandbox in waiting]
            self._idle.clear()
            self._busy.clear()
            self._resets.clear()
        _end(everything)
        _remove(sandboxes)


def _end(environments: list[Any]) -> None:
    for env in environments:
        env.shutdown()


def _remove(sandboxes: list[Any]) -> None:
    for sandbox in sandboxes:
        shutil.rmtree(sandbox.env_dir, ignore_errors=True)
