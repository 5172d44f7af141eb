"""The handler's Lambda asset: lambda/ plus crhelper, bundled without Docker.

Where the handler source is, one rule for every way of getting the library: the package's own
``handler_src/`` (a wheel installs lambda/ there, see pyproject.toml), else the repository's
``lambda/`` beside ``constructs/`` (a clone, and editable installs of it).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# The handler subclasses crhelper's CfnResource through its private methods
# (lambda/running_model/resource.py): that is a contract with this one version.
CRHELPER_VERSION = "2.0.12"
HANDLER = "index.handler"
HANDLER_FILE = "index.py"
RUNTIME = lambda_.Runtime.PYTHON_3_14

_SKIP_EVERYWHERE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi", "py.typed")
# The source root's __init__.py makes it importable as a package of the library (the CLI reads the
# audit from it); Lambda imports index.py and guard.py as top-level modules and needs none.
_SOURCE_ROOT_ONLY = frozenset({"__init__.py"})
_PACKAGE = Path(__file__).resolve().parent
# Found from this file, never from the working directory: installed first, then the repository.
HANDLER_SOURCE_CANDIDATES = (_PACKAGE / "handler_src", _PACKAGE.parent.parent / "lambda")


def handler_source() -> Path:
    """The directory of the handler's index.py: the first of HANDLER_SOURCE_CANDIDATES that has one."""
    for candidate in HANDLER_SOURCE_CANDIDATES:
        if (candidate / HANDLER_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        f"the RunningModel handler source is missing: looked for {HANDLER_FILE} in "
        + " and ".join(str(c) for c in HANDLER_SOURCE_CANDIDATES)
    )


@jsii.implements(ILocalBundling)
class _CopyWithCrhelper:
    """Copies the handler source and the installed crhelper package; boto3 comes from the Lambda runtime."""

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        output = Path(output_dir)
        source = handler_source()
        shutil.copytree(source, output, ignore=_skip_in(source), dirs_exist_ok=True)
        spec = importlib.util.find_spec("crhelper")
        if spec is None or spec.origin is None:
            raise RuntimeError(f"crhelper is not installed: pip install crhelper=={CRHELPER_VERSION}")
        distribution = importlib.metadata.distribution("crhelper")
        check_crhelper_version(distribution.version)
        shutil.copytree(Path(spec.origin).parent, output / "crhelper", ignore=_SKIP_EVERYWHERE, dirs_exist_ok=True)
        for notice in ("LICENSE", "NOTICE"):
            found = [f for f in distribution.files or [] if f.name == notice]
            if found:
                shutil.copyfile(Path(str(distribution.locate_file(found[0]))), output / "crhelper" / notice)
        return True


def _skip_in(source: Path) -> Callable[[str, list[str]], set[str]]:
    """What not to copy from the handler source: caches and typing files anywhere, the root's __init__.py."""

    def skip(directory: str, names: list[str]) -> set[str]:
        skipped = set(_SKIP_EVERYWHERE(directory, names))
        return skipped | (_SOURCE_ROOT_ONLY & set(names)) if Path(directory) == source else skipped

    return skip


def check_crhelper_version(found: str) -> None:
    """Refuse to bundle any crhelper but CRHELPER_VERSION, with what to do."""
    if found != CRHELPER_VERSION:
        raise RuntimeError(
            f"RunningModel's handler is written against crhelper {CRHELPER_VERSION} (it overrides private "
            f"methods of crhelper's CfnResource), but crhelper {found} is installed: "
            f"pip install crhelper=={CRHELPER_VERSION}"
        )


def handler_code() -> lambda_.Code:
    """The asset; its hash is that of the bundled files, so a new crhelper makes a new asset."""
    return lambda_.Code.from_asset(
        str(handler_source()),
        asset_hash_type=AssetHashType.OUTPUT,
        # jsii calls try_bundle(output_dir, options) with the struct as one argument, as written;
        # its generated protocol spells the struct out as keyword arguments, hence the cast.
        bundling=BundlingOptions(image=RUNTIME.bundling_image, local=cast(ILocalBundling, _CopyWithCrhelper())),
    )
