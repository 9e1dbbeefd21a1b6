"""Alexa's SSML rules: well-formed XML, one ``<speak>`` around everything, and only the tags Alexa speaks.

Alexa answers an SSML document it cannot read with "There was a problem with the
requested skill's response" (and ends the session); the usual causes are an
unescaped ``&`` or ``<`` in the text, a tag left open, or a tag Alexa does not know
(Amazon Polly's ``<amazon:breath>`` for instance).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

#: The tags of Alexa's SSML reference (the ``amazon:`` ones need no namespace declaration).
SUPPORTED_TAGS = frozenset(
    {
        "speak",
        "amazon:domain",
        "amazon:effect",
        "amazon:emotion",
        "audio",
        "break",
        "emphasis",
        "lang",
        "p",
        "phoneme",
        "prosody",
        "s",
        "say-as",
        "sub",
        "voice",
        "w",
    }
)
_AMAZON = "urn:lambda-magic:amazon"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def ssml_problems(ssml: str, where: str = "outputSpeech.ssml") -> list[str]:
    """What Alexa would refuse in ``ssml`` (an empty list when it speaks it)."""
    if re.search(r"<!DOCTYPE|<!ENTITY", ssml, re.IGNORECASE):
        return [f"{where} may not declare a DOCTYPE or entities"]
    body = _XML_DECLARATION.sub("", ssml)
    try:
        root = ElementTree.fromstring(f'<root xmlns:amazon="{_AMAZON}">{body}</root>')
    except ElementTree.ParseError as exc:
        return [f"{where} is not well-formed XML ({_where_in(exc, ssml)}); escape & as &amp; and < as &lt;"]
    problems: list[str] = []
    children = list(root)
    if (
        (root.text or "").strip()
        or len(children) != 1
        or _name(children[0]) != "speak"
        or (children[0].tail or "").strip()
    ):
        problems.append(f"{where} must be one <speak> element with everything inside it")
    unknown = sorted({_name(e) for e in root.iter() if e is not root} - SUPPORTED_TAGS)
    if unknown:
        problems.append(f"{where} uses tags Alexa does not support: {', '.join(f'<{t}>' for t in unknown)}")
    nested = [e for top in children for e in top.iter() if e is not top and _name(e) == "speak"]
    if nested:
        problems.append(f"{where} has a <speak> inside <speak>")
    return problems


def strip_tags(ssml: str) -> str:
    """The words of an SSML document (tags removed, entities decoded, spaces collapsed)."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", ssml)).split())


def _name(element: ElementTree.Element) -> str:
    tag = str(element.tag)
    return "amazon:" + tag.split("}", 1)[1] if tag.startswith("{" + _AMAZON + "}") else tag


def _where_in(exc: ElementTree.ParseError, ssml: str) -> str:
    """The parser's message with the column in the student's own text (the wrapper is not theirs)."""
    message = str(exc).split(":", 1)[0]
    line, column = getattr(exc, "position", (1, 0))
    if line == 1:
        column -= len(f'<root xmlns:amazon="{_AMAZON}">') - (len(ssml) - len(_XML_DECLARATION.sub("", ssml)))
    return f"{message} near line {line}, column {max(column, 0)}"
