"""CodeCommit repository triggers, wired as the Lambda console wires them (``lm.add_trigger``).

The account's CodeCommit API (the ``codecommit_api`` extension, made by the api layer)
holds the repositories and fires the triggers; this plugin only adds one through boto3,
as a student would (``put_repository_triggers`` with the existing triggers kept), and
the permission ``codecommit.amazonaws.com`` needs to invoke the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...common.errors import InvalidParameterValueException
from .base import PushSource, Trigger

if TYPE_CHECKING:
    from ...runtime.function import Function

#: The account extension that serves CodeCommit (``lambda_magic.endpoints.codecommit``).
API_EXTENSION = "codecommit_api"
EVENTS = ("all", "updateReference", "createReference", "deleteReference")


class CodeCommitSource(PushSource):
    kind = "codecommit"
    principal = "codecommit.amazonaws.com"

    def client(self) -> Any:
        """boto3's ``codecommit`` client on the account's CodeCommit API."""
        if API_EXTENSION not in self.account.extensions():
            raise InvalidParameterValueException(
                "this account serves no CodeCommit API: use the module API (import lambda_magic as lm), "
                "which serves one"
            )
        return self.account.extension(API_EXTENSION, lambda: None).client()

    def source_arn(self, resource: str) -> str:
        settings = self.account.settings
        return f"arn:aws:codecommit:{settings.region}:{settings.account_id}:{resource}"

    def add(
        self,
        function: Function,
        resource: str,
        *,
        branches: list[str] | str | None = None,
        events: list[str] | str | None = None,
        custom_data: str | None = None,
        name: str | None = None,
        **unknown: Any,
    ) -> Trigger:
        """A trigger of repository ``resource`` for ``function``: ``branches`` (default: all),
        ``events`` (default ``["all"]``), ``custom_data`` and the trigger's ``name`` (default:
        the function's name); a trigger of that name is replaced, the others are kept."""
        if unknown:
            raise InvalidParameterValueException(
                f"codecommit trigger settings: {', '.join(sorted(unknown))} unknown; "
                "use branches=, events=, custom_data=, name="
            )
        branches = [branches] if isinstance(branches, str) else list(branches or [])
        events = [events] if isinstance(events, str) else list(events or ["all"])
        trigger: dict[str, Any] = {
            "name": name or function.name,
            "destinationArn": function.arn,
            "branches": branches,
            "events": events,
        }
        if custom_data is not None:
            trigger["customData"] = custom_data
        client = self.client()
        try:
            kept = client.get_repository_triggers(repositoryName=resource)["triggers"]
            triggers = [t for t in kept if t["name"] != trigger["name"]] + [trigger]
            configuration = client.put_repository_triggers(repositoryName=resource, triggers=triggers)
        except client.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise InvalidParameterValueException(
                f"codecommit:{resource}: {error.get('Code')}: {error.get('Message')}"
            ) from None
        sid = self.push.grant(function, self.kind, self.principal, self.source_arn(resource))
        settings = {"branches": branches, "events": events, "custom_data": custom_data, "name": trigger["name"]}
        return Trigger(
            self.kind,
            resource,
            function.name,
            settings=settings,
            source_id=configuration["configurationId"],
            statement_id=sid,
        )
