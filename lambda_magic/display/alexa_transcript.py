"""An Alexa session as a transcript panel: what the user did, what Alexa said, what it refused."""

from __future__ import annotations

from html import escape
from typing import Any

from ..sources.alexa import AlexaSession, Turn
from .theme import BOX, MUTED, PRE, TD, TH, badge


class SessionView:
    """``lm.alexa.session(...)``: drive the conversation (``launch``, ``say``, ``end``; each returns
    the :class:`~lambda_magic.sources.alexa.Turn`) and show it as a transcript."""

    def __init__(self, session: AlexaSession):
        self.session = session

    # --- the conversation ---------------------------------------------------------------------------

    def launch(self) -> Turn:
        """ "Alexa, open <skill>": a ``LaunchRequest``."""
        return self.session.launch()

    def say(self, intent: str, **slots: Any) -> Turn:
        """An ``IntentRequest`` for ``intent`` with ``slots`` (``None``: an unfilled slot)."""
        return self.session.say(intent, **slots)

    def end(self, reason: str = "USER_INITIATED") -> Turn:
        """A ``SessionEndedRequest`` (``USER_INITIATED``, ``EXCEEDED_MAX_REPROMPTS`` or ``ERROR``)."""
        return self.session.end(reason)

    @property
    def turns(self) -> list[Turn]:
        return list(self.session.turns)

    @property
    def skill_id(self) -> str:
        return self.session.skill_id

    @property
    def session_id(self) -> str:
        return "amzn1.echo-api.session." + self.session.session_id

    @property
    def attributes(self) -> dict[str, Any]:
        """The session attributes the next request will carry."""
        return dict(self.session.attributes)

    @property
    def ended(self) -> bool:
        return self.session.ended

    # --- the transcript -----------------------------------------------------------------------------

    def _state(self) -> str:
        return f"ended ({self.session.end_reason})" if self.session.ended else "open"

    def __repr__(self) -> str:
        lines = [f"Alexa session with {self.session.function} ({len(self.session.turns)} turns, {self._state()})"]
        for turn in self.session.turns:
            lines.extend("  " + line for line in repr(turn).splitlines())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(_turn_rows(turn) for turn in self.session.turns)
        if not rows:
            rows = f"<tr><td style='{TD};color:{MUTED}' colspan='2'>no turns yet: .launch() or .say(intent)</td></tr>"
        state = badge("info" if not self.session.ended else "dry-run", self._state())
        return (
            f'<div style="{BOX}"><b>Alexa session</b> with <code>{escape(self.session.function)}</code> {state}'
            f"<table style='margin:4px 0'>{rows}</table></div>"
        )


def _turn_rows(turn: Turn) -> str:
    kind = f"<span style='color:{MUTED}'>({escape(turn.request_type)})</span>"
    user = f"<tr><th style='{TH}'>user</th><td style='{TD}'>{escape(turn.said)} {kind}</td></tr>"
    if turn.request_type == "SessionEndedRequest":
        said = f"<span style='color:{MUTED}'>(nothing: the session has ended)</span>"
    else:
        said = escape(turn.speech) if turn.speech else f"<span style='color:{MUTED}'>(silence)</span>"
    extra = []
    if turn.reprompt:
        extra.append(f"reprompt: {escape(turn.reprompt)}")
    if turn.card:
        extra.append(f"card: {escape(str(turn.card.get('type')))} {escape(str(turn.card.get('title', '')))}")
    if turn.session_attributes:
        extra.append(f"sessionAttributes: <code>{escape(str(turn.session_attributes))}</code>")
    verdict = badge("error", "refused") if turn.problems else badge("success", "ok")
    problems = "".join(f"<div style='{PRE}'>problem: {escape(p)}</div>" for p in turn.problems)
    notes = "".join(f"<div style='color:{MUTED}'>{escape(e)}</div>" for e in extra)
    return user + f"<tr><th style='{TH}'>Alexa</th><td style='{TD}'>{said} {verdict}{notes}{problems}</td></tr>"
