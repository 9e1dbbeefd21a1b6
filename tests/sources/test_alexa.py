"""Alexa sessions: request envelopes to the skill's function, session attributes across turns,
and Alexa's checks of each answer, with an ask-sdk-core skill as written for AWS."""

from __future__ import annotations

import pytest

from lambda_magic.display.alexa_transcript import SessionView
from lambda_magic.endpoints.alexa_api import AlexaServiceAPI
from lambda_magic.sources.alexa import AlexaSession, SessionEndedError
from lambda_magic.sources.alexa_ssml import ssml_problems

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"

#: An ask-sdk-core skill, unchanged from what runs on Lambda.
SKILL = f"""
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import get_slot_value, is_intent_name, is_request_type

sb = SkillBuilder()
sb.skill_id = "{SKILL_ID}"


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        handler_input.attributes_manager.session_attributes["turns"] = 1
        return (handler_input.response_builder.speak("Welcome! What is your favourite colour?")
                .ask("Which colour do you like?").response)


class ColourHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_intent_name("MyColorIsIntent")(handler_input)

    def handle(self, handler_input):
        colour = get_slot_value(handler_input, "Color")
        attributes = handler_input.attributes_manager.session_attributes
        attributes["turns"] = attributes.get("turns", 0) + 1
        attributes["colour"] = colour
        if colour is None:
            return handler_input.response_builder.speak("Please name a colour.").ask("Which colour?").response
        return handler_input.response_builder.speak(f"{{colour}} it is. Goodbye!").set_should_end_session(True).response


class StopHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.StopIntent")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("<amazon:effect name='whispered'>Bye</amazon:effect>").response


class EndedHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.response


sb.add_request_handler(LaunchHandler())
sb.add_request_handler(ColourHandler())
sb.add_request_handler(StopHandler())
sb.add_request_handler(EndedHandler())
lambda_handler = sb.lambda_handler()
"""

#: ask-sdk-core's speak() wraps in <speak> but escapes nothing: "&" breaks the SSML.
BAD_SSML = """
from ask_sdk_core.skill_builder import SkillBuilder

sb = SkillBuilder()


@sb.request_handler(can_handle_func=lambda handler_input: True)
def answer(handler_input):
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    if intent is not None and intent.name == "BreathIntent":
        return handler_input.response_builder.speak("Breathe <amazon:breath/> in").ask("Again?").response
    return handler_input.response_builder.speak("Tom & Jerry are here").ask("Who?").response


lambda_handler = sb.lambda_handler()
"""

#: A raw handler: echoes what it got, returns what the event's intent asks for.
RAW = """
import json


def lambda_handler(event, context):
    request = event["request"]
    if request["type"] == "SessionEndedRequest":
        return {"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": "too late"}}}
    slots = request.get("intent", {}).get("slots", {})
    keep = "Keep" in slots
    text = "x" * 8001 if "Long" in slots else "ok"
    response = {"outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": False}
    if "Big" in slots:
        response["card"] = {"type": "Simple", "title": "big", "content": "y" * 7000}
        response["directives"] = [{"type": "Dialog.Delegate", "pad": "z" * 20000}]
    answer = {"version": "1.0", "response": response}
    if keep or request["type"] == "LaunchRequest":
        answer["sessionAttributes"] = {"seen": event["session"]["attributes"].get("seen", 0) + 1}
    return answer
"""

#: Calls Alexa's service API at the envelope's apiEndpoint.
CALLER = """
import json
import urllib.error
import urllib.request


def lambda_handler(event, context):
    system = event["context"]["System"]
    request = urllib.request.Request(system["apiEndpoint"] + "/v1/directives", data=b"{}", method="POST",
                                     headers={"Authorization": "Bearer " + system["apiAccessToken"]})
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    return {"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": f"status {status}"}}}
"""


def session(account, function, **options) -> AlexaSession:
    return AlexaSession(account, function, api_endpoint=AlexaServiceAPI.of(account).url, **options)


def test_an_ask_sdk_skill_keeps_its_session_attributes_across_turns(account):
    account.register("skill", SKILL)
    talk = session(account, "skill", skill_id=SKILL_ID)
    first = talk.launch()
    assert first.problems == [] and first.speech == "Welcome! What is your favourite colour?"
    assert first.reprompt == "Which colour do you like?" and not first.ended
    assert first.session_attributes == {"turns": 1}
    second = talk.say("MyColorIsIntent", Color="blue")
    assert second.speech == "blue it is. Goodbye!" and second.ended and second.problems == []
    assert second.session_attributes == {"turns": 2, "colour": "blue"}
    one, two = (t.request for t in talk.turns)
    assert one["version"] == "1.0" and one["request"]["type"] == "LaunchRequest"
    assert (one["session"]["new"], one["session"]["attributes"]) == (True, {})
    assert (two["session"]["new"], two["session"]["attributes"]) == (False, {"turns": 1})
    assert one["session"]["sessionId"] == two["session"]["sessionId"]
    assert one["request"]["requestId"] != two["request"]["requestId"]
    assert (
        one["session"]["application"]["applicationId"]
        == SKILL_ID
        == one["context"]["System"]["application"]["applicationId"]
    )
    assert two["request"]["locale"] == "en-US" and two["request"]["intent"]["name"] == "MyColorIsIntent"
    with pytest.raises(SessionEndedError, match="shouldEndSession"):
        talk.say("MyColorIsIntent", Color="red")
    assert len(account.invocation_records("skill")) == 2  # no SessionEndedRequest after the skill ended it


def test_slots_carry_values_and_resolutions_and_unfilled_ones_have_no_value(account):
    account.register("skill", SKILL)
    talk = session(account, "skill", skill_id=SKILL_ID)
    turn = talk.say("MyColorIsIntent", Color=None)
    assert turn.speech == "Please name a colour." and not turn.ended
    assert turn.request["session"]["new"] is True  # a one-shot request opens the session
    assert turn.request["request"]["intent"]["slots"]["Color"] == {"name": "Color", "confirmationStatus": "NONE"}
    filled = talk.say("MyColorIsIntent", Color="green")
    slot = filled.request["request"]["intent"]["slots"]["Color"]
    assert slot["value"] == "green"
    (authority,) = slot["resolutions"]["resolutionsPerAuthority"]
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"]["name"] == "green"


def test_a_skill_for_another_skill_id_fails_and_alexa_ends_the_session_with_an_error(account):
    account.register("skill", SKILL)
    talk = session(account, "skill")  # a fresh skill id: ask-sdk's skill id check refuses it
    turn = talk.launch()
    assert turn.ended and turn.problems and "failed" in turn.problems[0]
    ended = talk.turns[-1]
    assert ended.request["request"]["type"] == "SessionEndedRequest"
    assert ended.request["request"]["reason"] == "ERROR"
    with pytest.raises(SessionEndedError):
        talk.end()


def test_bad_ssml_is_a_problem_alexa_will_not_speak(account):
    account.register("bad", BAD_SSML)
    turn = session(account, "bad").launch()
    assert any("not well-formed XML" in p and "&amp;" in p for p in turn.problems), turn.problems
    assert turn.ended  # Alexa gives up on the session
    other = session(account, "bad").say("BreathIntent")
    assert any("tags Alexa does not support: <amazon:breath>" in p for p in other.problems)


def test_card_fields_by_type():
    from lambda_magic.sources.alexa import card_problems

    assert card_problems({"type": "Simple", "title": "Order", "content": "1 coffee"}) == []
    assert card_problems({"type": "LinkAccount"}) == []
    assert card_problems({"type": "Simple"}) == ["a Simple card needs title and content"]
    standard = {"type": "Standard", "title": "Cat", "text": "a cat", "image": {"smallImageUrl": "http://x/cat.png"}}
    assert card_problems(standard) == ["response.card.image.smallImageUrl must be an https:// URL"]
    assert card_problems({"type": "Simple", "title": "t", "image": {}}) == [
        "only a Standard card has an image, not a Simple card"
    ]


def test_the_ssml_rules():
    assert (
        ssml_problems("<speak>Hello <break time='1s'/> <amazon:effect name='whispered'>there</amazon:effect></speak>")
        == []
    )
    assert ssml_problems("<speak>a</speak><speak>b</speak>") == [
        "outputSpeech.ssml must be one <speak> element with everything inside it"
    ]
    assert "not well-formed" in ssml_problems("<speak><p>open</speak>")[0]
    assert ssml_problems("<speak><speak>twice</speak></speak>") == ["outputSpeech.ssml has a <speak> inside <speak>"]
    assert "DOCTYPE" in ssml_problems("<!DOCTYPE x [<!ENTITY a 'b'>]><speak>&a;</speak>")[0]


def test_end_sends_the_session_ended_request_and_its_answer_is_ignored(account):
    account.register("raw", RAW)
    talk = session(account, "raw")
    assert talk.launch().session_attributes == {"seen": 1}
    kept = talk.say("KeepIntent", Keep="yes")
    assert kept.request["session"]["attributes"] == {"seen": 1} and kept.session_attributes == {"seen": 2}
    lost = talk.say("PlainIntent")
    assert lost.request["session"]["attributes"] == {"seen": 2} and lost.session_attributes == {}
    after = talk.say("KeepIntent", Keep="yes")
    assert after.request["session"]["attributes"] == {}  # attributes not returned are lost
    ended = talk.end("EXCEEDED_MAX_REPROMPTS")
    assert ended.request["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS" and ended.ended
    assert ended.problems == ["a SessionEndedRequest cannot be answered with speech or a card; Alexa ignores them"]


def test_speech_and_response_size_limits(account):
    account.register("raw", RAW)
    long = session(account, "raw").say("LongIntent", Long="yes")
    assert any("8001 characters; Alexa allows 8000" in p for p in long.problems)
    big = session(account, "raw").say("BigIntent", Big="yes")
    assert any("(24 KB)" in p for p in big.problems)


def test_the_api_endpoint_is_loopback_and_answers_not_emulated(account):
    account.register("caller", CALLER)
    turn = session(account, "caller").launch()
    assert turn.request["context"]["System"]["apiEndpoint"].startswith("http://127.0.0.1:")
    assert turn.speech == "status 501"
    assert AlexaServiceAPI.of(account).calls == [("POST", "/v1/directives")]


def test_the_transcript_shows_both_sides(account):
    account.register("skill", SKILL)
    view = SessionView(session(account, "skill", skill_id=SKILL_ID))
    assert "no turns yet" in view._repr_html_()
    view.launch()
    view.say("AMAZON.StopIntent")
    html, text = view._repr_html_(), repr(view)
    assert "Welcome! What is your favourite colour?" in html and "(opens the skill)" in html
    assert "user: AMAZON.StopIntent" in text and "Alexa: 'Bye'" in text
    assert view.attributes == {"turns": 1}


def test_lm_alexa_session_on_the_default_account():
    import lambda_magic as lm

    lm.reset()
    try:
        lm.register("skill", SKILL)
        talk = lm.alexa.session("skill", skill_id=SKILL_ID)
        assert talk.launch().speech == "Welcome! What is your favourite colour?"
        assert talk.say("MyColorIsIntent", Color="teal").ended
        assert talk.ended and len(talk.turns) == 2
        assert lm.invocations("skill")["trigger"].tolist() == [f"alexa:{SKILL_ID}"] * 2
        with pytest.raises(lm.InvalidParameterValueException, match=r"starts with 'amzn1\.ask\.skill\.'"):
            lm.alexa.session("skill", skill_id="my-skill")
    finally:
        lm.reset()
        lm.account().shutdown()
