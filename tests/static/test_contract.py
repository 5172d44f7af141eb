"""The two halves share one contract: the construct's names and the handler's must agree."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from support.paths import ROOT


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_constants(module: ModuleType) -> dict[str, object]:
    return {name: value for name, value in vars(module).items() if name.isupper()}


def test_construct_and_handler_agree_on_every_name_and_pattern() -> None:
    construct_side = public_constants(
        load(ROOT / "constructs/rekognition_running_model/contract.py", "construct_contract")
    )
    handler_side = public_constants(load(ROOT / "lambda/running_model/contract.py", "handler_contract"))
    assert construct_side == handler_side
    assert {"PROP_PROJECT_VERSION_ARN", "ATTR_STATUS", "PROJECT_VERSION_ARN_PATTERN"} <= set(construct_side)


def test_every_name_in_the_contract_is_used_by_both_halves() -> None:
    """What one half alone needs lives in that half, not in the contract."""
    names = public_constants(load(ROOT / "lambda/running_model/contract.py", "handler_contract"))
    for half in ("constructs/rekognition_running_model", "lambda"):
        source = "\n".join(path.read_text() for path in (ROOT / half).rglob("*.py") if path.name != "contract.py")
        unused = [name for name in names if not re.search(rf"\b{name}\b", source)]
        assert unused == [], f"{half} does not use {unused}"


def test_the_patterns_are_rekognitions_own() -> None:
    """The ARN patterns are those of the API model botocore ships (named groups aside)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    handler = public_constants(load(ROOT / "lambda/running_model/contract.py", "handler_contract"))
    unnamed = re.compile(r"\(\?P<\w+>")
    for ours, shape in (("PROJECT_VERSION_ARN_PATTERN", "ProjectVersionArn"), ("PROJECT_ARN_PATTERN", "ProjectArn")):
        api = model.shape_for(shape).metadata["pattern"]
        assert unnamed.sub("(", str(handler[ours])).replace("(", "").replace(")", "") == api.replace(
            "\\/", "/"
        ).replace("(", "").replace(")", "")
