"""Every example in examples/ is a complete app that synthesizes, and the README shows it as it is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SHOWN = re.compile(r"<!-- (examples/\w+\.py) -->\n```python\n(.*?)```\n", re.DOTALL)


def test_the_readme_shows_every_example_as_it_is() -> None:
    shown = dict(SHOWN.findall((ROOT / "README.md").read_text()))
    assert sorted(shown) == [f"examples/{path.name}" for path in EXAMPLES]
    for name, code in shown.items():
        assert code == (ROOT / name).read_text(), f"the README's {name} differs from the file"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_the_example_synthesizes_a_running_model(example: Path, tmp_path: Path) -> None:
    # As `.venv/bin/python examples/NAME.py` runs it: the library installed (make synth installs the
    # clone, editable), nothing of ours on PYTHONPATH.
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path)}
    env.pop("CDK_CONTEXT_JSON", None)
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stderr, "jsii ran on an unsupported Node.js"
    templates = [json.loads(path.read_text()) for path in tmp_path.glob("*.template.json")]
    resources = [resource for template in templates for resource in template["Resources"].values()]
    assert any(resource["Type"] == "Custom::RekognitionRunningModel" for resource in resources)
