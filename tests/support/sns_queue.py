"""Reading what a moto SNS topic delivered to an SQS queue subscribed to it (raw delivery off)."""

from __future__ import annotations

import json
from typing import Any

import boto3


def drain_sns_envelopes(queue_url: str, region: str) -> list[dict[str, Any]]:
    """The SNS envelopes (``Subject``, ``Message``, ``MessageAttributes``) waiting in the queue, oldest first; the
    queue is left empty."""
    sqs = boto3.client("sqs", region_name=region)
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
