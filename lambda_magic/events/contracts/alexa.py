"""Alexa Skills Kit custom skills: the response envelope Alexa speaks from.

The answer is ``{version, sessionAttributes, response}``; ``response`` holds
the speech (plain text or SSML), an optional reprompt and card, and
``shouldEndSession``.  Alexa ignores the answer to a ``SessionEndedRequest``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._common import Verdict, _and_more, _Call, _failure, _json_bytes, _kind, _optional, _short, _verdict

_SPEECH_MAX = 8000
_CARD_TEXT_MAX = 8000
_IMAGE_URL_MAX = 2000
_ALEXA_RESPONSE_MAX = 24 * 1024
_CARD_TYPES = ("Simple", "Standard", "LinkAccount", "AskForPermissionsConsent")
_PLAY_BEHAVIORS = ("ENQUEUE", "REPLACE_ALL", "REPLACE_ENQUEUED")
#: outputSpeech type → (the key that holds the text, how a problem names it).
_SPEECH_TEXT = {"PlainText": ("text", "a text string"), "SSML": ("ssml", "an ssml string")}
_IGNORED = "Alexa ignores the answer to a SessionEndedRequest"


def _speech(value: Any, where: str, problems: list[str]) -> str | None:
    """Validate an outputSpeech object; return what Alexa says (SSML tags stripped)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(f"{where} must be an object, got {_kind(value)}")
        return None
    kind = value.get("type")
    if value.get("playBehavior") is not None and value["playBehavior"] not in _PLAY_BEHAVIORS:
        problems.append(f"{where}.playBehavior must be one of {', '.join(_PLAY_BEHAVIORS)}")
    spec = _SPEECH_TEXT.get(kind) if isinstance(kind, str) else None
    if spec is None:
        problems.append(f'{where}.type must be "PlainText" or "SSML", got {kind!r}')
        return None
    key, wanted = spec
    text = value.get(key)
    if not isinstance(text, str):
        problems.append(f"{where} of type {kind} needs {wanted}")
        return None
    if kind == "SSML" and not re.fullmatch(r"\s*<speak>.*</speak>\s*", text, re.DOTALL):
        problems.append(f"{where}.ssml must be wrapped in <speak>...</speak>")
    if len(text) > _SPEECH_MAX:
        problems.append(f"{where} is {len(text)} characters; Alexa allows {_SPEECH_MAX}")
    return re.sub(r"<[^>]+>", "", text).strip() if kind == "SSML" else text


def _card(value: Any, problems: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append(f"response.card must be an object, got {_kind(value)}")
        return
    if value.get("type") not in _CARD_TYPES:
        problems.append(f"response.card.type must be one of {', '.join(_CARD_TYPES)}, got {value.get('type')!r}")
    image = given if isinstance(given := value.get("image"), Mapping) else {}
    urls = [u for u in (image.get("smallImageUrl"), image.get("largeImageUrl")) if isinstance(u, str)]
    for url in urls:
        if len(url) > _IMAGE_URL_MAX:
            problems.append(f"a card image URL is {len(url)} characters; Alexa allows {_IMAGE_URL_MAX}")
    texts = [v for k in ("title", "content", "text") if isinstance(v := value.get(k), str)] + urls
    total = sum(map(len, texts))
    if total > _CARD_TEXT_MAX:
        problems.append(f"the card's text is {total} characters; Alexa allows {_CARD_TEXT_MAX} in all")


def _check_alexa(call: _Call) -> Verdict:
    """Alexa Skills Kit custom skill (event-catalog §C.14, §D.7; callers §4.2, §4.3).

    Details: ``speech`` (what Alexa says, SSML tags stripped), ``reprompt``,
    ``card``, ``shouldEndSession``, ``session`` (``"ends"``, ``"open, microphone
    on"`` or ``"open without the microphone (device-dependent)"``),
    ``sessionAttributes`` (next turn's ``session.attributes``),
    ``response_bytes``.
    """
    source = "Alexa Skills Kit (custom skill)"
    request = given if isinstance(given := call.event.get("request"), Mapping) else {}
    ended = request.get("type") == "SessionEndedRequest"
    if call.function_error:
        reason = _failure(call)
        if ended:
            return _verdict(source, f"{_IGNORED}, but {reason}", {"ignored": True}, [reason])
        details: dict[str, Any] = {"speech": None, "session": "ends", "sessionAttributes": {}}
        return _verdict(
            source,
            f"Alexa gets no valid response; the device reports a problem with the skill: {reason}",
            details,
            [reason],
        )
    payload, problems, notes = call.payload, [], []
    if not isinstance(payload, Mapping):
        problem = f"the function returned {_kind(payload)}, not a response envelope"
        if ended:
            return _verdict(source, _IGNORED, {"ignored": True})
        details = {"speech": None, "session": "ends"}
        return _verdict(source, f"Alexa rejects the response: {problem}", details, [problem])
    if payload.get("version") != "1.0":
        problems.append(f'version must be "1.0", got {payload.get("version")!r}')
    response = payload.get("response")
    if not isinstance(response, Mapping):
        problems.append("response must be an object" if response is not None else "response is missing")
        response = {}
    speech = _speech(response.get("outputSpeech"), "response.outputSpeech", problems)
    reprompt_block = _optional(response, "reprompt", (Mapping,), "an object", problems, where="response.reprompt")
    reprompt = None
    if isinstance(reprompt_block, Mapping):
        reprompt = _speech(reprompt_block.get("outputSpeech"), "response.reprompt.outputSpeech", problems)
    _card(response.get("card"), problems)
    end = _optional(
        response, "shouldEndSession", (bool,), "true, false or absent", problems, where="response.shouldEndSession"
    )
    attributes = _optional(payload, "sessionAttributes", (Mapping,), "an object", problems)
    size = _json_bytes(payload)
    if size > _ALEXA_RESPONSE_MAX:
        problems.append(f"the response is {size} bytes; Alexa allows {_ALEXA_RESPONSE_MAX} (24 KB)")
    if ended and (response.get("outputSpeech") is not None or response.get("card") is not None):
        problems.append("a SessionEndedRequest cannot be answered with speech or a card; Alexa ignores them")
    if reprompt_block is not None and end is not False:
        notes.append("a reprompt is spoken only when shouldEndSession is false")
    if isinstance(end, bool):
        session = "ends" if end else "open, microphone on"
    else:
        session = "open without the microphone (device-dependent)"
    details = {
        "speech": speech,
        "reprompt": reprompt,
        "card": response.get("card"),
        "shouldEndSession": end,
        "session": session,
        "sessionAttributes": dict(attributes) if isinstance(attributes, Mapping) else {},
        "response_bytes": size,
    }
    if ended:
        details["ignored"] = True
        summary = _IGNORED + (f": {_and_more(problems)}" if problems else "")
        return _verdict(source, summary, details, problems, notes)
    if problems:
        return _verdict(source, f"Alexa rejects the response: {_and_more(problems)}", details, problems, notes)
    said = f"Alexa says {_short(speech, 80)}" if speech else "Alexa says nothing"
    return _verdict(source, f"{said} and the session {'ends' if end else 'stays ' + session}", details, notes=notes)
