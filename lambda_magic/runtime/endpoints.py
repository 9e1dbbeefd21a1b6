"""Every address an account hands its execution environments, all on 127.0.0.1.

:class:`ServiceEndpoints` (``account.endpoints``) is the one place where the
per-service endpoint variables of a new environment are assembled.  Built in:

* the local cloud: ``AWS_ENDPOINT_URL`` (reserved before its server runs, see ``cloud``);
* the X-Ray daemon: ``AWS_XRAY_DAEMON_ADDRESS`` (``127.0.0.1:PORT``), and
  ``_AWS_XRAY_DAEMON_ADDRESS`` / ``_AWS_XRAY_DAEMON_PORT``, which Lambda also
  sets, pointing at a UDP socket the account owns (:attr:`ServiceEndpoints.xray`).

A service layered on the account adds its own variable, for example a Lambda
API server::

    account.endpoints.set("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{port}")
    ...
    account.endpoints.discard("AWS_ENDPOINT_URL_LAMBDA")  # in the extension's stop()

An SDK prefers ``AWS_ENDPOINT_URL_<SERVICE>`` to ``AWS_ENDPOINT_URL``.  Values
are read when an environment starts and an environment keeps them for its
life (as on Lambda), so set the variable when the service is created and keep
its address fixed: bind the socket at once, start serving later if you like.
Only loopback addresses are accepted.  A file every environment reads (a CA
bundle) is handed out with :meth:`ServiceEndpoints.set_file`; it must live outside
``/tmp``, which is each environment's own.  The function's own variables are
applied after these, so a function may still point a client elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..common.errors import InvalidParameterValueException
from .udp_sink import UdpSink

if TYPE_CHECKING:
    from .cloud import LocalCloud


def is_loopback(address: str) -> bool:
    """True for ``http://127.0.0.1:4566/``, ``localhost:2000``, ``[::1]:80`` and the like."""
    parsed = urllib.parse.urlsplit(address if "://" in address else f"//{address}")
    host = parsed.hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceEndpoints:
    """The endpoint variables of an account's environments (thread-safe)."""

    def __init__(self, cloud: Callable[[], LocalCloud]):
        self._cloud = cloud  # the account's current cloud (it is replaced when the region changes)
        self._lock = threading.Lock()
        self._added: dict[str, str] = {}
        self._xray: UdpSink | None = None

    @property
    def xray(self) -> UdpSink:
        """The X-Ray daemon's UDP socket (bound on first use)."""
        with self._lock:
            if self._xray is None:
                self._xray = UdpSink()
            return self._xray

    def set(self, name: str, address: str) -> None:
        """Hand every new environment ``name=address`` (a loopback URL or ``host:port``)."""
        if not name.isidentifier() or not name.isupper():
            raise InvalidParameterValueException(
                f"{name!r} is not an environment variable name (e.g. AWS_ENDPOINT_URL_LAMBDA)"
            )
        if not is_loopback(address):
            raise InvalidParameterValueException(f"{name}={address!r}: environments may only be pointed at 127.0.0.1")
        with self._lock:
            self._added[name] = address

    def set_file(self, name: str, path: str) -> None:
        """Hand every new environment ``name=path``, an existing file outside ``/tmp`` (e.g. ``SSL_CERT_FILE``)."""
        if not name.isidentifier() or not name.isupper():
            raise InvalidParameterValueException(f"{name!r} is not an environment variable name (e.g. SSL_CERT_FILE)")
        real = os.path.realpath(path)
        if not os.path.isabs(path) or not os.path.isfile(real) or real == "/tmp" or real.startswith("/tmp/"):
            raise InvalidParameterValueException(
                f"{name}={path!r}: environments get only existing files outside /tmp (their /tmp is their own)"
            )
        with self._lock:
            self._added[name] = path

    def discard(self, name: str) -> None:
        """Stop handing out ``name`` (environments already started keep it)."""
        with self._lock:
            self._added.pop(name, None)

    def environment(self) -> dict[str, str]:
        """The variables for a new environment: the cloud's, X-Ray's, then those added."""
        variables = self._cloud().environment()
        xray = self.xray
        variables.update(
            {
                "AWS_XRAY_DAEMON_ADDRESS": f"{xray.host}:{xray.port}",
                "_AWS_XRAY_DAEMON_ADDRESS": xray.host,
                "_AWS_XRAY_DAEMON_PORT": str(xray.port),
            }
        )
        with self._lock:
            variables.update(self._added)
        return variables

    def close(self) -> None:
        """Give the X-Ray socket back (a later environment binds a new one); added variables stay."""
        with self._lock:
            xray, self._xray = self._xray, None
        if xray is not None:
            xray.close()
