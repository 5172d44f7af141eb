"""How the handler names a failed AWS call in its logs and reasons."""

from __future__ import annotations

from botocore.exceptions import ClientError


def describe(error: Exception) -> str:
    """``Operation: Code: Message`` for an AWS error, ``Type: text`` for anything else."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code', 'Unknown')}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"
