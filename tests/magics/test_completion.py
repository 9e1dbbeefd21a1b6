"""Tab completion in %lambda and %%lambda, through IPython's own completer (as a frontend asks for it)."""

import pytest
from IPython.core.completer import provisionalcompleter

import lambda_magic as lm
from lambda_magic.magics.completion import MATCHER_ID

HANDLER = "def lambda_handler(event, context):\n    return 1\n"


def completions(shell, text, cursor=None):
    """What JupyterLab's Tab would offer: ``(text, replaced fragment)`` pairs."""
    cursor = len(text) if cursor is None else cursor
    with provisionalcompleter():
        found = list(shell.Completer.completions(text, cursor))
    return [(c.text, text[c.start : c.end]) for c in found]


def texts(shell, text, cursor=None):
    return [value for value, _ in completions(shell, text, cursor)]


@pytest.fixture
def functions(shell):
    lm.register("hello", HANDLER)
    lm.register("help-desk", HANDLER)
    lm.register("orders", HANDLER)


def test_verbs_after_the_magic(shell):
    assert texts(shell, "%lambda inv") == ["invocations", "invoke"]
    everything = texts(shell, "%lambda ")
    assert {"invoke", "logs", "configure-async", "templates", "reset"} <= set(everything)
    assert completions(shell, "%lambda configure-a") == [("configure-async", "configure-a")]


def test_function_names_after_verbs_that_take_one(shell, functions):
    for verb in (
        "invoke",
        "logs",
        "invocations",
        "delete",
        "builder",
        "publish",
        "alias",
        "concurrency",
        "provision",
        "load",
        "trigger",
        "configure-async",
        "timeline",
        "metrics",
    ):
        assert texts(shell, f"%lambda {verb} he") == ["hello", "help-desk"], verb
    assert texts(shell, "%lambda invoke ") == ["hello", "help-desk", "orders"]
    assert texts(shell, "res = %lambda invoke or") == ["orders"]  # assigned, as in the README


def test_no_function_name_where_the_verb_takes_none(shell, functions):
    assert not {"hello", "help-desk"} & set(texts(shell, "%lambda list he"))
    assert not {"hello", "orders"} & set(texts(shell, "%lambda invoke hello "))  # the event comes next


def test_template_ids_and_their_parameters(shell, functions):
    assert texts(shell, "%lambda invoke hello --template s3/p") == ["s3/put"]
    ids = texts(shell, "%lambda invoke hello --template ")
    assert "sqs/receive-message" in ids and "apigateway/aws-proxy" in ids
    assert completions(shell, "%lambda event sqs/rec") == [
        ("sqs/receive-message", "sqs/rec"),
        ("sqs/receive-message-fifo", "sqs/rec"),
    ]
    assert "records=" in texts(shell, "%lambda invoke hello --template sqs/receive-message --param ")
    assert texts(shell, "%lambda load hello --count 3 --template sqs/receive-message --param reco") == ["records="]


def test_notebook_variables_for_the_event(shell, functions):
    shell.user_ns.update(order_event={"id": 1}, order_context={"custom": {}})
    assert completions(shell, "%lambda invoke orders $order_e") == [("$order_event", "$order_e")]
    assert "$order_context" in texts(shell, "%lambda invoke orders --client-context $order")


def test_each_verb_offers_its_own_options(shell, functions):
    assert texts(shell, "%lambda invoke hello --t") == ["--template", "--type"]
    assert texts(shell, "%lambda logs hello --") == ["--filter", "--help", "--request-id", "--tail"]
    assert "--count" in texts(shell, "%lambda load hello --")
    assert "--count" not in texts(shell, "%lambda invoke hello --")
    assert texts(shell, "%lambda invoke hello --type ") == ["DryRun", "Event", "RequestResponse"]
    assert texts(shell, "%lambda configure-async hello --on-failure or") == ["orders"]
    assert texts(shell, "%lambda logs hello --tail 5 --") == ["--filter", "--help", "--request-id"]  # used once


def test_cell_magic_options_and_values(shell, functions):
    assert texts(shell, "%%lambda orders --mem") == ["--memory"]
    assert texts(shell, "%%lambda or") == ["orders"]  # re-registering an existing function
    assert texts(shell, "%%lambda orders --isolation ") == ["inline", "process"]
    assert "WARN" in texts(shell, "%%lambda orders --log-format JSON --log-level ")
    code = "%%lambda orders --time\n" + HANDLER
    assert texts(shell, code, cursor=len("%%lambda orders --time")) == ["--timeout"]


def test_ordinary_code_is_left_to_python(shell, functions):
    shell.user_ns["invoke_me"] = 1
    assert "invoke_me" in texts(shell, "invoke_m")
    assert all(kind != "function" for kind in texts(shell, "print(he"))  # our names only inside the magic
    code = "%%lambda orders\ndef lambda_handler(event, context):\n    return invoke_m"
    assert "invoke_me" in texts(shell, code)


@pytest.mark.filterwarnings("ignore:`Completer.complete` is pending deprecation:PendingDeprecationWarning")
def test_the_classic_complete_call_sees_it_too(shell, functions):
    # ipykernel's non-experimental path: shell.complete(text, line, cursor)
    assert shell.complete("", "%lambda delete or", 17) == ("or", ["orders"])


def test_one_matcher_after_loading_twice(shell):
    shell.run_line_magic("load_ext", "lambda_magic")  # already loaded: IPython does nothing
    from lambda_magic.magics import _remove_matcher, load

    ours = [m for m in shell.Completer.custom_matchers if getattr(m, "matcher_identifier", None) == MATCHER_ID]
    assert len(ours) == 1
    removed = list(shell.Completer.custom_matchers)
    _remove_matcher(shell.Completer)
    assert texts(shell, "%lambda inv") != ["invocations", "invoke"]  # the test fails when not wired
    shell.Completer.custom_matchers[:] = removed
    assert texts(shell, "%lambda inv") == ["invocations", "invoke"]
    assert callable(load)
