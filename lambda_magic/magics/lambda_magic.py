"""``%%lambda NAME [options]`` registers a function; ``%lambda VERB ...`` does the rest.

A thin shell: parse the line, call the account, return something to display.
Every user mistake becomes a one-line ``UsageError``; errors raised by the
handler are never exceptions here, they are data on the invocation.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Enum, Float, Int, TraitError, Unicode, observe, validate
from traitlets.config import Configurable

from .. import api
from ..common import limits
from ..common.errors import InvocationInterrupted, LambdaMagicError
from .parsing import HelpShown, VerbParser, parse_key_values, split_args
from .verbs_backend import BACKEND_VERBS, BackendVerbs
from .verbs_cloud import CloudVerbs
from .verbs_debug import DEBUG_VERBS, DebugVerbs
from .verbs_endpoints import ENDPOINT_VERBS, EndpointVerbs
from .verbs_export import EXPORT_VERBS, ExportVerbs
from .verbs_functions import FunctionVerbs
from .verbs_scaling import ScalingVerbs
from .verbs_tuning import TUNING_VERBS, TuningVerbs
from .verbs_xray import XRAY_VERBS, XRayVerbs

VERBS = {
    "invoke": "invoke a function: %lambda invoke NAME [EVENT | $var | --event-file F | --template ID --param K=V]",
    "templates": "the event templates (of one SERVICE) as a DataFrame",
    "event": "build an event from a template: %lambda event ID [--param K=V ...] [--seed N]",
    "builder": "the event builder widget (for function NAME)",
    "configure-async": "retries, maximum event age and destinations of Event invocations",
    "concurrency": "reserve concurrency for a function: %lambda concurrency NAME N|none",
    "publish": "publish $LATEST as a numbered version",
    "alias": "point an alias at a version: %lambda alias NAME ALIAS VERSION [--routing V=W]",
    "provision": "provisioned concurrency: %lambda provision NAME QUALIFIER N",
    "load": "a load run: %lambda load NAME --count N --concurrency C [--template ID] [--type Event]",
    "timeline": "the timeline picture of environments, cold starts, retries and concurrency",
    "metrics": "CloudWatch-style metrics per period as a DataFrame",
    "queue": "where every asynchronous event is (queued, running, waiting to retry, finished)",
    "clock": "show or set the account clock: %lambda clock [auto|real|scaled|manual] [--scale X] [--advance S]",
    "cloud": "the local cloud (moto): its address and the queues, streams, tables, buckets and topics in it",
    "trigger": "let a service call a function (s3:, sns:, events:, schedule:, logs:, codecommit:) or feed it "
    "from a queue or stream (sqs:, kinesis:, dynamodb:): %lambda trigger NAME KIND:RESOURCE",
    "triggers": "every event source mapping and its poller's state (lm.event_source_mappings() for a DataFrame)",
    "list": "the registered functions as a DataFrame",
    "invocations": "every invocation (of NAME) as a DataFrame",
    "logs": "log events (of NAME) as a DataFrame: --request-id ID, --tail N, --filter PATTERN",
    "insights": "a CloudWatch Logs Insights query as a DataFrame: %lambda insights [--group G] QUERY | $var",
    "delete": "delete a function and end its environments: %lambda delete NAME",
    "wait": "wait until every queued Event invocation has run",
    "reset": "forget every function, environment, invocation and log",
    **ENDPOINT_VERBS,
    **XRAY_VERBS,
    **BACKEND_VERBS,
    **TUNING_VERBS,
    **EXPORT_VERBS,
    **DEBUG_VERBS,
}
_SETTING_FOR_TRAIT = {
    "memory": "memory_mb",
    "timeout": "timeout_s",
    "region": "region",
    "account": "account_id",
    "isolation": "isolation",
    "idle_timeout": "idle_timeout_s",
    "cloud_endpoint": "cloud_endpoint",
    "retained_invocations": "retained_invocations",
    "retained_log_events": "retained_log_events",
    "cpu_share": "cpu_share",
}


def _usage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's LambdaMagicErrors into one-line UsageErrors; ``--help`` ends quietly; an
    interrupted invoke (recorded, its environment stopped) is one line too, not a traceback."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except HelpShown:
            return None
        except LambdaMagicError as exc:
            raise UsageError(str(exc)) from None
        except InvocationInterrupted as exc:
            raise UsageError(str(exc)) from None

    return wrapper


@magics_class
class LambdaMagic(
    Magics,
    Configurable,
    FunctionVerbs,
    ScalingVerbs,
    CloudVerbs,
    EndpointVerbs,
    TuningVerbs,
    XRayVerbs,
    BackendVerbs,
    ExportVerbs,
    DebugVerbs,
):
    """The ``%lambda`` / ``%%lambda`` magics; configure with ``%config LambdaMagic.<name>``."""

    memory = Int(limits.MEMORY_DEFAULT_MB, help="Memory (MB) of new functions: 128-10240.").tag(config=True)
    timeout = Int(limits.TIMEOUT_DEFAULT_S, help="Timeout (s) of new functions: 1-900.").tag(config=True)
    region = Unicode("us-east-1", help="Region of the local account (ARNs, AWS_REGION).").tag(config=True)
    account = Unicode("123456789012", help="12-digit id of the local account.").tag(config=True)
    isolation = Enum(["process", "inline"], "process", help="Isolation of new functions.").tag(config=True)
    idle_timeout = Float(600.0, help="Seconds before an idle execution environment is reaped.").tag(config=True)
    cloud_endpoint = Unicode(
        None, allow_none=True, help="Another AWS-compatible endpoint instead of the embedded moto server."
    ).tag(config=True)
    retained_invocations = Int(
        10_000,
        allow_none=True,
        help="Invocation records kept in full (older ones are "
        "dropped and counted; metrics stay exact); None keeps all.",
    ).tag(config=True)
    retained_log_events = Int(
        100_000, allow_none=True, help="Log events kept, like a log group's retention; None keeps all."
    ).tag(config=True)
    cpu_share = Enum(
        ["on", "off"], "on", help="CPU in proportion to memory as on Lambda (1 vCPU at 1,769 MB), or off."
    ).tag(config=True)
    aws_max_calls = Int(
        None, allow_none=True, help="Deploys and invokes the AWS backend may send before each next one asks."
    ).tag(config=True)
    _aws_max_calls_observer = observe("aws_max_calls")(BackendVerbs._apply_aws_max_calls)

    def __init__(self, shell: Any = None, **kwargs: Any):
        Configurable.__init__(self, config=shell.config if shell is not None else None)
        Magics.__init__(self, shell=shell, **kwargs)
        self._apply_settings(list(_SETTING_FOR_TRAIT))

    # --- configuration -------------------------------------------------------------------------

    @validate(*_SETTING_FOR_TRAIT)
    def _check_setting(self, proposal: Any) -> Any:
        name = proposal["trait"].name
        settings = api.local_account().settings
        try:
            replace(settings, **{_SETTING_FOR_TRAIT[name]: proposal["value"]}).validate()
        except LambdaMagicError as exc:
            raise TraitError(str(exc)) from None
        return proposal["value"]

    @observe(*_SETTING_FOR_TRAIT)
    def _setting_changed(self, change: Any) -> None:
        self._apply_settings([change["name"]])

    def _apply_settings(self, names: list[str]) -> None:
        api.local_account().configure(**{_SETTING_FOR_TRAIT[name]: getattr(self, name) for name in names})

    # --- the magic -----------------------------------------------------------------------------

    @no_var_expand
    @line_cell_magic("lambda")  # type: ignore[arg-type]  # IPython types the decorator for plain functions
    @_usage_errors
    def lambda_(self, line: str, cell: str | None = None) -> Any:
        """AWS Lambda in the notebook.

        Register a function (the cell is module ``lambda_function``)::

            %%lambda NAME [--handler lambda_handler] [--memory MB] [--timeout S] [--env KEY=VALUE ...]
                          [--runtime python3.12] [--architecture x86_64|arm64] [--description TEXT]
                          [--log-format Text|JSON] [--log-level LEVEL] [--isolation process|inline]
                          [--reserved-concurrency N] [--tracing PassThrough|Active] [--file PATH ...]
                          [--layer ARN ...] [--cpu-share on|off]

        ``--file utils.py`` adds a file or folder (written earlier, e.g. with ``%%writefile``) to
        the function's package, read when the cell runs; ``--layer`` adds a published layer.

        Everything else is a verb (each answers ``--help``)::

            %lambda invoke NAME [EVENT | $var] [--event-file F] [--type RequestResponse|Event|DryRun]
                               [--qualifier Q] [--client-context JSON] [-o VAR]
            %lambda invoke NAME --template ID [--param K=V ...]
            %lambda templates [SERVICE]
            %lambda event ID [--param K=V ...] [--seed N]
            %lambda builder [NAME]
            %lambda configure-async NAME [--max-retry-attempts N] [--max-event-age S]
                                    [--on-success DEST] [--on-failure DEST]
            %lambda concurrency NAME N|none
            %lambda publish NAME
            %lambda alias NAME ALIAS VERSION [--routing VERSION=WEIGHT]
            %lambda provision NAME QUALIFIER N
            %lambda load NAME --count N --concurrency C [--template ID --param K=V] [--type Event]
            %lambda timeline [NAME]
            %lambda metrics [NAME] [--period 1min]
            %lambda queue
            %lambda clock [auto|real|scaled|manual] [--scale X] [--advance SECONDS]
            %lambda cloud
            %lambda trigger NAME s3:BUCKET|sns:TOPIC|events:RULE|'schedule:EXPR'|logs:GROUP|codecommit:REPO
                            [--events E] [--prefix P] [--suffix S] [--filter-policy JSON] [--event-pattern JSON]
                            [--input JSON] [--filter-pattern P] [--branches B] [--id NAME]
            %lambda trigger NAME sqs:QUEUE|kinesis:STREAM|dynamodb:TABLE [--batch-size N] [--batching-window S]
                            [--starting-position P] [--report-batch-item-failures] [--bisect]
                            [--max-retry-attempts N] [--parallelization-factor N] [--on-failure ARN]
                            [--filter PATTERN ...]
            %lambda triggers
            %lambda api [NAME ['GET /items/{id}=FUNCTION' ...] [--rest] [--stage S] [--stage-variable K=V]
                        [--binary-media-types T ...] [--cors-origins O ...]]
            %lambda list
            %lambda invocations [NAME]
            %lambda logs [NAME] [--request-id ID] [--tail N] [--filter PATTERN]
            %lambda insights [--group G ...] [--start T] [--end T] [--limit N] QUERY | $var
            %lambda traces [NAME]
            %lambda trace [TRACE_ID]
            %lambda delete NAME
            %lambda wait [--timeout S]
            %lambda reset
            %lambda debug [REQUEST_ID] [--commands 'p x; w; q']

        Tab completes the verbs, function names, template ids (and their ``--param``
        names), each verb's options and their choices.  Kernel > Interrupt during an
        invoke stops its environment and records it with status ``interrupted``.

        Defaults: ``%config LambdaMagic.memory = 256`` (also timeout, region, account,
        isolation, idle_timeout).  Python API: ``import lambda_magic as lm``.
        """
        if cell is not None:
            return self._register(line, cell)
        verb, _, rest = line.strip().partition(" ")
        if not verb:
            raise UsageError("%lambda needs a verb: " + ", ".join(VERBS) + " (see %lambda?)")
        if verb in ("--help", "-h", "help"):
            print(self._verbs_help())
            return None
        method = getattr(self, f"_verb_{verb.replace('-', '_')}", None)
        if verb not in VERBS or method is None:
            close = difflib.get_close_matches(verb, VERBS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown verb {verb!r}: {hint}verbs are {', '.join(VERBS)} (see %lambda?)")
        return method(rest)

    @staticmethod
    def _verbs_help() -> str:
        width = max(map(len, VERBS))
        return "%lambda verbs:\n" + "\n".join(f"  {verb:<{width}}  {text}" for verb, text in VERBS.items())

    # --- %%lambda NAME -----------------------------------------------------------------------------

    def _parser_register(self) -> VerbParser:
        parser = VerbParser("%%lambda", "Register the cell as the code of function NAME.")
        parser.add_argument("name", help="function name: 1-64 letters, digits, '-' or '_'")
        parser.add_argument(
            "--handler",
            default="lambda_handler",
            help="function in the cell Lambda calls (or MODULE.FUNCTION of a --file module)",
        )
        parser.add_argument(
            "--file",
            action="append",
            default=[],
            metavar="PATH",
            dest="files",
            help="a file or folder (e.g. written with %%%%writefile) added to the package (repeatable)",
        )
        parser.add_argument(
            "--layer",
            action="append",
            default=[],
            metavar="ARN",
            dest="layers",
            help="a layer version ARN (from lm.publish_layer_version; repeatable)",
        )
        parser.add_argument("--memory", type=int, help="memory in MB (128-10240)")
        parser.add_argument("--timeout", type=int, help="timeout in seconds (1-900)")
        parser.add_argument(
            "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable (repeatable)"
        )
        parser.add_argument("--runtime", choices=limits.PYTHON_RUNTIMES, help="Lambda runtime name")
        parser.add_argument("--architecture", choices=limits.ARCHITECTURES, default="x86_64")
        parser.add_argument("--description", default="")
        parser.add_argument("--log-format", choices=limits.LOG_FORMATS, default="Text")
        parser.add_argument(
            "--log-level", help="application log level (JSON format only): " + ", ".join(limits.APPLICATION_LOG_LEVELS)
        )
        parser.add_argument("--isolation", choices=("process", "inline"))
        parser.add_argument(
            "--tracing", choices=("PassThrough", "Active"), default="PassThrough", help="X-Ray TracingConfig mode"
        )
        parser.add_argument(
            "--cpu-share",
            choices=("on", "off"),
            help="CPU in proportion to memory, as on Lambda (default: %%config LambdaMagic.cpu_share)",
        )
        parser.add_argument(
            "--reserved-concurrency", type=int, help="concurrency reserved for (and limiting) the function"
        )
        return parser

    def _register(self, line: str, cell: str) -> Any:
        from ..display.cell_lines import current_cell, note_cell
        from ..display.panels import FunctionPanel

        args = self._parser_register().parse(split_args(line))
        if not cell.strip():
            raise UsageError(f"the cell is empty: write the handler's code below %%lambda {args.name}")
        account = api.account()
        existed = any(function.name == args.name for function in account.list_functions())
        function = api.register(
            args.name,
            cell,
            handler=args.handler,
            files=args.files or None,
            layers=args.layers,
            memory_mb=args.memory,
            timeout_s=args.timeout,
            env=parse_key_values(args.env, "--env"),
            runtime=args.runtime,
            architecture=args.architecture,
            description=args.description,
            log_format=args.log_format,
            log_level=args.log_level,
            isolation=args.isolation,
            reserved_concurrency=args.reserved_concurrency,
            tracing=args.tracing,
            cpu_share=args.cpu_share,
        )
        note_cell(account.presenter, function.name, cell, current_cell(self.shell))  # tracebacks: In[N]
        return FunctionPanel(function, updated=existed)

    # --- verbs ---------------------------------------------------------------------------------------
