"""The SAM template transformed into plain CloudFormation by AWS's own SAM translator
(``aws-sam-translator``, offline), with each function's code as an S3 object named by a
``CodeBucket`` parameter (``functions/NAME.zip``, written next to the template)."""

from __future__ import annotations

import copy
import json
from typing import Any

from ..common.errors import InvalidParameterValueException

CODE_BUCKET = "CodeBucket"


def s3_code(sam: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``sam`` whose CodeUri/ContentUri point at ``CodeBucket``; folder -> zip key."""
    body = copy.deepcopy(sam)
    keys: dict[str, str] = {}
    for resource in body["Resources"].values():
        props = resource.get("Properties", {})
        for field in ("CodeUri", "ContentUri"):
            if isinstance(props.get(field), str):
                folder = props[field].rstrip("/")
                keys[folder] = f"{folder}.zip"
                props[field] = {"Bucket": {"Ref": CODE_BUCKET}, "Key": keys[folder]}
    parameters = {
        CODE_BUCKET: {
            "Type": "String",
            "Description": "The S3 bucket holding the functions' zips (upload functions/*.zip and layers/*.zip)",
        }
    }
    body = {
        "AWSTemplateFormatVersion": body.get("AWSTemplateFormatVersion", "2010-09-09"),
        "Parameters": parameters,
        **{k: v for k, v in body.items() if k not in ("AWSTemplateFormatVersion", "Parameters")},
    }
    return body, keys


def transform(sam: dict[str, Any], region: str, account_id: str) -> dict[str, Any]:
    """Plain CloudFormation: ``AWS::Lambda::Function``, ``AWS::IAM::Role``, permissions..."""
    try:
        import boto3
        from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
        from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
    except ImportError:
        raise InvalidParameterValueException(
            "exporting plain CloudFormation needs AWS's SAM translator: pip install aws-sam-translator"
        ) from None
    # The translator reads the region (and so the partition) from a boto3 session; offline it
    # gets one made for the account's region (it makes no call).
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    parameters = {"AWS::Region": region, "AWS::Partition": "aws", "AWS::AccountId": account_id}
    try:
        result = translator.translate(copy.deepcopy(sam), parameters, get_managed_policy_map=dict)
        translator.metrics.publish()  # to its dummy publisher: else it warns about unpublished metrics
    except Exception as exc:  # the translator's InvalidDocumentException lists every cause
        causes = getattr(exc, "causes", None)
        detail = "; ".join(str(getattr(c, "message", c)) for c in causes) if causes else str(exc)
        raise InvalidParameterValueException(f"the SAM template does not transform: {detail}") from None
    # The translator's own dict and str subclasses become plain JSON values.
    return dict(json.loads(json.dumps(result)))
