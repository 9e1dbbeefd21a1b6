"""Response contracts: what the calling service does with a function's answer.

Some event sources read what the function returns: API Gateway (proxy
integrations and Lambda authorizers), the SQS, Kinesis and DynamoDB Streams
event source mappings (partial batch responses), Cognito triggers and Alexa.
Two asynchronous callers ignore the return value and wait for an answer sent
another way: CloudFormation custom resources (a document PUT to
``ResponseURL``) and CodePipeline (a ``PutJobSuccessResult`` or
``PutJobFailureResult`` call).  :func:`check_response` checks an answer the way
the service would and returns a :class:`Verdict`: one line for the student,
the details of what the service does, and every rule the answer broke.

Data in, data out: no I/O and nothing beyond the standard library.  The rules
come from ``shared/reference/event-catalog.md`` §D,
``callers-apigw-cfn-cognito-alexa.md`` §1-5 and ``lambda-semantics.md`` §6.
Each checker's docstring names the sections it follows.

Template id → contract (:func:`contract_for`)
---------------------------------------------
============================================  ===================================================
template id                                   contract
============================================  ===================================================
``apigateway/aws-proxy``                      ``apigateway-v1`` (REST proxy; an event with
                                              ``"version": "1.0"`` is checked as HTTP API payload 1.0)
``apigateway/http-api-proxy``                 ``apigateway-v2``
``lambda/function-url``, any id with ``url``  ``apigateway-v2`` (function URLs use payload 2.0)
``apigateway/authorizer``                     ``apigateway-authorizer-token``
``apigateway/request-authorizer``             ``apigateway-authorizer-request``
``apigateway/http-api-authorizer``            ``apigateway-authorizer-http``
``sqs/*``                                     ``sqs-batch``
``kinesis/get-records*``                      ``kinesis-batch`` (the Firehose and Analytics
                                              templates have no contract here)
``dynamodb/*``                                ``dynamodb-batch``
``cloudformation/*``                          ``cloudformation``
``cognito*/<name>`` (User Pool triggers)      ``cognito-<trigger>``, see below
``cognito/sync-trigger``                      ``cognito-sync``
``alexa-skills-kit/*``                        ``alexa``
``codepipeline/*``                            ``codepipeline``
anything else                                 ``None`` (S3, SNS, EventBridge, CodeCommit, CloudWatch
                                              Logs, ... invoke asynchronously: the answer is ignored)
============================================  ===================================================

Cognito User Pool trigger ids are matched by name.  The id's service part
contains ``cognito``, and its event part is lower-cased and stripped of
everything but letters and digits.  The first fragment below that it contains
picks the contract, so ``cognito-idp/pre-sign-up``,
``cognito/PreSignUp_AdminCreateUser`` and ``cognito-user-pool/presignup`` all
give ``cognito-pre-sign-up``:

=================================================  ====================================
fragment                                           contract
=================================================  ====================================
``presignup``                                      ``cognito-pre-sign-up``
``postconfirmation``                               ``cognito-post-confirmation``
``preauthentication``, ``preauth``                 ``cognito-pre-authentication``
``postauthentication``, ``postauth``               ``cognito-post-authentication``
``defineauth``                                     ``cognito-define-auth-challenge``
``createauth``                                     ``cognito-create-auth-challenge``
``verifyauth``                                     ``cognito-verify-auth-challenge-response``
``tokengeneration``, ``pretoken``                  ``cognito-pre-token-generation``
``usermigration``, ``migrateuser``, ``migration``  ``cognito-user-migration``
``custommessage``                                  ``cognito-custom-message``
``customemailsender``                              ``cognito-custom-email-sender``
``customsmssender``                                ``cognito-custom-sms-sender``
``sync``                                           ``cognito-sync``
=================================================  ====================================

``cognito-user-pool`` picks the trigger from the event's ``triggerSource``.

Layout
------
One module per caller: :mod:`.apigateway` (proxy integrations),
:mod:`.authorizers`, :mod:`.batches`, :mod:`.cloudformation`, :mod:`.cognito`
(with the per-trigger response rules in :mod:`.cognito_triggers`),
:mod:`.alexa` and :mod:`.codepipeline`.  :mod:`._common` holds
:class:`Verdict` and the helpers they share; this module maps template ids
and contract names to the checkers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from ._common import Verdict, _Call, _Checker
from .alexa import _check_alexa
from .apigateway import _check_apigateway_v1, _check_apigateway_v2
from .authorizers import _check_authorizer, _check_authorizer_http
from .batches import _BATCHES, _RBIF, _check_batch
from .cloudformation import _check_cloudformation
from .codepipeline import _check_codepipeline
from .cognito import _COGNITO_FRAGMENTS, _COGNITO_TRIGGERS, _check_cognito, _check_cognito_sync, _trigger_source

__all__ = ["CONTRACTS", "Verdict", "check_response", "contract_for"]

#: contract name → (the service it describes, the checker).
_REGISTRY: dict[str, tuple[str, _Checker]] = {
    "apigateway-v1": ("API Gateway REST API proxy / HTTP API payload 1.0", _check_apigateway_v1),
    "apigateway-v2": ("API Gateway HTTP API payload 2.0 / Lambda function URL", _check_apigateway_v2),
    "apigateway-authorizer-token": ("API Gateway Lambda authorizer (TOKEN)", partial(_check_authorizer, kind="TOKEN")),
    "apigateway-authorizer-request": (
        "API Gateway Lambda authorizer (REQUEST)",
        partial(_check_authorizer, kind="REQUEST"),
    ),
    "apigateway-authorizer-http": ("API Gateway HTTP API Lambda authorizer", _check_authorizer_http),
    **{name: (batch.source, partial(_check_batch, batch=batch)) for name, batch in _BATCHES.items()},
    "cloudformation": ("CloudFormation custom resource", _check_cloudformation),
    "cognito-user-pool": ("Cognito User Pool trigger (any; from triggerSource)", partial(_check_cognito, trigger=None)),
    **{
        f"cognito-{trigger}": (_trigger_source(trigger), partial(_check_cognito, trigger=trigger))
        for trigger in _COGNITO_TRIGGERS
    },
    "cognito-sync": ("Cognito Sync trigger", _check_cognito_sync),
    "alexa": ("Alexa Skills Kit (custom skill)", _check_alexa),
    "codepipeline": ("CodePipeline Lambda invoke action", _check_codepipeline),
}

#: Every contract name with the service it describes (for listings and the panel).
CONTRACTS: Mapping[str, str] = {name: service for name, (service, _) in _REGISTRY.items()}


def contract_for(template_id: str) -> str | None:
    """The response contract for an event template id, or ``None`` when the caller ignores the answer.

    See the module docstring for the table, including how Cognito User Pool
    trigger ids are matched.
    """
    service, _, name = template_id.strip().lower().partition("/")
    if "cognito" in service:
        compact = re.sub(r"[^a-z0-9]", "", name)
        for fragment, trigger in _COGNITO_FRAGMENTS:
            if fragment in compact:
                return f"cognito-{trigger}"
        return None
    if ("url" in name and service in ("lambda", "lambda-url", "function-url")) or "function-url" in template_id.lower():
        return "apigateway-v2"
    if service == "apigateway":
        if "authorizer" in name:
            return (
                "apigateway-authorizer-http"
                if "http" in name
                else ("apigateway-authorizer-request" if "request" in name else "apigateway-authorizer-token")
            )
        if "http" in name:
            return "apigateway-v1" if re.search(r"(v1|1-0|payload-1)", name) else "apigateway-v2"
        return "apigateway-v1"
    if service == "sqs":
        return "sqs-batch"
    if service == "kinesis":
        return "kinesis-batch" if name.startswith("get-records") else None
    if service in ("dynamodb", "dynamodb-streams"):
        return "dynamodb-batch"
    if service == "cloudformation":
        return "cloudformation"
    if service == "alexa-skills-kit":
        return "alexa"
    if service == "codepipeline":
        return "codepipeline"
    return None


def check_response(
    contract: str,
    event: Mapping[str, Any] | None,
    payload: Any,
    function_error: str | None,
    *,
    function_response_types: Sequence[str] = (_RBIF,),
    binary_media_types: Sequence[str] = (),
    response_document: Any = None,
    service_calls: Sequence[tuple[str, Mapping[str, Any]]] | None = None,
) -> Verdict:
    """Check the function's answer as the service behind ``contract`` would.

    Parameters
    ----------
    contract
        A name from :data:`CONTRACTS`, usually from :func:`contract_for`.
    event
        The event the function received.  Some rules read it: the batch's ids,
        the CloudFormation request's ids, the authorizer's ``methodArn``, the
        Cognito ``triggerSource``, the Alexa request type, and whether an
        API Gateway event is HTTP API payload 1.0 (``"version": "1.0"``).
    payload
        The decoded answer (``Invocation.payload``): the returned value, bytes
        when the output is not JSON, or the error document when
        ``function_error`` is set.
    function_error
        ``Invocation.function_error`` (e.g. ``"Unhandled"``), or ``None``.
    function_response_types
        The event source mapping's ``FunctionResponseTypes`` (batch contracts
        only).  With ``ReportBatchItemFailures`` (the default)
        ``batchItemFailures`` is honoured.  With ``()`` the answer is ignored:
        success deletes or checkpoints the whole batch, an error retries it.
    binary_media_types
        The REST API's ``binaryMediaTypes`` (``apigateway-v1`` only).  A base64
        body is decoded for the client only when the request's first Accept
        type and the response's Content-Type are listed.  Otherwise the
        client gets the base64 text.
    response_document
        The document the function PUT to ``ResponseURL``, when the caller
        captured it (``cloudformation`` only; a dict, JSON text or bytes).
    service_calls
        The ``(operation, params)`` calls the function made to CodePipeline
        (``codepipeline`` only).  ``None`` means unknown.
    """
    if contract not in _REGISTRY:
        close = difflib.get_close_matches(contract, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(_REGISTRY))}"
        raise ValueError(f"unknown response contract {contract!r}{hint}")
    _, checker = _REGISTRY[contract]
    call = _Call(
        event=event if isinstance(event, Mapping) else {},
        payload=payload,
        function_error=function_error,
        function_response_types=tuple(function_response_types),
        binary_media_types=tuple(binary_media_types),
        response_document=response_document,
        service_calls=None if service_calls is None else tuple(service_calls),
    )
    return checker(call)
