#!/usr/bin/env python3
"""The reference application of sagemaker-constructs: `cdk synth` (or `make synth`) runs this."""

from infra.app import build_app

build_app().synth()
