"""Building models from what a user names: a preset (`neuript-tiny`), a config JSON, or a checkpoint folder.

    config = resolve_config("neuript-small", lobe_grouping="coronal")
    classifier = build_classifier("runs/pt/model", num_labels=2, id2label={0: "face", 1: "house"})

Used by the training commands, the experiments, the adapters (sklearn, braindecode) and the benchmarks.
"""

import logging
from pathlib import Path

from modeling_neuript.configuration_neuript import NeurIPTConfig
from modeling_neuript.resources import preset_names, preset_path

logger = logging.getLogger(__name__)


def is_checkpoint(model) -> bool:
    """A folder holding a `config.json` (whatever its weight files: `from_pretrained` checks those)."""
    path = Path(model)
    return path.is_dir() and (path / "config.json").is_file()


def resolve_config(model: str, **overrides) -> NeurIPTConfig:
    """A `NeurIPTConfig` from a preset name (`neuript-tiny`), a config JSON or a checkpoint folder, with `overrides`
    (those that are not `None`) applied and the result validated."""
    path = Path(model)
    if path.is_file():
        config = NeurIPTConfig.from_json_file(path)
    elif is_checkpoint(path):
        config = NeurIPTConfig.from_pretrained(path)
    elif str(model) in preset_names():
        config = NeurIPTConfig.from_json_file(preset_path(str(model)))
    else:
        raise ValueError(
            f"Unknown model {model!r}: give a preset ({preset_names()}), a config JSON or a checkpoint folder."
        )
    for key, value in overrides.items():
        if value is not None:
            setattr(config, key, value)
    config.validate_neuript()
    return config


def build_classifier(model: str, num_labels: int, id2label: dict, **overrides):
    """A `NeurIPTForSequenceClassification` for `num_labels` classes: from a checkpoint folder (any NeurIPT checkpoint
    — pretraining or classification — through `from_pretrained`, which refuses missing or damaged backbone weights;
    the head is new unless the checkpoint's fits) or from a preset or config JSON (random init). What was loaded is
    logged in one line (logger `modeling_neuript.training.factory`)."""
    from modeling_neuript.modeling_neuript import NeurIPTForSequenceClassification

    label2id = {name: i for i, name in id2label.items()}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if is_checkpoint(model):
        classifier, info = NeurIPTForSequenceClassification.from_pretrained(
            model, num_labels=num_labels, id2label=id2label, label2id=label2id, output_loading_info=True, **overrides
        )
        new = sorted(info["missing_keys"])
        dropped = sorted({k.split(".")[0] for k in info["unexpected_keys"]})
        logger.info(f"loaded the encoder from {model}; newly initialised: {new}; not used: {dropped or 'nothing'}")
        return classifier
    config = resolve_config(model, **overrides)
    config.num_labels, config.id2label, config.label2id = num_labels, id2label, label2id
    return NeurIPTForSequenceClassification(config)
