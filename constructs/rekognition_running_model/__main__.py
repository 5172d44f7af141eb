"""``python -m rekognition_running_model``: the ``running-model`` command (cli/main.py)."""

from rekognition_running_model.cli.main import main

raise SystemExit(main())
