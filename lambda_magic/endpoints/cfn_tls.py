"""The local certificate authority behind the HTTPS ``ResponseURL`` (made per account).

CloudFormation's ``ResponseURL`` is an ``https://`` presigned S3 URL, and the code people
copy expects it: crhelper only speaks HTTPS, and both it and ``cfnresponse`` verify the
server's certificate.  So the account's response server presents a certificate for
``127.0.0.1`` issued by a CA made here with ``trustme``, and every execution environment
trusts that CA through a *CA bundle*: the machine's own CAs plus the local one (added to
them, never replacing them, so HTTPS to anywhere else still verifies).

The bundle lives outside ``/tmp`` (an environment's ``/tmp`` is its own) and is handed to
environments as ``SSL_CERT_FILE`` (read by ``ssl.create_default_context`` and so by
``http.client`` and crhelper, and by urllib3, which ``cfnresponse`` uses) and
``REQUESTS_CA_BUNDLE`` (the ``requests`` package, which otherwise reads only certifi's).
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
from pathlib import Path

#: The variables that point an environment's TLS clients at the bundle.
BUNDLE_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
#: The names the server's certificate is valid for.
SERVER_NAMES = ("127.0.0.1", "localhost")


def system_ca_file() -> str | None:
    """The machine's CA file as OpenSSL finds it (``SSL_CERT_FILE`` if set), else certifi's."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return candidate
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with botocore
        return None
    return certifi.where()


def _bundle_home() -> Path:
    """A folder outside ``/tmp`` for this process's bundles (the user's cache, else /var/tmp)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for base in (os.path.join(cache, "lambda_magic", "ca"), "/var/tmp/lambda_magic-ca"):
        real = os.path.realpath(base)
        if real == "/tmp" or real.startswith("/tmp/"):
            continue
        try:
            os.makedirs(real, mode=0o700, exist_ok=True)
        except OSError:
            continue
        if os.access(real, os.W_OK):
            return Path(real)
    return Path(tempfile.gettempdir())  # environments with a private /tmp will not see it


def _remove_stale(home: Path) -> None:
    """Remove the bundles of processes that ended without cleaning up (killed kernels)."""
    for entry in home.glob("*-*"):
        pid = entry.name.split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except OSError:  # alive, someone else's
            continue


class LocalAuthority:
    """A CA, a server certificate for 127.0.0.1 and the CA bundle file that trusts it."""

    def __init__(self) -> None:
        import trustme

        self._ca = trustme.CA(organization_name="lambda_magic local account")
        self._server = self._ca.issue_cert(*SERVER_NAMES)
        home = _bundle_home()
        _remove_stale(home)
        self.directory = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=home))
        #: The CA alone (PEM), e.g. for a client that should trust only this server.
        self.ca_file = self.directory / "local-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        #: The machine's CAs plus the local CA: what environments verify with.
        self.bundle_file = self.directory / "ca-bundle.pem"
        system = system_ca_file()
        system_pem = Path(system).read_bytes() if system else b""
        if system_pem and not system_pem.endswith(b"\n"):
            system_pem += b"\n"
        self.bundle_file.write_bytes(system_pem + self._ca.cert_pem.bytes())

    def server_context(self) -> ssl.SSLContext:
        """The server side: presents the certificate for 127.0.0.1 and localhost."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._server.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client that verifies with the bundle (the machine's CAs and the local one)."""
        return ssl.create_default_context(cafile=str(self.bundle_file))

    def close(self) -> None:
        """Remove the files (environments started with them keep their open copies)."""
        shutil.rmtree(self.directory, ignore_errors=True)
