"""The handler's Lambda asset: lambda/ plus crhelper, bundled without Docker."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# The handler's source, found from this file and never from the working directory.
HANDLER_SOURCE = Path(__file__).resolve().parent.parent.parent / "lambda"
HANDLER = "index.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi", "py.typed")


@jsii.implements(ILocalBundling)
class _CopyWithCrhelper:
    """Copies the handler source and the installed crhelper package; boto3 comes from the Lambda runtime."""

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        output = Path(output_dir)
        shutil.copytree(HANDLER_SOURCE, output, ignore=_SKIP, dirs_exist_ok=True)
        spec = importlib.util.find_spec("crhelper")
        if spec is None or spec.origin is None:
            raise RuntimeError("crhelper is not installed: pip install -r requirements.txt")
        shutil.copytree(Path(spec.origin).parent, output / "crhelper", ignore=_SKIP, dirs_exist_ok=True)
        distribution = importlib.metadata.distribution("crhelper")
        for notice in ("LICENSE", "NOTICE"):
            found = [f for f in distribution.files or [] if f.name == notice]
            if found:
                shutil.copyfile(Path(str(distribution.locate_file(found[0]))), output / "crhelper" / notice)
        return True


def handler_code() -> lambda_.Code:
    """The asset; its hash is that of the bundled files, so a new crhelper makes a new asset."""
    return lambda_.Code.from_asset(
        str(HANDLER_SOURCE),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(image=RUNTIME.bundling_image, local=_CopyWithCrhelper()),
    )
