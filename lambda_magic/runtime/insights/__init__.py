"""CloudWatch Logs Insights, locally: the query language over an account's log events.

``run_query(query, events)`` parses the query (a ``MalformedQueryException`` names the
token it stopped at), discovers the fields CloudWatch discovers in each event (see
:mod:`.fields`) and runs the commands: ``fields``, ``display``, ``filter``, ``parse``,
``stats ... by``, ``sort``, ``limit`` and ``dedup``.
"""

from __future__ import annotations

from .evaluate import DEFAULT_LIMIT, QueryResult, run_query
from .functions import Timestamp
from .lexer import MalformedQueryException
from .logs import query_account

__all__ = ["DEFAULT_LIMIT", "MalformedQueryException", "QueryResult", "Timestamp", "query_account", "run_query"]
