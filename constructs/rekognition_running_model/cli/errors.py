"""Errors the command reports in one line that says what to do, never as a traceback: its own
(CliError), and botocore's, explained (``explain``)."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from .exit_codes import EXIT_AWS, EXIT_USAGE

# The service each operation the command calls belongs to, for the IAM action a denial names.
_SERVICE_OF = {
    "DescribeProjects": "rekognition",
    "DescribeProjectVersions": "rekognition",
    "ListTagsForResource": "rekognition",
    "StopProjectVersion": "rekognition",
    "UntagResource": "rekognition",
    "DescribeStacks": "cloudformation",
    "DescribeStackResource": "cloudformation",
}
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"})
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_REJECTED = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch"}
)
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "LimitExceededException"})
_SEE_PERMISSIONS = "the README's running-model section lists every action the command needs"


class CliError(Exception):
    """A failure to report as ``message`` (what went wrong, and what to do), exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def explain(error: Exception) -> CliError | None:
    """What to tell a person about a botocore ``error``; None for anything else (a bug: let it show)."""
    if isinstance(error, ClientError):
        return _client_error(error)
    if not isinstance(error, BotoCoreError):
        return None
    if isinstance(error, NoCredentialsError):
        return CliError("no AWS credentials found: run `aws configure` or set AWS_PROFILE / --profile", EXIT_AWS)
    if isinstance(error, PartialCredentialsError):
        return CliError(
            f"incomplete AWS credentials ({error}): run `aws configure` or set AWS_PROFILE / --profile", EXIT_AWS
        )
    if isinstance(error, ProfileNotFound):
        profile = error.kwargs.get("profile")
        return CliError(
            f"no AWS profile named {profile!r}: `aws configure list-profiles` lists yours; set AWS_PROFILE / --profile",
            EXIT_AWS,
        )
    if isinstance(error, NoRegionError):
        return CliError("no AWS region: pass --region, set AWS_REGION, or set a region in your profile", EXIT_USAGE)
    if isinstance(error, SSOTokenLoadError | UnauthorizedSSOTokenError | TokenRetrievalError):
        return CliError(f"your AWS SSO session is missing or expired ({error}): run `aws sso login`", EXIT_AWS)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError):
        endpoint = error.kwargs.get("endpoint_url", "AWS")
        return CliError(
            f"could not reach {endpoint} ({type(error).__name__}): check your network connection, proxy and --region",
            EXIT_AWS,
        )
    return CliError(f"AWS call failed: {error}", EXIT_AWS)


def _client_error(error: ClientError) -> CliError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Error"))
    said = str(details.get("Message", "")).strip()
    operation = error.operation_name
    action = f"{_SERVICE_OF.get(operation, 'rekognition')}:{operation}"
    if code in _DENIED:
        return CliError(
            f"access denied: your AWS identity may not call {action}: grant it {action} in an IAM policy "
            f"({_SEE_PERMISSIONS}). AWS said: {said}",
            EXIT_AWS,
        )
    if code in _EXPIRED:
        return CliError(f"your AWS credentials have expired ({code}): refresh them, e.g. `aws sso login`", EXIT_AWS)
    if code in _REJECTED:
        return CliError(
            f"AWS does not accept your credentials ({code}): check the access key, secret and session token, "
            "or the profile (AWS_PROFILE / --profile)",
            EXIT_AWS,
        )
    if code in _THROTTLED:
        return CliError(
            f"{action} was still throttled after 10 attempts ({code}): try again later, or read less (--project)",
            EXIT_AWS,
        )
    return CliError(f"{action} failed: {code}: {said}", EXIT_AWS)
