"""EventBridge routing as the service does it (moto's implementation of a bus, a rule and an SQS target)."""

from __future__ import annotations

import json
from typing import Any


def eventbridge_delivers(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge (moto's implementation) routes ``event`` to a rule with ``pattern``.

    moto's ``test_event_pattern`` is a stub that answers nothing, so this puts the rule, an SQS target and the
    event on a moto bus and checks what arrives.
    """
    import boto3
    from moto import mock_aws

    with mock_aws():
        region = event.get("region", "us-east-1")
        events = boto3.client("events", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        queue_url = sqs.create_queue(QueueName="target")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="rule", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="rule", Targets=[{"Id": "queue", "Arn": queue_arn}])
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
        }
        result = events.put_events(Entries=[entry])
        assert result["FailedEntryCount"] == 0, result
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return len(messages) == 1
