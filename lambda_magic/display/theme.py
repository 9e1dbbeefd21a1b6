"""Colours and inline styles shared by every panel, readable in light and dark themes.

Text takes JupyterLab's theme colours (``--jp-content-font-color*``) and otherwise
inherits the page's colour; backgrounds take ``--jp-layout-color*`` and otherwise
stay transparent or a translucent grey, so a panel reads on GitHub's white page,
in VS Code's dark default and in Colab alike.  Status colours are only used as
badge backgrounds (white text, contrast >= 4.5 against each) and as borders, never
as the colour of text, so no theme can make them unreadable.  Every state is also
said in words, for pages that strip styles.
"""

from __future__ import annotations

TEXT = "var(--jp-content-font-color1, inherit)"
MUTED = "var(--jp-content-font-color2, inherit)"
BORDER = "var(--jp-border-color2, rgba(128, 128, 128, 0.45))"
PANEL_BACKGROUND = "var(--jp-layout-color1, transparent)"
CODE_BACKGROUND = "var(--jp-layout-color2, rgba(128, 128, 128, 0.12))"
TRACK = "var(--jp-layout-color3, rgba(128, 128, 128, 0.3))"
CODE_FONT = "var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace)"
#: Family names without quotes (CSS allows a name of plain words unquoted): the styles go into
#: attributes quoted either way.
UI_FONT = "var(--jp-ui-font-family, system-ui, -apple-system, Segoe UI, sans-serif)"

#: Badge backgrounds; white text on each has a contrast of at least 4.5 (WCAG AA).
STATUS = {
    "success": "#1b7f3b",
    "error": "#b42318",
    "timeout": "#b54708",
    "queued": "#175cd3",
    "dry-run": "#475467",
    "throttled": "#b54708",
    "interrupted": "#b54708",
    "warning": "#b54708",
    "info": "#475467",
    "function": "#7f56d9",
}
#: Bar fills (memory, init, duration): shapes, so only their visibility matters.
FILL = {"init": "#f79009", "duration": "#2e90fa", "memory": "#12b76a", "memory-full": "#d92d20"}

BOX = (
    f"font-family:{UI_FONT};font-size:13px;color:{TEXT};background:{PANEL_BACKGROUND};"
    f"border:1px solid {BORDER};border-radius:6px;padding:8px 10px;margin:2px 0;max-width:980px;"
    "box-sizing:border-box;overflow-x:auto"
)
#: Row labels: bold by default (also without CSS); in the text's own colour, so they read wherever it does.
TH = "text-align:left;vertical-align:top;padding:2px 10px 2px 0;white-space:nowrap"
TD = "text-align:left;vertical-align:top"
PRE = (
    f"margin:0;white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere;font-family:{CODE_FONT};font-size:12px;"
    f"color:{TEXT};tab-size:4"
)
#: A log: its own background, at most about 24 lines high, scrolling inside.
LOG = f"{PRE};background:{CODE_BACKGROUND};padding:4px 6px;max-height:24em;overflow:auto;border-radius:4px"
#: Wide tables scroll inside the output instead of widening the page.
SCROLL = "overflow-x:auto;max-width:100%"


def badge(kind: str, text: str) -> str:
    """A coloured label with white text (``kind``: a key of :data:`STATUS`)."""
    from html import escape

    colour = STATUS.get(kind, STATUS["info"])
    return (
        f'<span style="background:{colour};color:#fff;border-radius:4px;padding:0 6px;white-space:nowrap">'
        f"{escape(text)}</span>"
    )
