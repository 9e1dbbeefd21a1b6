"""Panels read for a person: JupyterLab's dark theme in headless Chromium, and pages without JupyterLab.

In JupyterLab (dark theme set in the user settings): one invocation panel with a
long log, the log text's contrast against its effective background computed in
the page (WCAG formula, getComputedStyle, walking up to the first opaque
background) is at least 4.5, and so is every other text in the panel; the log
scrolls inside a bounded area and says how many lines are hidden; a wide table
scrolls inside its output instead of widening the notebook; an empty log query
says so in words.

Without JupyterLab (plain Chromium pages, no ``--jp-*`` variables): the panel on a
white page and on VS Code's dark default colours, and the panel with every style
stripped (as GitHub's sanitizer does) still reads: headline, table rows, the log in
a ``<pre>`` with one line per line.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

DARK_THEME = {"@jupyterlab/apputils-extension/themes.jupyterlab-settings": {"theme": "JupyterLab Dark"}}
LINES = 300
HANDLER = f"""%%lambda chatty
def lambda_handler(event, context):
    for i in range({LINES}):
        print(f"row {{i}}\\tcolumn two\\tcolumn three")
    return {{"printed": {LINES}}}
"""
SOURCES = [
    "%load_ext lambda_magic\nimport lambda_magic as lm",
    HANDLER,
    'lm.invoke("chatty", {})',
    "lm.invocations()",
    'lm.logs("chatty", filter_pattern="NOTHING-LIKE-THIS")',
    "import ipywidgets as widgets\n"
    'widgets.HBox([lm.builder("chatty"), widgets.HTML(\'<b class="lm-beside">beside the builder</b>\')])',
]
MIN_CONTRAST = 4.5


@pytest.fixture
def lab_settings():
    return DARK_THEME


def _low(results, minimum=MIN_CONTRAST):
    return [r for r in results if r["ratio"] < minimum]


@pytest.mark.browser
@pytest.mark.slow
def test_invocation_panel_reads_in_the_dark_theme(lab_server, chromium_page, lab_tools, tmp_path):
    from playwright.sync_api import expect

    page, page_errors = chromium_page
    lab_tools.open_and_run(page, lab_server, "dark_panels", SOURCES)
    panel = page.locator(".jp-OutputArea-output .lambda-magic-invocation")
    expect(panel).to_be_visible(timeout=lab_tools.timeout_ms)
    expect(page.locator(".lambda-magic-wide")).to_be_visible(timeout=lab_tools.timeout_ms)
    expect(page.locator(".lambda-magic-logs-empty")).to_contain_text(
        "No log events match function chatty, filter pattern 'NOTHING-LIKE-THIS'.", timeout=lab_tools.timeout_ms
    )

    assert page.evaluate("document.body.dataset.jpThemeLight") == "false"  # the dark theme is really on
    log = panel.locator("pre.lambda-magic-log")
    results = log.evaluate(lab_tools.contrast_js)
    assert results, "no log text found"
    assert all(r["bgLuminance"] < 0.1 for r in results), results[:3]  # on a dark background...
    assert not _low(results), _low(results)[:5]  # ... with contrast >= 4.5
    everything = panel.evaluate(lab_tools.contrast_js)
    assert not _low(everything), _low(everything)[:5]  # headline, badge, table, summary too

    # the long log: first and last lines, the hidden count, a scroll area inside the panel
    text = log.inner_text()
    assert text.startswith("INIT_START") or text.startswith("START")
    assert re.search(r"\.\.\. [\d,]+ lines hidden \(lm\.logs\(request_id=\"[0-9a-f-]{36}\"\) has them all\)", text)
    assert "row 0   column two  column three" in text  # tabs as aligned spaces
    assert text.rstrip().splitlines()[-1].startswith("REPORT RequestId:")
    # wrapped at spaces (JupyterLab's own output <pre> style breaks anywhere, mid-word)
    assert log.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
    sizes = log.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert sizes[0] > sizes[1] > 0  # scrolls inside, bounded height

    # the wide table scrolls inside its output; the notebook itself does not widen
    wide = page.locator(".lambda-magic-wide")
    inner, outer = wide.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner > outer  # wider than the output area ...
    notebook = page.locator(".jp-NotebookPanel .jp-Notebook").first
    scroll_width, client_width = notebook.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll_width <= client_width + 1  # ... yet the page keeps its width

    # the builder composes with other widgets, and its own texts read in the dark theme too
    row = page.locator(".widget-hbox", has=page.locator(".lm-builder"))
    expect(row.locator(".lm-beside")).to_have_text("beside the builder", timeout=lab_tools.timeout_ms)
    builder_text = row.locator(".lm-builder").evaluate(lab_tools.contrast_js)
    assert builder_text and not _low(builder_text), _low(builder_text)[:5]

    panel.scroll_into_view_if_needed()
    shot = tmp_path / "panel_dark.png"
    panel.screenshot(path=str(shot))
    print(
        f"\nscreenshot: {shot}; log contrast min {min(r['ratio'] for r in results):.1f}, "
        f"panel text contrast min {min(r['ratio'] for r in everything):.1f}"
    )
    assert page_errors == []


# --- outside JupyterLab ------------------------------------------------------------------------


def _panel_html() -> str:
    import lambda_magic as lm

    lm.reset()
    lm.register("chatty", HANDLER.split("\n", 1)[1])
    try:
        return lm.invoke("chatty", {})._repr_html_()
    finally:
        lm.reset()


def _every_kind_of_output_html() -> str:
    """An invocation, a function, an error with a verdict, logs, a wide table and the queue."""
    import lambda_magic as lm
    from lambda_magic.display.panels import FunctionPanel

    lm.reset()
    try:
        function = lm.register("chatty", HANDLER.split("\n", 1)[1])
        parts = [lm.invoke("chatty", {})._repr_html_(), FunctionPanel(function)._repr_html_()]
        lm.register("gw", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
        parts.append(lm.invoke("gw", template="apigateway/aws-proxy")._repr_html_())
        lm.invoke("chatty", {}, invocation_type="Event")
        lm.wait()
        parts += [lm.logs("chatty", tail=5)._repr_html_(), lm.invocations()._repr_html_(), lm.queue()._repr_html_()]
        return "".join(f'<div class="output">{part}</div>' for part in parts)
    finally:
        lm.reset()


class _StripStyles(HTMLParser):
    """What GitHub's sanitizer leaves of a panel, at most: no <style>, no style or class attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.in_style = True
            return
        kept = "".join(f' {k}="{v}"' if v is not None else f" {k}" for k, v in attrs if k not in ("style", "class"))
        self.out.append(f"<{tag}{kept}>")

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.in_style:
            self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")


def _strip_styles(html: str) -> str:
    parser = _StripStyles()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


PAGES = {
    # GitHub, nbviewer, Colab's light theme: a white page, dark text, no JupyterLab variables
    "white page": "background:#ffffff;color:#1f2328",
    # VS Code's default dark theme (Dark Modern): its editor background and foreground
    "VS Code dark": "background:#1f1f1f;color:#cccccc",
}


@pytest.mark.browser
@pytest.mark.parametrize("page_style", list(PAGES.values()), ids=list(PAGES))
def test_panel_reads_without_jupyterlab_variables(chromium_page, lab_tools, page_style):
    page, page_errors = chromium_page
    page.set_content(
        f'<html><body style="{page_style};font-family:sans-serif">{_every_kind_of_output_html()}</body></html>'
    )
    results = page.locator("body").evaluate(lab_tools.contrast_js)
    assert len(results) > 100 and any(r["text"].startswith("REPORT RequestId") for r in results)
    assert not _low(results), _low(results)[:5]
    assert page_errors == []


@pytest.mark.browser
def test_panel_reads_with_every_style_stripped(chromium_page, tmp_path):
    page, page_errors = chromium_page
    stripped = _strip_styles(_panel_html())
    assert "style=" not in stripped and "<style" not in stripped and "<pre>" in stripped
    page.set_content(f"<html><body>{stripped}</body></html>")
    body = page.locator("body").inner_text()
    lines = body.splitlines()
    assert lines[0].startswith("chatty · $LATEST · RequestResponse · 200 success · cold start")
    for label in ("Result", "Timing", "Memory", "Cost", "Request"):
        assert any(line.startswith(label) for line in lines), label  # one table row per line
    log = page.locator("pre").last
    assert log.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"  # the browser's own <pre>: no CSS needed
    log_lines = log.inner_text().splitlines()
    assert log_lines[0].startswith("INIT_START") and log_lines[-1].startswith("REPORT RequestId:")
    assert any(re.match(r"\.\.\. [\d,]+ lines hidden", line) for line in log_lines)
    assert "row 0   column two  column three" in log_lines
    shot = tmp_path / "panel_unstyled.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert page_errors == []
