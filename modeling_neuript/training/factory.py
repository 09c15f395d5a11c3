"""Building models from what a user names: a preset (`neuript-tiny`), a config JSON, or a checkpoint folder.

    config = resolve_config("neuript-small", lobe_grouping="coronal")
    classifier = build_classifier("runs/pt/model", num_labels=2, id2label={0: "face", 1: "house"})

Used by the training commands, the experiments, the adapters (sklearn, braindecode) and the benchmarks.
"""

from pathlib import Path

from modeling_neuript.configuration_neuript import NeurIPTConfig
from modeling_neuript.resources import preset_names, preset_path


def is_checkpoint(model) -> bool:
    """A folder: every folder is loaded as a checkpoint through `from_pretrained`, which names what is missing (no
    config.json, no weights, a missing shard) instead of building a random model from whatever it holds."""
    return Path(model).is_dir()


def resolve_config(model: str, **overrides) -> NeurIPTConfig:
    """A `NeurIPTConfig` from a preset name (`neuript-tiny`), a config JSON or a checkpoint folder, with `overrides`
    (those that are not `None`) applied and the result validated."""
    path = Path(model)
    if path.is_file():
        config = NeurIPTConfig.from_json_file(path)
    elif is_checkpoint(path):
        if not (path / "config.json").is_file():
            raise ValueError(f"{path} is a folder without config.json: not a NeurIPT checkpoint (nothing was loaded).")
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


def build_classifier(model: str, num_labels: int, id2label: dict, extractor=None, **overrides):
    """A `NeurIPTForSequenceClassification` for `num_labels` classes: from a checkpoint folder (any NeurIPT checkpoint
    — pretraining or classification — through `from_pretrained`, which refuses missing or damaged backbone weights;
    the head is new unless the checkpoint's has `num_labels` outputs) or from a preset or config JSON (random init).
    `extractor`: the feature extractor of the training data; the config then records its sampling rate and window
    length (what the classifier is trained on). `from_pretrained` logs what was loaded in one line."""
    from modeling_neuript.modeling_neuript import NeurIPTForSequenceClassification

    label2id = {name: i for i, name in id2label.items()}
    if extractor is not None:
        overrides = {"sampling_rate": extractor.sampling_rate, "window_seconds": extractor.window_seconds, **overrides}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if is_checkpoint(model):
        return NeurIPTForSequenceClassification.from_pretrained(
            model,
            num_labels=num_labels,
            id2label=id2label,
            label2id=label2id,
            ignore_mismatched_sizes=True,  # a classifier checkpoint with other labels: its head is replaced
            **overrides,
        )
    config = resolve_config(model, **overrides)
    config.num_labels, config.id2label, config.label2id = num_labels, id2label, label2id
    return NeurIPTForSequenceClassification(config)
