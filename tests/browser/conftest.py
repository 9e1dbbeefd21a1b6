"""A throw-away JupyterLab server and a headless Chromium for the browser tests.

The recipe and its pitfalls are in ``shared/reference/jupyter-testing.md`` part B3:
JupyterLab on 127.0.0.1 with a token, served from a temporary folder with its own
config, runtime, data, settings and workspaces directories (news toast off,
notebook windowing off so every cell stays in the DOM); Debian's Chromium driven
by the ``playwright`` package through ``executable_path`` (never
``playwright install``).  Every process started here is stopped by its own pid.

Chromium missing is a failure, not a skip, so CI cannot pass without running the
test; set ``LAMBDA_MAGIC_SKIP_BROWSER=1`` to skip deliberately.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LAMBDA_MAGIC_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT_S = 60
INSTALL_HINT = (
    "install Debian's chromium (apt-get update && apt-get install -y chromium; .ci/run does this) and "
    "`pip install -e .[test]` (playwright); or set LAMBDA_MAGIC_SKIP_BROWSER=1 to skip the browser tests"
)


def _skip_requested() -> bool:
    return os.environ.get("LAMBDA_MAGIC_SKIP_BROWSER", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip only on request; otherwise a missing Chromium or playwright fails with what to do."""
    if _skip_requested():
        pytest.skip("LAMBDA_MAGIC_SKIP_BROWSER is set")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail(f"the playwright package is not installed: {INSTALL_HINT}", pytrace=False)


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path
    started_in_s: float
    children: list[Any] = field(default_factory=list)

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings_dir: Path, extra: dict[str, dict] | None = None) -> None:
    """User settings: no news/update toast over the widgets (pitfall 3), every cell in the DOM (pitfall 4),
    and whatever the test adds (``lab_settings``, e.g. the theme)."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        **(extra or {}),
    }
    for relative, content in files.items():
        path = settings_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


@pytest.fixture
def lab_settings() -> dict[str, dict]:
    """Extra JupyterLab user settings (settings file -> content); a test module overrides this fixture."""
    return {}


@pytest.fixture
def lab_server(browser_requirements: None, tmp_path: Path, lab_settings: dict[str, dict]) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1:<free port> with a fresh token, serving ``tmp_path/root``."""
    import psutil

    root, home = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    settings_dir = home / "lab-settings"
    _write_settings(settings_dir, lab_settings)
    env = dict(os.environ)
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "IPYTHONDIR": str(home / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JUPYTER_TOKEN", None)
    token, port = secrets.token_hex(16), _free_port()
    log = tmp_path / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    started = time.monotonic()
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, root, process, log, 0.0)
    try:
        _wait_until_up(server)
        server.started_in_s = time.monotonic() - started
        yield server
    finally:
        _stop_server(server, psutil)


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.process.returncode}:\n{server.log_tail()}", pytrace=False)
        try:
            server.api("GET", "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}", pytrace=False)


def _stop_server(server: LabServer, psutil: Any) -> None:
    """Shut the kernels down, then the server (terminate, wait); anything left of its tree is ended by pid."""
    try:
        descendants = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    if server.process.poll() is None:
        try:
            for session in server.api("GET", "/api/sessions") or []:
                server.api("DELETE", f"/api/sessions/{session['id']}")
        except (urllib.error.URLError, OSError, ValueError):
            pass  # the server is ended below whatever its API says
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    _, alive = psutil.wait_procs(descendants, timeout=10)
    for process in alive:  # only processes this fixture's server started, each by its own pid
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)


@pytest.fixture
def chromium_page(browser_requirements: None, tmp_path: Path) -> Iterator[tuple[Any, list[str]]]:
    """A page in a fresh headless Chromium profile, and the list its ``pageerror`` events land in."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1600},
        )
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, errors
    finally:
        if context is not None:
            context.close()  # ends the browser process
        playwright.stop()  # ends playwright's driver process


KERNEL_IDLE = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = widget && widget.sessionContext && widget.sessionContext.session
        && widget.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""
PAGE_TIMEOUT_MS = 60_000


def write_notebook(folder: Path, stem: str, sources: list[str]) -> str:
    """A notebook of code cells under a unique name, so no stale kernel is reattached (pitfall 5)."""
    import uuid

    import nbformat

    name = f"{stem}_{uuid.uuid4().hex[:8]}.ipynb"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(notebook, folder / name)
    return name


def run_all_cells(page: Any) -> None:
    """Run menu -> Run All Cells with real clicks; again if the first click came before the notebook was ready."""
    import re

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    run_all = page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled)",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")),
    )
    first_prompt = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first
    for _ in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        try:
            run_all.click(timeout=10_000)
            expect(first_prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=10_000)
            return
        except (AssertionError, PlaywrightError):
            page.keyboard.press("Escape")
    pytest.fail("Run > Run All Cells did not start the notebook's cells")


def open_and_run(page: Any, server: LabServer, stem: str, sources: list[str]) -> None:
    """Write a notebook, open it in JupyterLab, wait for its kernel, run all its cells."""
    notebook = write_notebook(server.root, stem, sources)
    page.goto(f"{server.url}/lab/tree/{notebook}?token={server.token}&reset", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(KERNEL_IDLE, timeout=PAGE_TIMEOUT_MS, polling=200)
    run_all_cells(page)


#: ``(root) => [{text, tag, ratio, fg, bg}]``: WCAG contrast of every visible text under ``root``.
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()


@pytest.fixture
def lab_tools() -> Any:
    """The helpers above for test modules (which cannot import conftest under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        write_notebook=write_notebook,
        run_all_cells=run_all_cells,
        open_and_run=open_and_run,
        kernel_idle=KERNEL_IDLE,
        contrast_js=CONTRAST_JS,
        timeout_ms=PAGE_TIMEOUT_MS,
    )
