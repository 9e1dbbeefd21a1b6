"""The cost guard: deploys and invokes counted; past max_calls the next asks or is refused, sending nothing."""

from __future__ import annotations

import pytest

from lambda_magic.aws import CallGuard, CallLimitReached

from .helpers import HANDLER, make_account


def test_past_the_limit_a_refused_call_reaches_nothing(aws, moto):
    account = make_account(moto, region=aws.region, guard=CallGuard(1, ask=None))
    account.register("hello", HANDLER)
    sent = []
    account.client("lambda").meta.events.register("before-call.lambda.*", lambda model, **kw: sent.append(model.name))
    with pytest.raises(CallLimitReached, match=r"refused invoke hello: 1 AWS calls made, max_calls=1"):
        account.invoke("hello")
    with pytest.raises(CallLimitReached, match="refused deploy hello"):
        account.register("hello", HANDLER + "# changed\n")
    assert sent == []


def test_past_the_limit_yes_makes_one_more_call_and_no_refuses():
    answers = iter(["yes", "no"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    guard = CallGuard(0, ask=ask)
    guard.check("invoke a")
    with pytest.raises(CallLimitReached, match="the answer was not yes"):
        guard.check("invoke b")
    assert guard.used == 1
    assert prompts[0] == "0 AWS calls made, max_calls=0. Make one more (invoke a)? [yes/no] "


def test_no_one_to_answer_is_a_refusal():
    def ask(prompt: str) -> str:
        raise EOFError

    with pytest.raises(CallLimitReached):
        CallGuard(0, ask=ask).check("deploy x")


def test_a_bad_limit_is_one_line():
    with pytest.raises(Exception, match="max_calls must be a whole number"):
        CallGuard(-1)


def test_many_calls_at_once_ask_once_and_count_all():
    questions = []
    guard = CallGuard(max_calls=3, ask=lambda q: questions.append(q) or "yes")
    guard.check_many(2, "two")
    assert (guard.used, questions) == (2, [])
    guard.check_many(12, "power tuning f: 12 versions and invokes")
    assert guard.used == 14
    assert questions == [
        "2 AWS calls made, max_calls=3. Make 12 more (power tuning f: 12 versions and invokes)? [yes/no] "
    ]
    refusing = CallGuard(max_calls=3, ask=lambda q: "no")
    with pytest.raises(
        CallLimitReached, match="refused tuning: 0 AWS calls made, max_calls=3, and the answer was not yes"
    ):
        refusing.check_many(4, "tuning")
    assert refusing.used == 0
