"""Small helpers shared by the test modules (imported as `from helpers import ...`; pytest puts tests/ on the path)."""

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
