"""Exceptions raised to the caller.

Errors raised *by the user's handler* are never exceptions here: they are data on
the :class:`~lambda_magic.runtime.invocation.Invocation`, exactly as Lambda returns
them.  What lives here are the errors Lambda's *API* would answer with (bad
configuration, unknown function, payload too large), all rooted in
:class:`LambdaMagicError` so that the magics can show them as one-line messages.
"""

from __future__ import annotations


class LambdaMagicError(Exception):
    """Base class for every mistake the user can make; shown as a one-line error."""

    #: The HTTP status code Lambda's API answers with for this error.
    status_code: int = 400


class InvalidParameterValueException(LambdaMagicError):
    """A configuration value is outside what Lambda accepts (AWS's own name)."""


class ResourceNotFoundException(LambdaMagicError):
    """The function (or qualifier) does not exist (AWS's own name)."""

    status_code = 404


class ResourceConflictException(LambdaMagicError):
    """The operation conflicts with the function's current state."""

    status_code = 409


class InvalidRequestContentException(LambdaMagicError):
    """The request body is not valid JSON (AWS's own name)."""


class RequestTooLargeException(LambdaMagicError):
    """The request payload is larger than Lambda accepts for the invocation type."""

    status_code = 413


class EnvironmentStartError(LambdaMagicError):
    """The local execution-environment machinery could not start."""

    status_code = 500


class UnknownTemplateError(LambdaMagicError):
    """No event template (or service) has this name; the message suggests close names."""

    status_code = 404


class UnknownParameterError(InvalidParameterValueException):
    """An event template has no parameter of this name; the message suggests close names."""


class InvocationInterrupted(KeyboardInterrupt):
    """The kernel was interrupted (Kernel > Interrupt) while a synchronous invoke waited.

    Still a ``KeyboardInterrupt`` (the user asked to stop), raised after the
    invocation was recorded with status ``interrupted`` and its log lines so far
    (``.invocation``); its environment was stopped, so the next invoke is cold.
    """

    MESSAGE = "invocation interrupted; the environment was stopped"

    def __init__(self, invocation: object = None):
        super().__init__(self.MESSAGE)
        self.invocation = invocation
