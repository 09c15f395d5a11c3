"""Small helpers shared by the test modules (imported as `from helpers import ...`; pytest puts tests/ on the path)."""

import importlib.util
from pathlib import Path

from modeling_neuript import NeurIPTConfig

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "configuration"


def tiny_config(**overrides) -> NeurIPTConfig:
    """The tiny preset with `overrides` applied and validated."""
    config = NeurIPTConfig.from_json_file(PRESETS / "neuript-tiny.json")
    for key, value in overrides.items():
        setattr(config, key, value)
    config.validate_neuript()
    return config


def pretraining_history(output_dir) -> list:
    """The per-update log (`step`, `loss`, `reconstruction_loss`, ...) of a finished `neuript pretrain` run."""
    import json

    return json.loads((Path(output_dir) / "model" / "training_history.json").read_text())["history"]


def load_example(name: str):
    """The module examples/<name>.py (its `main(argv)` runs it)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
