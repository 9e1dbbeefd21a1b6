"""An Alexa custom skill's conversation with its function: the request envelopes Alexa sends,
one synchronous invocation per turn, and what Alexa makes of each answer.

A session is ``launch()`` (a ``LaunchRequest``; or a first ``say()``, a one-shot
request), ``say(intent, **slots)`` (``IntentRequest``) and ``end(reason)``
(``SessionEndedRequest``).  ``session.new`` is true on the first request only, and the
``sessionAttributes`` a response returns are the next request's ``session.attributes``
(attributes not returned are lost).  A response with ``shouldEndSession: true`` ends the
session and Alexa sends no ``SessionEndedRequest`` after it; a failed invocation or an
answer Alexa cannot speak ends it with ``SessionEndedRequest`` ``ERROR``, as on a device.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import InvalidParameterValueException, LambdaMagicError
from ..events.contracts import check_response
from .alexa_ssml import ssml_problems, strip_tags

SKILL_PREFIX = "amzn1.ask.skill."
#: Alexa waits 8 seconds for a custom skill's response.
RESPONSE_TIMEOUT_S = 8.0
END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS")
CONFIRMATION = ("NONE", "DENIED", "CONFIRMED")
DIALOG_STATES = ("STARTED", "IN_PROGRESS", "COMPLETED")
TRIGGER = "alexa"


class SessionEndedError(LambdaMagicError):
    """The session is over: Alexa sends nothing more in it (start a new session)."""


@dataclass
class Turn:
    """One request of the session and what Alexa does with the function's answer."""

    #: What the user did, for the transcript: ``(opens the skill)``, ``OrderIntent drink=coffee``...
    said: str
    request: dict[str, Any]
    invocation: Any
    #: What Alexa says (SSML tags stripped), the reprompt, the card.
    speech: str | None = None
    reprompt: str | None = None
    card: Mapping[str, Any] | None = None
    #: The next request's ``session.attributes``.
    session_attributes: dict[str, Any] = field(default_factory=dict)
    #: True when the session is over after this turn.
    ended: bool = False
    #: Every rule of Alexa's the answer broke (empty when Alexa speaks it).
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def request_type(self) -> str:
        return str(self.request["request"]["type"])

    @property
    def response(self) -> Any:
        """The response envelope the function returned (or its error document)."""
        return self.invocation.payload

    @property
    def ok(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:
        lines = [f"user: {self.said}"]
        if self.request_type == "SessionEndedRequest":
            lines.append("Alexa: (says nothing: the session has ended)")
        else:
            lines.append(f"Alexa: {self.speech!r}" if self.speech else "Alexa: (silence)")
        if self.reprompt:
            lines.append(f"  reprompt: {self.reprompt!r}")
        if self.card:
            lines.append(f"  card: {self.card.get('type')} {self.card.get('title', '')!r}")
        lines.append(f"  sessionAttributes: {self.session_attributes}")
        lines.append(f"  session: {'ended' if self.ended else 'open'}")
        lines.extend(f"  problem: {p}" for p in self.problems)
        return "\n".join(lines)


class AlexaSession:
    """One session between a user's device and the skill's function (invoked synchronously)."""

    def __init__(
        self,
        account: Any,
        function: str,
        *,
        skill_id: str | None = None,
        locale: str = "en-US",
        user_id: str | None = None,
        api_endpoint: str = "https://api.amazonalexa.com",
        qualifier: str | None = None,
    ):
        account.get_function(function)  # ResourceNotFoundException now, not at the first turn
        self.account = account
        self.function = function
        self.qualifier = qualifier
        self.skill_id = skill_id or SKILL_PREFIX + str(uuid.uuid4())
        if not isinstance(self.skill_id, str) or not self.skill_id.startswith(SKILL_PREFIX):
            example = SKILL_PREFIX + str(uuid.UUID(int=1))
            raise InvalidParameterValueException(
                f"skill_id {skill_id!r}: an Alexa skill id starts with {SKILL_PREFIX!r}, e.g. {example}"
            )
        self.locale = locale
        self.user_id = user_id or uuid.uuid4().hex.upper()
        self.session_id = str(uuid.uuid4())
        self.api_endpoint = api_endpoint
        self.attributes: dict[str, Any] = {}
        self.turns: list[Turn] = []
        #: Why the session ended (``None`` while it is open).
        self.end_reason: str | None = None

    @property
    def ended(self) -> bool:
        return self.end_reason is not None

    # --- the user's side ----------------------------------------------------------------------------

    def launch(self) -> Turn:
        """ "Alexa, open ..." : a ``LaunchRequest`` (it opens a session, so it comes first)."""
        self._check_open("launch")
        if self.turns:
            raise InvalidParameterValueException(
                "the session is already open: a LaunchRequest only starts one (say the next intent instead)"
            )
        return self._turn("(opens the skill)", "alexa-skills-kit/start-session", {})

    def say(
        self, intent: str, *, confirmation_status: str = "NONE", dialog_state: str | None = None, **slots: Any
    ) -> Turn:
        """The user says an utterance of ``intent`` with ``slots`` (``None`` or ``""``: unfilled,
        no ``value``; a mapping ``{"value", "name", "id", "status"}`` for a chosen resolution);
        ``dialog_state`` (``STARTED``, ``IN_PROGRESS``, ``COMPLETED``) for a skill with a dialog model."""
        self._check_open("say")
        if not isinstance(intent, str) or not intent:
            raise InvalidParameterValueException("say(intent, **slots): the intent's name, e.g. 'AMAZON.HelpIntent'")
        if confirmation_status not in CONFIRMATION:
            raise InvalidParameterValueException(f"confirmation_status: one of {', '.join(CONFIRMATION)}")
        if dialog_state not in (None, *DIALOG_STATES):
            raise InvalidParameterValueException(f"dialog_state: one of {', '.join(DIALOG_STATES)}")
        body: dict[str, Any] = {
            "type": "IntentRequest",
            "intent": {
                "name": intent,
                "confirmationStatus": confirmation_status,
                "slots": {name: self._slot(name, value) for name, value in slots.items()},
            },
        }
        if dialog_state is not None:
            body["dialogState"] = dialog_state
        said = " ".join([intent, *(f"{k}={v!r}" for k, v in slots.items())])
        return self._turn(said, "alexa-skills-kit/intent-mycoloris", body)

    def end(self, reason: str = "USER_INITIATED") -> Turn:
        """The session ends without the skill ending it: ``USER_INITIATED`` ("Alexa, stop" or
        silence after a prompt without reprompt), ``EXCEEDED_MAX_REPROMPTS`` or ``ERROR``."""
        self._check_open("end")
        if reason not in END_REASONS:
            raise InvalidParameterValueException(f"reason {reason!r}: one of {', '.join(END_REASONS)}")
        if not self.turns:
            raise InvalidParameterValueException("no session to end yet: launch() or say() first")
        return self._end(reason, None)

    # --- Alexa's side ----------------------------------------------------------------------------

    def _check_open(self, verb: str) -> None:
        if self.ended:
            raise SessionEndedError(
                f"the session has ended ({self.end_reason}); Alexa sends no more requests in it: "
                f"start a new one with lm.alexa.session(...) instead of .{verb}()"
            )

    def _slot(self, name: str, value: Any) -> dict[str, Any]:
        slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
        if value in (None, ""):
            return slot  # an unfilled slot has no value
        chosen = dict(value) if isinstance(value, Mapping) else {"value": value}
        spoken = str(chosen.get("value", ""))
        status = chosen.get("status", "ER_SUCCESS_MATCH")
        authority: dict[str, Any] = {
            "authority": f"amzn1.er-authority.echo-sdk.{self.skill_id}.{chosen.get('type', name)}",
            "status": {"code": status},
        }
        if status == "ER_SUCCESS_MATCH":
            canonical = str(chosen.get("name", spoken))
            ident = chosen.get("id") or hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()
            authority["values"] = [{"value": {"name": canonical, "id": str(ident)}}]
        resolutions = {"resolutionsPerAuthority": [authority]}
        slot.update(value=spoken, resolutions=resolutions, source="USER")
        slot["slotValue"] = {"type": "Simple", "value": spoken, "resolutions": resolutions}
        return slot

    def _envelope(self, template: str, request: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        event = self.account.render_event(
            template,
            {
                "session_id": self.session_id,
                "user_id": self.user_id,
                "application_id": self.skill_id.removeprefix(SKILL_PREFIX),
                "locale": self.locale,
                **params,
            },
        )
        event["session"]["new"] = not self.turns
        event["session"]["attributes"] = {} if not self.turns else dict(self.attributes)
        event["context"]["System"]["apiEndpoint"] = self.api_endpoint
        base = event["request"]
        event["request"] = {k: base[k] for k in ("type", "requestId", "timestamp", "locale")}
        event["request"].update(request)
        return event

    def _turn(self, said: str, template: str, request: Mapping[str, Any]) -> Turn:
        event = self._envelope(template, request)
        turn = self._invoke(said, event)
        if turn.problems or turn.invocation.function_error:
            # Alexa cannot speak the answer: "There was a problem with the requested skill's response".
            self.attributes = {}
            late = any(p.startswith("the skill answered after") for p in turn.problems)
            kind = "ENDPOINT_TIMEOUT" if late else "INVALID_RESPONSE"
            self._end("ERROR", {"type": kind, "message": turn.problems[0] if turn.problems else ""})
            turn.ended = True
        else:
            self.attributes = dict(turn.session_attributes)
            if turn.ended:
                self.end_reason = "the skill ended it with shouldEndSession: true"
        return turn

    def _end(self, reason: str, error: Mapping[str, Any] | None) -> Turn:
        request: dict[str, Any] = {"type": "SessionEndedRequest", "reason": reason}
        if error is not None:
            request["error"] = dict(error)
        event = self._envelope("alexa-skills-kit/end-session", request, reason=reason)
        self.end_reason = reason
        turn = self._invoke(f"(session ends: {reason})", event)
        turn.ended = True
        return turn

    def _invoke(self, said: str, event: dict[str, Any]) -> Turn:
        invocation = self.account.invoke(
            self.function, event, qualifier=self.qualifier, trigger=f"{TRIGGER}:{self.skill_id}"
        )
        verdict = check_response("alexa", event, invocation.payload, invocation.function_error)
        details = verdict.details
        problems = list(verdict.problems)
        response = invocation.payload.get("response") if isinstance(invocation.payload, Mapping) else None
        response = response if isinstance(response, Mapping) else {}
        for key, where in (("outputSpeech", "response.outputSpeech"), ("reprompt", "response.reprompt.outputSpeech")):
            speech = response.get(key)
            speech = speech.get("outputSpeech") if key == "reprompt" and isinstance(speech, Mapping) else speech
            wrapped = not any(p.startswith(f"{where}.ssml must be wrapped") for p in problems)
            if isinstance(speech, Mapping) and speech.get("type") == "SSML" and isinstance(speech.get("ssml"), str):
                problems.extend(ssml_problems(speech["ssml"], f"{where}.ssml") if wrapped else [])
        problems.extend(card_problems(response.get("card")))
        if invocation.duration_ms is not None and invocation.duration_ms > RESPONSE_TIMEOUT_S * 1000:
            problems.append(f"the skill answered after {invocation.duration_ms / 1000:.1f} s; Alexa waits 8 s")
        said_text = _spoken(response.get("outputSpeech"))
        reprompt = response.get("reprompt")
        turn = Turn(
            said=said,
            request=event,
            invocation=invocation,
            speech=said_text if said_text is not None else details.get("speech"),
            reprompt=_spoken(reprompt.get("outputSpeech")) if isinstance(reprompt, Mapping) else None,
            card=details.get("card"),
            session_attributes=dict(details.get("sessionAttributes") or {}),
            ended=details.get("shouldEndSession") is True,
            problems=problems,
            notes=list(details.get("notes", ())),
        )
        self.turns.append(turn)
        return turn


def card_problems(card: Any) -> list[str]:
    """The fields each card type needs (the type itself and the lengths are the contract's checks):
    ``Simple`` a title and content, ``Standard`` a title, text and HTTPS image URLs,
    ``LinkAccount`` nothing more."""
    if not isinstance(card, Mapping):
        return []
    kind, problems = card.get("type"), []
    needed = {"Simple": ("title", "content"), "Standard": ("title", "text")}.get(str(kind), ())
    for key in needed:
        if card.get(key) is not None and not isinstance(card.get(key), str):
            problems.append(f"response.card.{key} must be a string")
    if kind in ("Simple", "Standard") and not any(isinstance(card.get(k), str) and card.get(k) for k in needed):
        problems.append(f"a {kind} card needs {' and '.join(needed)}")
    image = card.get("image")
    if kind == "Standard" and isinstance(image, Mapping):
        for key in ("smallImageUrl", "largeImageUrl"):
            url = image.get(key)
            if url is not None and not (isinstance(url, str) and url.startswith("https://")):
                problems.append(f"response.card.image.{key} must be an https:// URL")
    elif kind != "Standard" and card.get("image") is not None:
        problems.append(f"only a Standard card has an image, not a {kind} card")
    return problems


def _spoken(speech: Any) -> str | None:
    """What a device says for an outputSpeech object (SSML reduced to its words)."""
    if not isinstance(speech, Mapping):
        return None
    if speech.get("type") == "SSML" and isinstance(speech.get("ssml"), str):
        return strip_tags(speech["ssml"])
    text = speech.get("text")
    return text if isinstance(text, str) else None
