"""The CPU share from the magics: ``%%lambda NAME --cpu-share off`` and ``%config LambdaMagic.cpu_share``."""

import pytest
from IPython.core.error import UsageError

import lambda_magic as lm

CODE = "def lambda_handler(event, context):\n    return 1\n"


def test_a_function_can_turn_the_share_off_and_the_invocation_says_so(shell):
    shell.run_cell_magic("lambda", "free --cpu-share off --memory 128", CODE)
    assert lm.account().get_function("free").config.cpu_share == "off"
    assert lm.invoke("free").cpu_share == "off (cpu_share is off)"
    shell.run_cell_magic("lambda", "metered --memory 256", CODE)
    assert lm.account().get_function("metered").config.cpu_share is None  # the account's setting: on
    share = lm.invoke("metered").cpu_share
    assert share.startswith("0.145 vCPU (") or share.startswith("off ("), share  # "off (why)" where nothing can limit
    with pytest.raises(UsageError, match="--cpu-share: invalid choice: 'maybe'"):
        shell.run_cell_magic("lambda", "bad --cpu-share maybe", CODE)


def test_config_turns_it_off_for_the_kernel(shell):
    try:
        shell.run_line_magic("config", "LambdaMagic.cpu_share = 'off'")
        assert lm.account().settings.cpu_share == "off"
        shell.run_cell_magic("lambda", "plain", CODE)
        assert lm.invoke("plain").cpu_share == "off (cpu_share is off)"
    finally:
        shell.run_line_magic("config", "LambdaMagic.cpu_share = 'on'")
    assert lm.account().settings.cpu_share == "on"
