"""Lambda's quotas and fixed values, in one place (see lambda-semantics.md §10)."""

from __future__ import annotations

MEMORY_MIN_MB = 128
MEMORY_MAX_MB = 10_240
MEMORY_DEFAULT_MB = 128
TIMEOUT_MIN_S = 1
TIMEOUT_MAX_S = 900
TIMEOUT_DEFAULT_S = 3
ENVIRONMENT_MAX_BYTES = 4 * 1024
FUNCTION_NAME_MAX = 64
DESCRIPTION_MAX = 256

#: Init phase limit for on-demand functions; past it the init is retried inside the invoke.
INIT_TIMEOUT_S = 10.0

SYNC_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024  # 6,291,456
ASYNC_PAYLOAD_MAX_BYTES = 1024 * 1024
RESPONSE_MAX_BYTES = 6_291_556
CLIENT_CONTEXT_MAX_BYTES = 3_583

PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("x86_64", "arm64")
LOG_FORMATS = ("Text", "JSON")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")

#: Variables Lambda sets itself; a function may not define them (DG: configuration-envvars).
RESERVED_ENVIRONMENT_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

#: CloudWatch Logs: "Each log event can be no larger than 1 MB" (PutLogEvents / InputLogEvent, raised from
#: 256 KB in April 2025); a batch counts each event's UTF-8 message plus 26 bytes, within 1,048,576 bytes.
LOG_EVENT_MAX_BYTES = 1024 * 1024
LOG_EVENT_OVERHEAD_BYTES = 26
#: The longest message one event holds; Lambda splits a longer line into consecutive events of this size.
LOG_EVENT_MESSAGE_MAX_BYTES = LOG_EVENT_MAX_BYTES - LOG_EVENT_OVERHEAD_BYTES
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
#: "The default application log level for log filtering is INFO" and "By default, Lambda sets the system
#: log level to INFO" (DG: monitoring-cloudwatchlogs-log-level): what JSON format without levels gets.
DEFAULT_JSON_LOG_LEVEL = "INFO"
