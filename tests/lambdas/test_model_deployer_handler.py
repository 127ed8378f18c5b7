"""The approved-model deployer's handler, end to end from the documented events (as SQS bodies) to the UpdateStack
request: SageMaker (model packages, endpoint) and SNS in moto, CloudFormation through botocore's Stubber (each
request checked against botocore's service model and the exact expected parameters)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deployer_support import (
    INITIAL_VALUE,
    STACK_ID,
    Deployer,
    approval,
    deployer,
    expected_update,
    package_arn,
    stack_description,
    stack_event,
)
from support.sample_events import load_event

from lambdas.model_deployer.contract import RECONCILE_DETAIL_TYPE, RECONCILE_SOURCE
from lambdas.model_deployer.reconcile import deployment_token

__all__ = ["deployer"]  # the fixture, imported from the support module

NO_FAILURES: dict[str, Any] = {"batchItemFailures": []}
RECONCILE = {"source": RECONCILE_SOURCE, "detail-type": RECONCILE_DETAIL_TYPE, "id": "r-1", "detail": {}}


def expect_describe(d: Deployer, served: str, status: str = "UPDATE_COMPLETE") -> None:
    d.cloudformation.add_response(
        "describe_stacks", stack_description(served, status), {"StackName": "SageMakerRealtime"}
    )


def expect_update(d: Deployer, version: int) -> str:
    token = deployment_token(STACK_ID, package_arn(version))
    d.cloudformation.add_response("update_stack", {"StackId": STACK_ID}, expected_update(version, token))
    return token


def emitted_metrics(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    """Sum of each metric in the EMF lines the handler printed."""
    totals: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or "_aws" not in record:
            continue
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + (
                    sum(value) if isinstance(value, list) else value
                )
    return totals


def test_approval_starts_the_stack_update_with_the_previous_template(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    expect_update(deployer, 1)

    assert deployer.invoke(approval(1)) == NO_FAILURES

    subjects = [subject for subject, _ in deployer.notifications()]
    assert subjects == ["Deploying model package to SageMakerRealtime"]


def test_two_approvals_in_one_batch_deploy_the_latest_once(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    deployer.register(2, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    expect_update(deployer, 2)  # one UpdateStack, for version 2; a second call would fail the Stubber

    assert deployer.invoke(approval(1), approval(2)) == NO_FAILURES


def test_a_second_approval_while_the_first_deploys_waits_then_deploys_the_latest(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    expect_update(deployer, 1)
    assert deployer.invoke(approval(1)) == NO_FAILURES

    deployer.register(2, "Approved")
    expect_describe(deployer, INITIAL_VALUE, "UPDATE_IN_PROGRESS")
    assert deployer.invoke(approval(2)) == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}

    # SQS delivers the message again once the first update is done.
    expect_describe(deployer, package_arn(1))
    expect_update(deployer, 2)
    assert deployer.invoke(approval(2)) == NO_FAILURES


def test_duplicate_and_late_events_change_nothing(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    deployer.register(2, "Approved")
    for event in (approval(2), approval(2), approval(1)):  # a duplicate, then a late approval of version 1
        expect_describe(deployer, package_arn(2))
        assert deployer.invoke(event) == NO_FAILURES
    assert deployer.notifications() == []


def test_approving_the_version_in_service_is_a_no_op(
    deployer: Deployer, capsys: pytest.CaptureFixture[str]
) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, package_arn(1))

    assert deployer.invoke(approval(1)) == NO_FAILURES
    assert emitted_metrics(capsys).get("AlreadyInService") == 1


def test_an_endpoint_that_is_updating_defers_the_deployment(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    deployer.set_endpoint_status("Updating")
    expect_describe(deployer, INITIAL_VALUE)

    assert deployer.invoke(approval(1), RECONCILE) == {
        "batchItemFailures": [{"itemIdentifier": "message-0"}, {"itemIdentifier": "message-1"}]
    }


def test_rejecting_the_version_in_service_rolls_back_to_the_newest_approved_and_notifies(
    deployer: Deployer,
) -> None:
    deployer.register(1, "Approved")
    deployer.register(2, "Approved")
    deployer.set_status(2, "Rejected", "AUC fell from 0.91 to 0.84 on the holdout")
    expect_describe(deployer, package_arn(2))
    expect_update(deployer, 1)

    assert deployer.invoke(approval(2, "Rejected")) == NO_FAILURES

    notes = deployer.notifications()
    assert notes[0][0] == "Model package rejected (churn-models)"
    assert "AUC fell from 0.91 to 0.84 on the holdout" in notes[0][1]
    assert notes[1][0] == "Deploying model package to SageMakerRealtime"


def test_rejecting_the_only_approved_version_deploys_nothing_and_notifies(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    deployer.set_status(1, "Rejected", "bias on age")
    expect_describe(deployer, package_arn(1))

    assert deployer.invoke(approval(1, "Rejected")) == NO_FAILURES
    subjects = [subject for subject, _ in deployer.notifications()]
    assert subjects == [
        "Model package rejected (churn-models)",
        "No approved model package for SageMakerRealtime",
    ]


def _rolled_back_to(d: Deployer, version: int) -> None:
    token = deployment_token(STACK_ID, package_arn(version))
    expect_describe(d, INITIAL_VALUE, "UPDATE_ROLLBACK_COMPLETE")
    d.cloudformation.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                stack_event("UPDATE_ROLLBACK_COMPLETE", token=token),
                stack_event(
                    "UPDATE_FAILED", token=token, resource="Endpoint", reason="alarm churn-5xx in ALARM"
                ),
            ]
        },
        {"StackName": STACK_ID},
    )


def test_a_version_whose_update_rolled_back_is_held(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    _rolled_back_to(deployer, 1)

    assert deployer.invoke(approval(1)) == NO_FAILURES  # no UpdateStack: the Stubber has none queued
    ((subject, message),) = deployer.notifications()
    assert subject == "Model package held on SageMakerRealtime"
    assert "Endpoint: alarm churn-5xx in ALARM" in message


def test_the_hourly_reconcile_repeats_no_hold_and_no_absence(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    _rolled_back_to(deployer, 1)
    assert deployer.invoke(RECONCILE) == NO_FAILURES
    deployer.set_status(1, "Rejected")
    expect_describe(deployer, INITIAL_VALUE)
    assert deployer.invoke(RECONCILE) == NO_FAILURES
    assert deployer.notifications() == []


def test_after_a_rollback_of_another_operation_the_approved_version_is_deployed(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE, "UPDATE_ROLLBACK_COMPLETE")
    deployer.cloudformation.add_response(
        "describe_stack_events",
        {"StackEvents": [stack_event("UPDATE_ROLLBACK_COMPLETE", token="exec-cdk-deploy-1")]},
        {"StackName": STACK_ID},
    )
    expect_update(deployer, 1)

    assert deployer.invoke(RECONCILE) == NO_FAILURES


def test_no_updates_to_perform_is_a_no_op(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    deployer.cloudformation.add_client_error(
        "update_stack",
        service_error_code="ValidationError",
        service_message="No updates are to be performed.",
    )

    assert deployer.invoke(approval(1)) == NO_FAILURES


def test_an_access_error_fails_the_message_so_it_is_retried_then_parked(deployer: Deployer) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    deployer.cloudformation.add_client_error(
        "update_stack",
        service_error_code="ValidationError",
        service_message=f"Role {package_arn(9)} is invalid or cannot be assumed",
    )

    assert deployer.invoke(approval(1)) == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}


def test_a_rolled_back_stack_update_notifies_with_the_failed_resource(deployer: Deployer) -> None:
    event = load_event("cloudformation_stack_status_change_rollback")
    token = event["detail"]["client-request-token"]
    deployer.cloudformation.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                stack_event("UPDATE_ROLLBACK_COMPLETE", token=token),
                stack_event(
                    "UPDATE_ROLLBACK_IN_PROGRESS", token=token, reason="The following resource(s) failed"
                ),
                stack_event(
                    "UPDATE_FAILED",
                    token=token,
                    resource="Endpoint",
                    reason="Endpoint update rolled back: alarm churn-model-latency in ALARM",
                ),
                stack_event("UPDATE_FAILED", token="another-operation", resource="Endpoint", reason="older"),
            ]
        },
        {"StackName": STACK_ID},
    )

    assert deployer.invoke(event) == NO_FAILURES
    ((subject, message),) = deployer.notifications()
    assert subject == "SageMakerRealtime: UPDATE_ROLLBACK_COMPLETE"
    assert "Endpoint: Endpoint update rolled back: alarm churn-model-latency in ALARM" in message
    assert "older" not in message


def test_a_completed_update_notifies_the_version_in_service(deployer: Deployer) -> None:
    deployer.cloudformation.add_response(
        "describe_stacks", stack_description(package_arn(3)), {"StackName": STACK_ID}
    )

    assert deployer.invoke(load_event("cloudformation_stack_status_change_complete")) == NO_FAILURES
    ((subject, message),) = deployer.notifications()
    assert subject == "SageMakerRealtime updated"
    assert package_arn(3) in message


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        {"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change"},
        {
            "source": "aws.sagemaker",
            "detail-type": "SageMaker Model Package State Change",
            "detail": {"ModelPackageArn": ""},
        },
        {
            "source": "aws.cloudformation",
            "detail-type": "CloudFormation Stack Status Change",
            "detail": {"stack-id": STACK_ID},
        },
        {"source": "aws.s3", "detail-type": "Object Created", "detail": {}},
    ],
    ids=["not-json", "not-an-object", "no-detail", "empty-arn", "no-status", "unknown-event"],
)
def test_a_malformed_message_is_dropped_with_a_record_and_the_rest_of_the_batch_runs(
    deployer: Deployer, body: dict[str, Any] | str, capsys: pytest.CaptureFixture[str]
) -> None:
    deployer.register(1, "Approved")
    expect_describe(deployer, INITIAL_VALUE)
    expect_update(deployer, 1)

    assert deployer.invoke(body, approval(1)) == NO_FAILURES
    output = emitted_metrics(capsys)
    assert output.get("MalformedMessages") == 1
    assert output.get("DeploymentsStarted") == 1


def test_an_event_of_another_group_is_ignored(deployer: Deployer) -> None:
    event = approval(1)
    event["detail"]["ModelPackageGroupName"] = "fraud-models"

    assert deployer.invoke(event) == NO_FAILURES  # no call at all: the Stubber has nothing queued
