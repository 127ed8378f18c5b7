#!/usr/bin/env python3
"""A user's CDK app built on the installed sagemaker-constructs wheel, laid out as `cdk init app` lays it out.

tests/packaging/test_wheel_user_app.py copies it into a project that the pinned CDK CLI's `cdk init` generated, in
a folder outside the repository. The context value `composition=false` leaves out the parts that compose the
library with aws-cdk-lib's own constructs (API Gateway, EventBridge Scheduler, an S3 grant).
"""

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from churn_app.hosting import HostingStack
from churn_app.monitoring import MonitoringStack

app = App()
composition = app.node.try_get_context("composition") not in (False, "false")

hosting = HostingStack(app, "ChurnHosting", composition=composition)
# Another stack than the endpoint's: the reference to the endpoint crosses stacks.
MonitoringStack(app, "ChurnMonitoring", endpoint=hosting.endpoint, composition=composition)

Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
