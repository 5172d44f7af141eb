"""What the handler relies on in crhelper, pinned: PollingResource subclasses crhelper's CfnResource
through private methods and attributes, so a crhelper that moves one of them must fail here, and
bundling must refuse any version but the one the subclass was written against.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re

import pytest
from crhelper import CfnResource

from rekognition_running_model.bundling import CRHELPER_VERSION, check_crhelper_version
from running_model.resource import PollingResource

from support.paths import ROOT

# crhelper's methods that PollingResource overrides or calls, with their parameters in crhelper.
METHODS = {
    "__init__": [
        "self",
        "json_logging",
        "log_level",
        "boto_level",
        "polling_interval",
        "sleep_on_delete",
        "ssl_verify",
    ],
    "__call__": ["self", "event", "context"],
    "_crhelper_init": ["self", "event", "context"],
    "_polling_init": ["self", "event"],
    "_send": ["self", "status", "reason", "send_response"],
    "_timeout": ["self"],
    "_wrap_function": ["self", "func"],
    "_cfn_response": ["self", "event"],
    "generate_physical_id": ["self", "event"],
    "init_failure": ["self", "error"],
    "create": ["self", "func"],
    "poll_create": ["self", "func"],
}
# crhelper's instance attributes that PollingResource reads or sets.
ATTRIBUTES = {
    "_event",
    "_context",
    "_init_failed",
    "_region",
    "_polling_interval",
    "_send_response",
    "_response_url",
    "Data",
    "Status",
    "Reason",
    "PhysicalResourceId",
    "StackId",
    "RequestId",
    "LogicalResourceId",
}


def test_the_installed_crhelper_is_the_pinned_one() -> None:
    assert importlib.metadata.version("crhelper") == CRHELPER_VERSION


def test_requirements_and_package_metadata_pin_the_same_version() -> None:
    pins = {
        path: re.findall(r"crhelper==([\d.]+)", (ROOT / path).read_text())
        for path in ("requirements.txt", "pyproject.toml")
    }
    assert pins == {"requirements.txt": [CRHELPER_VERSION], "pyproject.toml": [CRHELPER_VERSION]}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_crhelper_method_relied_on_is_there_with_its_parameters(name: str) -> None:
    method = getattr(CfnResource, name, None)
    assert callable(method), f"crhelper's CfnResource has no {name} any more"
    assert list(inspect.signature(method).parameters) == METHODS[name]


def test_every_crhelper_attribute_relied_on_is_set_by_its_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    resource = CfnResource(log_level="WARNING")
    assert set(vars(resource)) >= ATTRIBUTES, f"missing: {sorted(ATTRIBUTES - set(vars(resource)))}"


def test_what_polling_resource_overrides_is_in_the_pinned_list() -> None:
    overridden = {
        name for name in vars(PollingResource) if name in vars(CfnResource) and callable(vars(CfnResource)[name])
    }
    assert overridden <= set(METHODS), f"pin these too: {sorted(overridden - set(METHODS))}"


def test_bundling_refuses_another_crhelper_version_with_what_to_do() -> None:
    check_crhelper_version(CRHELPER_VERSION)
    with pytest.raises(RuntimeError, match=rf"crhelper 2\.1\.0 is installed: pip install crhelper=={CRHELPER_VERSION}"):
        check_crhelper_version("2.1.0")
