"""The event builder works for a person: JupyterLab in headless Chromium, real clicks.

Opens a fresh notebook (written here, under a unique name, in the server's
temporary folder), runs all cells from the Run menu, picks ``s3/put`` in the
builder, changes the bucket, clicks Invoke and reads the function's result in
the panel.  A screenshot of the builder is saved and its path printed.
"""

from __future__ import annotations

import re
import time

import pytest

FUNCTION = "bucket_echo"
BUCKET = "lecture-bucket-42"
TIMEOUT_MS = 60_000

HANDLER = f"""%%lambda {FUNCTION}
def lambda_handler(event, context):
    return {{"bucket": event["Records"][0]["s3"]["bucket"]["name"]}}
"""
BUILDER = f"""%lambda builder {FUNCTION}"""


@pytest.mark.browser
@pytest.mark.slow
def test_builder_invokes_s3_put_with_an_edited_bucket(lab_server, chromium_page, lab_tools, tmp_path):
    from playwright.sync_api import expect

    page, page_errors = chromium_page
    timings = {"jupyterlab up": lab_server.started_in_s}
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        timings[name] = now - mark
        mark = now

    notebook = lab_tools.write_notebook(lab_server.root, "builder_demo", ["%load_ext lambda_magic", HANDLER, BUILDER])
    page.goto(f"{lab_server.url}/lab/tree/{notebook}?token={lab_server.token}&reset", timeout=TIMEOUT_MS)
    page.wait_for_function(lab_tools.kernel_idle, timeout=TIMEOUT_MS, polling=200)
    lap("page open, kernel idle")

    lab_tools.run_all_cells(page)
    builder = page.locator(".lm-builder")
    expect(builder).to_be_visible(timeout=TIMEOUT_MS)
    lap("run all cells, builder shown")

    # pick s3/put: the service first, then the event type
    page.locator(".lm-builder-service select").select_option(label="s3")
    event_select = page.locator(".lm-builder-event select")
    expect(event_select.locator("option", has_text=re.compile(r"^put$"))).to_have_count(1, timeout=TIMEOUT_MS)
    event_select.select_option(label="put")
    bucket = page.locator(".lm-builder-field-bucket input")
    expect(bucket).to_be_visible(timeout=TIMEOUT_MS)
    preview = page.locator(".lm-builder-preview textarea")
    expect(preview).to_have_value(re.compile(r'"s3"'), timeout=TIMEOUT_MS)

    # a new bucket name: fill() then Tab commits it (pitfall 7); the preview follows the form
    bucket.fill(BUCKET)
    bucket.press("Tab")
    expect(preview).to_have_value(re.compile(rf'"name": "{BUCKET}"'), timeout=TIMEOUT_MS)
    lap("s3/put chosen, bucket edited")

    invoke = page.locator("button.lm-builder-invoke")
    expect(invoke).to_be_enabled()
    invoke.click()
    panel = page.locator(".lm-builder-result .lambda-magic-invocation")
    expect(panel).to_contain_text(f'"bucket": "{BUCKET}"', timeout=TIMEOUT_MS)
    expect(panel).to_contain_text("200 success")
    expect(panel).to_contain_text(FUNCTION)
    expect(page.locator(".lm-builder-status")).to_have_class(re.compile(r"\blm-builder-ok\b"))
    expect(page.locator(".lm-builder-history-table tbody tr")).to_have_count(1)
    lap("invoke, panel shows the result")

    # the default (light) theme: the result panel's text reads too (WCAG contrast >= 4.5)
    contrast = panel.evaluate(lab_tools.contrast_js)
    assert contrast and not [r for r in contrast if r["ratio"] < 4.5], [r for r in contrast if r["ratio"] < 4.5][:5]

    # JupyterLab scrolls inside its own panel: an element screenshot, not full_page (pitfall 8)
    builder.scroll_into_view_if_needed()
    shot = tmp_path / "builder_in_jupyterlab.png"
    builder.screenshot(path=str(shot))
    lap("screenshot")
    print(f"\nscreenshot: {shot}")
    print("timings: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))

    errors_shown = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors_shown.count() == 0, errors_shown.all_inner_texts()
    assert page_errors == []
    assert shot.stat().st_size > 10_000
