"""The ``running-model`` command: which Custom Labels model versions run in a region, who keeps each
running, and the release of a stale owner. Run as ``running-model`` or ``python -m rekognition_running_model``
(main.py); it needs boto3, which the construct library itself does not."""
