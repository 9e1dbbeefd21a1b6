"""``lm.alexa``: talk to an Alexa custom skill's function as a device would, on the default account.

``s = lm.alexa.session("skill", skill_id="amzn1.ask.skill....")``, then ``s.launch()``,
``s.say("OrderIntent", drink="coffee")`` and ``s.end()``: each sends Alexa's request
envelope, invokes the function synchronously and returns the turn (``.speech``,
``.session_attributes``, ``.ended``, ``.problems``); ``s`` shows the transcript.
"""

from __future__ import annotations

from typing import Any


def session(
    function: str,
    *,
    skill_id: str | None = None,
    locale: str = "en-US",
    user_id: str | None = None,
    qualifier: str | None = None,
) -> Any:
    """A new session of the skill backed by ``function`` (``skill_id``: the skill's
    ``amzn1.ask.skill.…`` id, checked by SDKs that set one; default: a fresh one)."""
    from .api import account
    from .display.alexa_transcript import SessionView
    from .sources.alexa import AlexaSession

    acc = account()
    return SessionView(
        AlexaSession(
            acc,
            function,
            skill_id=skill_id,
            locale=locale,
            user_id=user_id,
            api_endpoint=_api_endpoint(acc),
            qualifier=qualifier,
        )
    )


def _api_endpoint(acc: Any) -> str:
    """The ``context.System.apiEndpoint`` the requests carry: a loopback address, so that a skill's
    calls to Alexa's service APIs stay on this machine (answered "not emulated")."""
    from .endpoints.alexa_api import AlexaServiceAPI

    return str(AlexaServiceAPI.of(acc).url)
