"""An AWS stand-in: one endpoint on 127.0.0.1 where Lambda really runs the code.

``python -m lambda_magic.standin [--port P]`` serves, in its own process, one
AWS-compatible endpoint that boto3, the AWS CLI (``--endpoint-url``) and the AWS
backend (``lm.use_backend("aws", endpoint_url=URL)``) can use as "AWS": requests
signed for ``lambda`` reach a :class:`~lambda_magic.runtime.account.LocalAccount`'s
Lambda API (which runs handlers in execution environments, returns log tails,
delivers logs to CloudWatch Logs and polls SQS for event source mappings); every
other service reaches that account's moto server.  See :mod:`.router` for the
routing and :mod:`.service` for the account.
"""

from __future__ import annotations

from .router import Router, RouterError, service_of
from .service import StandIn, StandInError

__all__ = ["Router", "RouterError", "StandIn", "StandInError", "service_of"]
