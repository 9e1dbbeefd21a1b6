"""``%lambda power-tune NAME [EVENT | $var] ...``."""

import pytest
from IPython.core.error import UsageError

import lambda_magic as lm

CODE = "def lambda_handler(event, context):\n    return event\n"


def test_power_tune_runs_the_sizes_and_keeps_the_result(shell):
    shell.run_cell_magic("lambda", "echo --memory 320", CODE)
    shell.user_ns["payload"] = {"k": 1}
    result = shell.run_line_magic(
        "lambda", "power-tune echo $payload --memory 128,1024 --num 5 --strategy speed -o tuned"
    )
    assert shell.user_ns["tuned"] is result
    assert list(result.frame["memory_mb"]) == [128, 1024] and result.strategy == "speed"
    assert set(lm.invocations("echo")["memory_size_mb"]) == {128, 1024}
    assert lm.account().get_function("echo").config.memory_mb == 320


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("power-tune echo --memory 128,big", "--memory '128,big': give sizes in MB separated by commas"),
        ("power-tune echo --num 3", "num=3: power tuning needs at least 5 invocations per memory size"),
        ("power-tune echo --strategy cheapest", "argument --strategy: invalid choice: 'cheapest'"),
        ("power-tune nobody", "Function not found"),
    ],
)
def test_bad_lines_are_one_line_errors(shell, line, message):
    shell.run_cell_magic("lambda", "echo", CODE)
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("lambda", line)
    assert len(lm.invocations("echo")) == 0
