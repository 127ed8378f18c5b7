"""Container images for SageMaker models: the user's ECR images, any image URI, or SageMaker's own images."""

from __future__ import annotations

import abc
import re

from aws_cdk import Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_constructs._internal import image_registry as _images
from sagemaker_constructs._internal.validation import ValidationError, checked_arguments

_IMAGE_URI_PATTERN = re.compile(r"^[\S]+$")


class ContainerImage(abc.ABC):
    """The image a SageMaker container runs.

    Use the named constructors: ``from_ecr_repository`` (pull permission granted to the model's role),
    ``from_image_uri`` (any registry; you grant access yourself) or ``for_algorithm`` (SageMaker's own images,
    such as the built-in XGBoost container, resolved for every region).
    """

    @staticmethod
    @checked_arguments
    def from_ecr_repository(repository: ecr.IRepository, tag_or_digest: str = "latest") -> ContainerImage:
        """An image in an ECR repository. The model's execution role gets pull access to that repository.

        :param repository: the repository.
        :param tag_or_digest: an image tag, or a digest starting with ``sha256:``. Default: "latest"
        """
        return _EcrImage(repository, tag_or_digest)

    @staticmethod
    @checked_arguments
    def from_image_uri(image_uri: str) -> ContainerImage:
        """Any image by URI. No permission is granted: if the image is in a private ECR repository, grant pull
        access to the model's role yourself."""
        if not Token.is_unresolved(image_uri) and (
            not _IMAGE_URI_PATTERN.fullmatch(image_uri) or len(image_uri) > 255
        ):
            raise ValidationError(
                f"'image_uri' must be 1-255 characters without whitespace, got {image_uri!r}"
            )
        return _UriImage(image_uri)

    @staticmethod
    @checked_arguments
    def for_algorithm(framework: str, version: str, *, image_scope: str | None = None) -> ContainerImage:
        """One of SageMaker's own images, e.g. ``for_algorithm("xgboost", "3.0-5")``.

        The template stays environment-agnostic: a region-keyed CloudFormation mapping built from the SageMaker
        SDK's registry picks the right account at deploy time.

        :param framework: ``xgboost``, ``sklearn``, ``model-monitor`` or ``clarify``.
        :param version: a version the SageMaker SDK lists for that framework (``""`` for model-monitor).
        :param image_scope: ``inference``, ``training``, ``monitoring`` or ``processing``.
            Default: - ``inference`` where the framework has it, otherwise its only scope.
        """
        return _RegistryImage(_images.lookup(framework, version, image_scope))

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable | None) -> str:
        """Return the image URI for use in ``scope`` and grant ``grantee`` what it needs to pull it."""


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag_or_digest: str) -> None:
        self._repository = repository
        self._tag_or_digest = tag_or_digest

    def bind(self, scope: Construct, grantee: iam.IGrantable | None) -> str:
        if grantee is not None:
            self._repository.grant_pull(grantee)
        return self._repository.repository_uri_for_tag_or_digest(self._tag_or_digest)


class _UriImage(ContainerImage):
    def __init__(self, image_uri: str) -> None:
        self._image_uri = image_uri

    def bind(self, scope: Construct, grantee: iam.IGrantable | None) -> str:
        return self._image_uri


class _RegistryImage(ContainerImage):
    def __init__(self, image: _images.RegistryImage) -> None:
        self._image = image

    def bind(self, scope: Construct, grantee: iam.IGrantable | None) -> str:
        # SageMaker pulls its own images with service credentials: the role needs no ECR permission.
        return _images.image_uri(scope, self._image)
