"""Deploy-time half of RunningModel: the custom resource handler's logic (see docs/design.md)."""
