"""Parsing of SageMaker ARNs for the ``from_*_arn`` importers."""

from __future__ import annotations

import re

from aws_cdk import Arn, ArnFormat

from .validation import ValidationErrors, is_token

# arn:<partition>:sagemaker:<region>:<account>:<type>/<name>, the format of every SageMaker resource ARN in the
# Service Authorization Reference ("Resource types defined by Amazon SageMaker AI"):
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
_SAGEMAKER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"(?P<type>[a-z-]+)/(?P<name>[^/]+)$"
)


def name_from_arn(errors: ValidationErrors, prop: str, arn: str, resource_type: str) -> str:
    """The resource name in a SageMaker ARN of ``resource_type``; records a problem when the ARN is malformed.

    A token ARN (known only at deploy time) is split with ``Fn::Split``/``Fn::Select``; its type cannot be checked.
    """
    if is_token(arn):
        return Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name or ""
    match = _SAGEMAKER_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None or match["type"] != resource_type:
        errors.add(
            f"'{prop}' must be a SageMaker {resource_type} ARN "
            f"(arn:aws:sagemaker:<region>:<account>:{resource_type}/<name>), got {arn!r}"
        )
        return ""
    return match["name"]
