"""Domain adapters (installed as `mmcl.adapters`): the only code that knows a modality."""
