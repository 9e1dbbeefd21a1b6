"""``python -m lambda_magic.standin [--port P] [--region R]``: serve the stand-in until told to stop.

Prints ``ready http://127.0.0.1:PORT`` (one line, flushed) once it accepts connections.
It stops, ending its account and moto child, on SIGTERM or SIGINT, when its parent
process ends, and when its stdin (if a pipe, e.g. ``Popen(..., stdin=PIPE)``) reaches EOF:
closing that pipe, or the parent dying, is enough.  A port in use (or a bad region) is one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
from collections.abc import Sequence

PROG = "python -m lambda_magic.standin"
#: How often the parent is checked.
PARENT_POLL_S = 0.5


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="An AWS-compatible endpoint on 127.0.0.1 where Lambda runs the code "
        "(Lambda: a local lambda_magic account; every other service: moto).",
    )
    parser.add_argument("--port", type=int, default=0, help="the port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--region", default="us-east-1", help="the account's region (default: us-east-1)")
    options = parser.parse_args(argv)
    if not 0 <= options.port <= 65535:
        parser.error(f"--port {options.port}: a port is 0 to 65535")
    return options


def _stdin_is_a_pipe() -> bool:
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _watch_stdin(stop: threading.Event) -> None:
    """Set ``stop`` when stdin (a pipe) reaches EOF; what is written to it is ignored."""
    fd = sys.stdin.fileno()
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    parent = os.getppid()

    from ..common.errors import LambdaMagicError
    from .router import RouterError
    from .service import StandIn, StandInError

    try:
        standin = StandIn(port=options.port, region=options.region)
    except (RouterError, LambdaMagicError) as exc:  # a port in use, a region that is not one
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        standin.start()
        if _stdin_is_a_pipe():
            threading.Thread(target=_watch_stdin, args=(stop,), daemon=True, name="stand-in stdin").start()
        print(f"ready {standin.url}", flush=True)
        while not stop.wait(PARENT_POLL_S):
            if os.getppid() != parent:
                break
    except StandInError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    finally:
        standin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
