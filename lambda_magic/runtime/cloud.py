"""The embedded local cloud: one moto server per account, so that boto3 works offline.

The cloud's address is reserved before its server runs: on first need (the first
environment, or the first client) the kernel binds a listening socket on
127.0.0.1 and a free port, which costs nothing measurable.  Every execution
environment receives that address in ``AWS_ENDPOINT_URL`` (with a region and
dummy credentials), whatever its code says, so ``boto3.client("s3")`` in a
handler, or in a library the handler uses, reaches the local cloud unchanged.

A watcher thread starts the moto server, in its own process, when the first
connection waits on the socket, and hands it the listening socket itself: the
connections already in the backlog are served, the address never changes (a
warm environment keeps working after :meth:`LocalCloud.stop` restarts the
server).  Functions that never call AWS never start it.  Another AWS-compatible
endpoint can be configured instead (``cloud_endpoint``).  The server process gets
the kernel's ``MOTO_*`` variables (moto's settings, e.g. ``MOTO_IAM_LOAD_MANAGED_POLICIES``)
and nothing else of its environment but ``PATH``, ``HOME`` and ``LANG``.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from ..common.errors import LambdaMagicError
from .cloud_hooks import MODULES_VARIABLE, CloudHooks

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_START_TIMEOUT_S = 30.0
#: After a failed start, connections are refused at once for this long (no respawn storm
#: while the SDK retries).
_REFUSE_AFTER_FAILURE_S = 5.0
_MISSING_MOTO = (
    "the local cloud needs moto's server, which is not installed: pip install 'moto[server]', "
    "or set LambdaMagic.cloud_endpoint to another AWS-compatible endpoint"
)


class LocalCloudError(LambdaMagicError):
    """The local cloud could not start (or be reached)."""

    status_code = 500


def _moto_missing() -> bool:
    """True when moto's server module cannot be found.

    Looked up without importing anything: ``find_spec("moto.server")`` would import the
    ``moto`` package, which imports boto3, botocore and responses (about 1 s of CPU and
    35 MB in the kernel), on the thread that registers a function (:meth:`LocalCloud.warm_up`).
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("moto")  # a top-level name: found, not imported
    except (ImportError, ValueError):
        return True
    locations = () if spec is None else (spec.submodule_search_locations or ())
    return not any(
        os.path.isfile(os.path.join(folder, "server.py")) or os.path.isdir(os.path.join(folder, "server"))
        for folder in locations
    )


class LocalCloud:
    """The account's AWS endpoint: an embedded moto server, or a configured URL."""

    def __init__(
        self,
        region: str,
        credentials: dict[str, str],
        endpoint: str | None = None,
        on_use: Callable[[str | None], None] | None = None,
        hooks: CloudHooks | None = None,
    ):
        self.region = region
        #: The hook modules the embedded server loads (they call back into the account).
        self.hooks = hooks if hooks is not None else CloudHooks()
        #: Told (from any thread) ``None`` when the embedded server has started, and the
        #: service's name when a client is made: the cloud is in use (log delivery listens).
        self.on_use = on_use
        self.credentials = credentials
        self.configured_endpoint = endpoint
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._wake: int | None = None  # write end of the watcher's wake-up pipe; closing it ends the watcher
        self._watcher: threading.Thread | None = None
        self._url: str | None = None
        self._process: subprocess.Popen | None = None
        self._control: int | None = None  # the server runs while this pipe is open
        #: Why the embedded server last failed to start (None once it starts).
        self.failure: str | None = None
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._sdk_lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True when a configured endpoint is set or the embedded server process is alive."""
        process = self._process
        return self.configured_endpoint is not None or (process is not None and process.poll() is None)

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def endpoint(self) -> str:
        """The endpoint URL.  For the embedded server the address is reserved on the
        first call; the server itself starts on the first connection to it."""
        if self.configured_endpoint is not None:
            return self.configured_endpoint
        with self._lock:
            if self._url is None:
                self._reserve()
            assert self._url is not None
            return self._url

    def warm_up(self) -> None:
        """Start the embedded server now, in the background, as if a client had connected
        (returns at once).  The default account does this when a first function is
        registered, so a handler's first AWS call does not wait for moto to start."""
        if self.configured_endpoint is not None or self.running or _moto_missing():
            return
        port = int(self.endpoint().rsplit(":", 1)[1])
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # the watcher sees a connection waiting and starts the server; the server sees it closed

    def environment(self) -> dict[str, str]:
        """Variables that point an execution environment's SDK at this cloud (starts nothing)."""
        return {"AWS_ENDPOINT_URL": self.endpoint()}

    # --- the reservation and its watcher -------------------------------------------------------

    def _reserve(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(socket.SOMAXCONN)
            wake_r, wake_w = os.pipe()
        except OSError as exc:
            listener.close()
            raise LocalCloudError(f"could not reserve an address on 127.0.0.1 for the local cloud: {exc}") from None
        self._listener, self._wake = listener, wake_w
        self._url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self._watcher = threading.Thread(
            target=self._watch, args=(listener, wake_r), daemon=True, name=f"lambda_magic local cloud {self._url}"
        )
        self._watcher.start()

    def _watch(self, listener: socket.socket, wake_r: int) -> None:
        """Start the server when a connection waits, then wait for it to end; repeat
        until the cloud is closed (the wake-up pipe reaches EOF)."""
        refuse_until = 0.0
        try:
            while True:
                readable, _, _ = select.select([listener.fileno(), wake_r], [], [])
                if wake_r in readable:
                    return  # only close() writes or closes it
                if time.monotonic() < refuse_until:
                    _refuse_pending(listener)
                    continue
                process = self._serve(listener)
                if process is None:
                    refuse_until = time.monotonic() + _REFUSE_AFTER_FAILURE_S
                    _refuse_pending(listener)
                    continue
                stdout = process.stdout
                assert stdout is not None
                ended = _wait_for_eof(stdout, wake_r)
                with self._lock:
                    if self._process is process:
                        self._forget_process()
                process.wait()
                stdout.close()
                if not ended:
                    return
        finally:
            os.close(wake_r)
            listener.close()

    def _serve(self, listener: socket.socket) -> subprocess.Popen | None:
        """Start the server process on the listening socket; None (and ``failure`` set) if it does not start."""
        if _moto_missing():
            self.failure = _MISSING_MOTO
            return None
        theirs, ours = os.pipe()
        hook_socket, start_hooks = self.hooks.connect()
        environment = {
            # moto's own settings (e.g. MOTO_IAM_LOAD_MANAGED_POLICIES) pass through
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG") or k.startswith("MOTO_")},
            "PYTHONPATH": _PACKAGE_PARENT,
            "AWS_DEFAULT_REGION": self.region,
            MODULES_VARIABLE: ",".join(self.hooks.modules()),
            **self.credentials,
        }
        fds = (str(theirs), str(listener.fileno()), str(hook_socket.fileno()))
        process = subprocess.Popen(
            [sys.executable, "-m", "lambda_magic.runtime.cloud_server", *fds],
            pass_fds=(theirs, listener.fileno(), hook_socket.fileno()),
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(theirs)
        hook_socket.close()
        start_hooks()  # answers the hooks' calls from now on (the server may call during its start)
        with self._lock:
            closing = self._listener is not listener
            if not closing:
                self._process, self._control = process, ours
        if closing:
            os.close(ours)
        assert process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], _START_TIMEOUT_S)
        line = process.stdout.readline() if readable else b""
        if line.startswith(b"ready") and not closing:
            self.failure = None
            self._notify_use(None)
            return process
        with self._lock:
            stopped = not closing and self._process is not process
            if self._process is process:
                self._forget_process()
        if stopped:  # stop() ended it while it started: not a failure, the next connection starts it again
            return process
        process.kill()
        process.wait()
        process.stdout.close()
        if not closing:
            self.failure = (
                "the local cloud (moto server) did not start on 127.0.0.1; "
                "check that moto[server] is installed, or set LambdaMagic.cloud_endpoint"
            )
        return None

    def _notify_use(self, service: str | None) -> None:
        if self.on_use is not None:
            try:
                self.on_use(service)
            except Exception:  # a listener's failure must not stop the cloud
                pass

    def _forget_process(self) -> None:
        """Drop the server process (the caller holds the lock); closing the control pipe ends it."""
        control, self._process, self._control = self._control, None, None
        if control is not None:
            os.close(control)

    # --- clients -----------------------------------------------------------------------------

    def _checked_endpoint(self) -> str:
        if self.configured_endpoint is None and _moto_missing():
            raise LocalCloudError(_MISSING_MOTO)
        return self.endpoint()

    def _sdk(self) -> Any:
        """The cloud's own boto3 session (never boto3's default one, which handler code may use)."""
        import boto3

        if self._session is None:
            self._session = boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=self.credentials["AWS_SESSION_TOKEN"],
            )
        return self._session

    def client(self, service: str) -> Any:
        """A boto3 client bound to the local cloud (one per service, reused)."""
        url = self._checked_endpoint()
        key = f"{service}@{url}"
        with self._sdk_lock:
            if key not in self._clients:
                self._clients[key] = self._sdk().client(service, endpoint_url=url)
            client = self._clients[key]
        self._notify_use(service)
        return client

    def resource(self, service: str) -> Any:
        """A boto3 resource bound to the local cloud."""
        url = self._checked_endpoint()
        with self._sdk_lock:
            return self._sdk().resource(service, endpoint_url=url)

    # --- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Empty the embedded server (every bucket, queue, stream, table, topic); a
        configured endpoint is never touched."""
        if self.configured_endpoint is not None or self._url is None or not self.running:
            return
        import urllib.request

        request = urllib.request.Request(f"{self._url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        """Stop the embedded server.  The address stays reserved: the next connection
        starts the cloud again, empty."""
        with self._lock:
            process = self._process
            self._forget_process()  # the server sees EOF on its control pipe and exits
            self._clients.clear()
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        """Stop the server and give the address back (a later need reserves a new one)."""
        self.stop()
        with self._lock:
            wake, self._wake = self._wake, None
            watcher, self._watcher = self._watcher, None
            self._listener = self._url = None
        if wake is not None:
            os.close(wake)  # the watcher sees EOF, closes the listening socket and ends
        if watcher is not None:
            watcher.join(_START_TIMEOUT_S)


def _refuse_pending(listener: socket.socket) -> None:
    """Accept and close every connection waiting in the backlog (the client sees the
    connection closed at once instead of waiting for a server that will not come)."""
    while select.select([listener], [], [], 0)[0]:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        connection.close()


def _wait_for_eof(stream: IO[bytes], wake_r: int) -> bool:
    """Read ``stream`` until EOF (the server process ended): True; False if woken first."""
    fd = stream.fileno()
    while True:
        readable, _, _ = select.select([fd, wake_r], [], [])
        if wake_r in readable:
            return False
        if not os.read(fd, 4096):
            return True
