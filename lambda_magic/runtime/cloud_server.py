"""The local cloud's server process: moto on 127.0.0.1, ended with its parent.

Run as ``python -m lambda_magic.runtime.cloud_server CONTROL_FD``.  It prints
``ready PORT`` once moto listens, then waits: when the control pipe reaches EOF
(the kernel ended, even by SIGKILL) or its parent changes, it stops moto and exits.
Docker is pointed at a closed port so that moto can never start a container.
"""

from __future__ import annotations

import os
import select
import sys


def main(control_fd: int) -> None:
    os.environ["DOCKER_HOST"] = "tcp://127.0.0.1:9"  # a closed port: no containers, ever
    from moto.server import ThreadedMotoServer

    parent = os.getppid()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"ready {port}", flush=True)
    poller = select.poll()
    poller.register(control_fd, select.POLLIN | select.POLLHUP)
    try:
        while os.getppid() == parent:
            if poller.poll(500) and not os.read(control_fd, 1):
                break
    finally:
        server.stop()
        os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
