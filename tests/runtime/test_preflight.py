"""Registration reads the code and says what the first invoke will answer (it still registers)."""

import textwrap
import warnings

import pytest

from lambda_magic.runtime.preflight import check_code


def code(text):
    return textwrap.dedent(text).lstrip("\n")


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_syntax_error_warning_is_what_the_invoke_answers(account, isolation):
    function = account.register(
        "broken",
        code("""
        import json

        def lambda_handler(event, context)
            return 1
    """),
        isolation=isolation,
    )
    (warning,) = function.warnings
    invocation = account.invoke("broken")
    assert invocation.error_type == warning.error_type == "Runtime.UserCodeSyntaxError"
    assert invocation.error_message == warning.error_message
    assert (warning.line, warning.text) == (3, "def lambda_handler(event, context)")
    assert str(warning) == (
        "the first invoke will answer Runtime.UserCodeSyntaxError: Syntax error in module 'lambda_function': "
        "expected ':' (lambda_function.py, line 3)\n    def lambda_handler(event, context)"
    )


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_missing_handler_warning_is_what_the_invoke_answers(account, isolation):
    function = account.register("misnamed", "def handler(event, context):\n    return 1\n", isolation=isolation)
    (warning,) = function.warnings
    invocation = account.invoke("misnamed")
    assert invocation.error_type == warning.error_type == "Runtime.HandlerNotFound"
    assert (
        invocation.error_message
        == warning.error_message
        == "Handler 'lambda_handler' missing on module 'lambda_function'"
    )
    assert warning.line is None
    assert repr(function).endswith(  # what lm.register shows in a notebook
        "\n  Warning: the first invoke will answer Runtime.HandlerNotFound: "
        "Handler 'lambda_handler' missing on module 'lambda_function'"
    )


def test_the_handler_setting_is_the_name_looked_for(account):
    assert account.register("main", "def main(event, context):\n    return 1\n", handler="main").warnings == ()
    (warning,) = account.register("other", "def main(event, context):\n    return 1\n", handler="go").warnings
    assert warning.error_message == "Handler 'go' missing on module 'lambda_function'"


def test_compiler_errors_beyond_the_parser(account):
    function = account.register("ret", "x = 1\nreturn x\n", isolation="inline")
    (warning,) = function.warnings
    assert warning.error_message == account.invoke("ret").error_message
    assert "'return' outside function" in warning.error_message
    assert (warning.line, warning.text) == (2, "return x")


BOUND = {
    "def": "def lambda_handler(event, context):\n    return 1\n",
    "async def": "async def lambda_handler(event, context):\n    pass\n",
    "assignment": "def make():\n    return lambda e, c: 1\nlambda_handler = make()\n",
    "tuple assignment": "lambda_handler, other = (lambda e, c: 1), 2\n",
    "annotated": "from typing import Callable\nlambda_handler: Callable = print\n",
    "class": "class lambda_handler:\n    def __init__(self, e, c):\n        pass\n",
    "import as": "from os import getcwd as lambda_handler\n",
    "import": "import lambda_handler\n",
    "if branch": "import os\nif os.environ.get('X'):\n    def lambda_handler(e, c):\n        return 1\nelse:\n    lambda_handler = None\n",
    "try": "try:\n    from fastapi import FastAPI\nexcept ImportError:\n    pass\nelse:\n    lambda_handler = FastAPI\n",
    "except name": "try:\n    1 / 0\nexcept ZeroDivisionError as lambda_handler:\n    pass\n",
    "with": "import contextlib\nwith contextlib.nullcontext(print) as lambda_handler:\n    pass\n",
    "for": "for lambda_handler in [print]:\n    pass\n",
    "walrus": "if (lambda_handler := print):\n    pass\n",
    "decorated": "import functools\n@functools.lru_cache\ndef lambda_handler(e, c):\n    return 1\n",
    "match": "match [print]:\n    case [lambda_handler]:\n        pass\n",
}
DYNAMIC = {
    "globals()": "globals()['lambda_handler'] = lambda e, c: 1\n",
    "star import": "from handlers import *\n",
    "global in a function": "def setup():\n    global lambda_handler\n    lambda_handler = print\nsetup()\n",
    "setattr on the module": "import sys\nsetattr(sys.modules[__name__], 'lambda_handler', print)\n",
    "exec": "exec('def lambda_handler(e, c): return 1')\n",
    "module dict": "import sys\nsys.modules[__name__].__dict__.update(lambda_handler=print)\n",
    "vars()": "vars().update(lambda_handler=print)\n",
    "module __getattr__": "def __getattr__(name):\n    return lambda event, context: name\n",
}


@pytest.mark.parametrize("source", list(BOUND.values()) + list(DYNAMIC.values()), ids=list(BOUND) + list(DYNAMIC))
def test_no_false_warning(source):
    assert check_code(source, "lambda_handler") == ()


def test_the_dynamic_cases_really_bind_the_handler(account):
    """What the check cannot follow does work at invoke: a warning there would be wrong."""
    for label in (
        "globals()",
        "global in a function",
        "setattr on the module",
        "exec",
        "module dict",
        "module __getattr__",
    ):
        account.register("dyn", DYNAMIC[label], isolation="inline")
        assert account.invoke("dyn").error_type != "Runtime.HandlerNotFound", label


MISSING = {
    "no code for it": "def handler(event, context):\n    return 1\n",
    "only inside a function": "def setup():\n    lambda_handler = print\n    return lambda_handler\n",
    "only in a class body": "class App:\n    lambda_handler = print\n",
    "only a lambda's argument": "f = lambda lambda_handler: lambda_handler\n",
    "annotation alone": "lambda_handler: object\n",
    "only a string": "'lambda_handler'\n# lambda_handler = print\n",
}


@pytest.mark.parametrize("source", list(MISSING.values()), ids=list(MISSING))
def test_missing_handler_is_seen(source, account):
    (warning,) = check_code(source, "lambda_handler")
    assert warning.error_type == "Runtime.HandlerNotFound"
    account.register("missing", source, isolation="inline")
    assert account.invoke("missing").error_type == "Runtime.HandlerNotFound"


def test_registration_prints_no_syntax_warnings(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_code('PATTERN = "\\d+"\ndef lambda_handler(e, c):\n    return 1\n', "lambda_handler") == ()
    assert capsys.readouterr() == ("", "")


def test_published_versions_keep_the_warning(account):
    account.register("v", "def handler(event, context):\n    return 1\n")
    version = account.publish_version("v")
    assert [w.error_type for w in version.warnings] == ["Runtime.HandlerNotFound"]
