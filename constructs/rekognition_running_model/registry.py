"""Which RunningModel runs which model version, across the whole app."""

from __future__ import annotations

from constructs import Construct


class ModelVersionRegistry(Construct):
    """Holds, at the root of the construct tree, the path of the RunningModel of each version ARN.

    Two RunningModels on one version would start and stop the same model: the second one's
    Delete would stop the model that the first one still wants running.
    """

    ID = "RekognitionRunningModelRegistry"

    @classmethod
    def of(cls, scope: Construct) -> ModelVersionRegistry:
        root = scope.node.root
        existing = root.node.try_find_child(cls.ID)
        if isinstance(existing, ModelVersionRegistry):
            return existing
        if not isinstance(root, Construct):
            raise TypeError(f"the root of {scope.node.path!r} is not a Construct: {root!r}")
        return cls(root, cls.ID)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._owners: dict[str, str] = {}

    def claim(self, project_version_arn: str, path: str) -> str | None:
        """Record ``path`` as running ``project_version_arn``; return the earlier owner's path, if any."""
        earlier = self._owners.setdefault(project_version_arn, path)
        return earlier if earlier != path else None
