"""Execution environments that are idle, per function: warm reuse, retiring, reaping."""

from __future__ import annotations

import threading
import time
from typing import Any


class EnvironmentPool:
    """Keeps idle environments (newest first) and every environment in use.

    Environments of an older revision of a function (its code or configuration
    changed) are never reused: idle ones end at once, busy ones when they return.
    """

    def __init__(self) -> None:
        self._idle: dict[str, list[Any]] = {}
        self._busy: set[Any] = set()
        self._lock = threading.Lock()

    def take(self, name: str, revision: int) -> Any | None:
        """An idle environment of this revision, now busy; ``None`` means a cold start."""
        stale = []
        with self._lock:
            idle = self._idle.get(name)
            env = None
            while idle:
                candidate = idle.pop()
                if candidate.revision == revision and candidate.alive:
                    env = candidate
                    break
                stale.append(candidate)
            if env is not None:
                self._busy.add(env)
        _end(stale)
        return env

    def add_busy(self, env: Any) -> None:
        with self._lock:
            self._busy.add(env)

    def give_back(self, env: Any, current_revision: int | None) -> None:
        """Return an environment after an invocation; it stays warm if still current."""
        with self._lock:
            self._busy.discard(env)
            keep = env.alive and env.revision == current_revision
            if keep:
                self._idle.setdefault(env.function_name, []).append(env)
        if not keep:
            env.shutdown()

    def retire(self, name: str) -> None:
        """End the idle environments of ``name`` (after an update or a delete)."""
        with self._lock:
            stale = self._idle.pop(name, [])
        _end(stale)

    def reap(self, idle_timeout_s: float) -> int:
        """End environments idle for longer than ``idle_timeout_s``; returns how many."""
        cutoff = time.monotonic() - idle_timeout_s
        stale = []
        with self._lock:
            for name, idle in self._idle.items():
                fresh = [env for env in idle if env.last_used >= cutoff]
                stale.extend(env for env in idle if env.last_used < cutoff)
                self._idle[name] = fresh
        _end(stale)
        return len(stale)

    def environments(self) -> list[tuple[Any, str]]:
        """Every live environment with its state (``idle`` or ``busy``)."""
        with self._lock:
            return [(env, "idle") for idle in self._idle.values() for env in idle] + [(env, "busy") for env in self._busy]

    def count(self, name: str) -> int:
        with self._lock:
            return len(self._idle.get(name, ())) + sum(1 for env in self._busy if env.function_name == name)

    def shutdown_all(self) -> None:
        with self._lock:
            everything = [env for idle in self._idle.values() for env in idle] + list(self._busy)
            self._idle.clear()
            self._busy.clear()
        _end(everything)


def _end(environments: list[Any]) -> None:
    for env in environments:
        env.shutdown()
