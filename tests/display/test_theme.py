"""The display's colours: JupyterLab variables with fallbacks, badges that read, no stray hex colours."""

import re
from pathlib import Path

import lambda_magic.display as display
from lambda_magic.display import theme

#: Modules allowed to name colours: the theme itself, the PNG timeline, flow map and power tuning
#: chart (each on its own white page), and metrics.py (reworked by another engineer).
ALLOWED = {"theme.py", "timeline.py", "flow.py", "power_tuning.py", "metrics.py"}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_no_display_module_hard_codes_a_colour():
    folder = Path(display.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        if path.name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|\b(white|black|grey|gray)\b(?=[;\"'])", line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_every_variable_has_a_fallback():
    for name in ("TEXT", "MUTED", "BORDER", "PANEL_BACKGROUND", "CODE_BACKGROUND", "TRACK", "CODE_FONT", "UI_FONT"):
        value = getattr(theme, name)
        assert re.fullmatch(r"var\(--jp-[a-z0-9-]+, .+\)", value), (name, value)


def test_badges_have_white_text_with_aa_contrast():
    for kind, colour in theme.STATUS.items():
        ratio = (1 + 0.05) / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, (kind, colour, ratio)
    assert "color:#fff" in theme.badge("error", "x") and theme.STATUS["error"] in theme.badge("error", "x")


def test_styles_hold_no_quotes_so_any_attribute_quoting_keeps_them_whole():
    from html.parser import HTMLParser

    from lambda_magic.display import theme

    styles = {name: value for name, value in vars(theme).items() if name.isupper() and isinstance(value, str)}
    assert styles and not [name for name, value in styles.items() if "'" in value or '"' in value]

    found = []

    class Attributes(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append(dict(attrs))

    Attributes().feed(f"<div style='{theme.BOX}'></div>")
    assert found == [{"style": theme.BOX}]
