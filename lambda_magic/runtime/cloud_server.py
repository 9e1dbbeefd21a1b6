"""The local cloud's server process: moto on the kernel's listening socket, ended with its parent.

Run as ``python -m lambda_magic.runtime.cloud_server CONTROL_FD LISTEN_FD``.  The
kernel reserved the address (``LISTEN_FD``, a socket listening on 127.0.0.1) and
started this process when a first connection waited on it: moto serves that
socket, backlog included, and prints ``ready`` once it does.  When the control
pipe reaches EOF (the kernel stopped the cloud, or ended, even by SIGKILL) or
its parent changes, it exits.  Docker is pointed at a closed port so that moto
can never start a container.
"""

from __future__ import annotations

import os
import select
import sys
import threading


def main(control_fd: int, listen_fd: int) -> None:
    os.environ["DOCKER_HOST"] = "tcp://127.0.0.1:9"  # a closed port: no containers, ever
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    try:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
    except ImportError:  # older moto: werkzeug's own handler
        MotoRequestHandler = None

    parent = os.getppid()
    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=listen_fd,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    poller = select.poll()
    poller.register(control_fd, select.POLLIN | select.POLLHUP)
    try:
        while os.getppid() == parent:
            if poller.poll(500) and not os.read(control_fd, 1):
                break
    finally:
        os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
