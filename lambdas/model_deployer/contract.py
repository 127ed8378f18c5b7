"""What the ApprovedModelDeployer construct and its handler agree on: environment variables, message kinds,
decision and metric names. Both import this module; nothing here imports AWS SDKs."""

from __future__ import annotations

# --- Environment variables the construct sets on the function -------------------------------------------
ENV_STACK_NAME = "SERVING_STACK_NAME"
"""Name of the stack that serves the model (the stack of the ApprovedModelPackage's parameter)."""
ENV_PARAMETER_NAME = "MODEL_PACKAGE_PARAMETER"
"""The logical ID of that stack's CloudFormation parameter holding the model package ARN."""
ENV_MODEL_PACKAGE_GROUP = "MODEL_PACKAGE_GROUP_NAME"
"""The model package group whose newest Approved version the endpoint serves."""
ENV_ENDPOINT_NAME = "ENDPOINT_NAME"
"""The endpoint that must be InService before a deployment starts."""
ENV_CLOUDFORMATION_ROLE_ARN = "CLOUDFORMATION_ROLE_ARN"
"""The service role passed to UpdateStack (RoleARN)."""
ENV_TOPIC_ARN = "NOTIFICATION_TOPIC_ARN"
"""SNS topic told about rejections, deployments, failures and rollbacks; empty: no notifications."""
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

DEFAULT_METRICS_NAMESPACE = "SageMakerConstructs/Delivery"
"""The namespace of the deployer's metrics unless the construct names another."""

INITIAL_VALUE = "initial"
"""The parameter's value (and Default) while the initial container is served, before any version is deployed.
A word, not an empty string: CloudFormation's template checks resolve the parameter's Default into every branch
of the container's ``Fn::If``, and ``initial`` is a valid ModelPackageName where ``""`` is not."""

# --- Messages (SQS bodies: EventBridge events) ---------------------------------------------------------------
PACKAGE_SOURCE = "aws.sagemaker"
PACKAGE_DETAIL_TYPE = "SageMaker Model Package State Change"
STACK_SOURCE = "aws.cloudformation"
STACK_DETAIL_TYPE = "CloudFormation Stack Status Change"
RECONCILE_SOURCE = "sagemaker-constructs.delivery"
RECONCILE_DETAIL_TYPE = "Reconcile Model Deployment"
"""source and detail-type of the event the construct's reconcile schedule sends (its target input)."""

APPROVED = "Approved"
REJECTED = "Rejected"
APPROVAL_STATUSES = (APPROVED, REJECTED)
"""The ModelApprovalStatus values the package rule forwards (PendingManualApproval changes nothing served)."""

STACK_FAILURE_STATUSES = (
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_FAILED",
)
"""Stack statuses that notify with the reason (the first failed resource's ResourceStatusReason)."""
STACK_SUCCESS_STATUS = "UPDATE_COMPLETE"
STACK_STATUSES = (*STACK_FAILURE_STATUSES, STACK_SUCCESS_STATUS)
"""The stack statuses the stack rule forwards."""

TOKEN_PREFIX = "approved-model-"
"""ClientRequestToken prefix of the deployer's UpdateStack calls: ``approved-model-<sha256(stack id, ARN)[:40]>``;
stack events carry it, so a rolled-back deployment of a version is recognized and not retried."""
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
"""What UpdateStack acknowledges when the stack reports none (what ``cdk deploy`` passes)."""

# --- Decisions (one per reconciliation) and metrics -----------------------------------------------------
DECISION_DEPLOY = "deploy"
"""UpdateStack started with the newest Approved version."""
DECISION_IN_SERVICE = "in-service"
"""The newest Approved version is already the parameter's value (or CloudFormation had no update to make)."""
DECISION_BUSY = "busy"
"""The stack is in an *_IN_PROGRESS status or the endpoint is not InService: retried later (batch item failure)."""
DECISION_NO_APPROVED = "no-approved"
"""The group has no Approved version: nothing is deployed."""
DECISION_HELD = "held-after-rollback"
"""The stack's last operation was this deployer's update to the same version and it rolled back: not retried
until another version is approved, the version is rejected, or another stack operation ends the hold."""
DECISIONS = (DECISION_DEPLOY, DECISION_IN_SERVICE, DECISION_BUSY, DECISION_NO_APPROVED, DECISION_HELD)

METRIC_MESSAGES = "MessagesReceived"
METRIC_MALFORMED = "MalformedMessages"
"""Messages that are not an event the deployer understands: logged and dropped (not retried)."""
METRIC_DECISION = {
    DECISION_DEPLOY: "DeploymentsStarted",
    DECISION_IN_SERVICE: "AlreadyInService",
    DECISION_BUSY: "DeploymentsDeferred",
    DECISION_NO_APPROVED: "NoApprovedPackage",
    DECISION_HELD: "HeldAfterRollback",
}
METRIC_REJECTED = "PackagesRejected"
METRIC_SUCCEEDED = "DeploymentsSucceeded"
"""Stack updates that completed (UPDATE_COMPLETE), the deployer's own or not."""
METRIC_FAILED = "DeploymentsFailed"
"""Stack updates that failed or rolled back (counted once, at UPDATE_ROLLBACK_COMPLETE/UPDATE_ROLLBACK_FAILED or
UPDATE_FAILED)."""
