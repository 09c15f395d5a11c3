"""Hub publishing: a folder that is a complete Hugging Face model repository, written offline, and its upload.

    from modeling_neuript.interop.hub import save_for_hub, push_to_hub
    save_for_hub(model, extractor, "hub/face-house", metrics="runs/face-house/metrics.json")   # offline
    push_to_hub(model, extractor, "my-lab/neuript-face-house")                                  # save_for_hub + upload

`save_for_hub` writes what a Hub repository needs to be used without this package:

- `config.json` (with the full `auto_map` and `custom_pipelines`), `model.safetensors`;
- `preprocessor_config.json`: the feature extractor, i.e. the preprocessing contract;
- the remote code: `configuration_neuript.py`, `modeling_neuript.py`, `feature_extraction_neuript.py`,
  `electrodes_neuript.py` and `pipeline_neuript.py` (the `"eeg-classification"` / `"eeg-feature-extraction"` pipelines);
- `README.md`: a model card whose YAML header carries `library_name`, `pipeline_tag`, `tags`, `license`, `datasets`
  (and `base_model`, `metrics`), and whose text gives the preprocessing contract in words and numbers (read from the
  feature extractor), the metrics of the last evaluation, intended use and limits, and how to load the model with and
  without this package;
- `metrics.json` when metrics are given.

Not part of the Hub bundle (it needs huggingface_hub, which transformers already depends on).
"""

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Union

import transformers

from modeling_neuript import pipeline_neuript
from modeling_neuript.training.checkpoints import atomic_save

TAGS = [
    "eeg",
    "biosignal",
    "neuroscience",
    "brain-computer-interface",
    "foundation-model",
    "mixture-of-experts",
    "neuript",
    "custom_code",
]
TRANSFORMERS_REQUIREMENT = "transformers>=5.1,<6"
# Trainer / evaluate bookkeeping that is not a metric
NOT_METRICS = ("runtime", "samples_per_second", "steps_per_second", "epoch")
# The Hub bundle: every `*_neuript.py` file of the package (the model's code and the pipelines it registers).
BUNDLE_FILES = tuple(sorted(path.name for path in Path(pipeline_neuript.__file__).parent.glob("*_neuript.py")))


def save_for_hub(
    model,
    feature_extractor,
    directory: Union[str, os.PathLike],
    metrics: Union[dict, str, os.PathLike, None] = None,
    datasets: Optional[Sequence[str]] = None,
    license: str = "mit",
    base_model: Optional[str] = None,
    repo_id: Optional[str] = None,
    tags: Sequence[str] = (),
    pipeline_tag: Optional[str] = None,
    extra_sections: Sequence[str] = (),
    extra_files: Optional[dict] = None,
) -> Path:
    """
    Write a complete Hub repository for a NeurIPT model into `directory` (replaced as a whole, atomically). Works
    offline; `push_to_hub` uploads the same folder.

    Args:
        model: a NeurIPT model (`NeurIPTForSequenceClassification`, `NeurIPTModel` or `NeurIPTForPretraining`; loaded
            from this package or through `trust_remote_code`).
        feature_extractor: the `NeurIPTFeatureExtractor` the model was trained with. Required: without it nobody can
            reproduce the inputs the model expects.
        directory: the folder to write.
        metrics: the last evaluation, for the card's metrics table: the `metrics.json` (or `evaluation.json`) that
            `neuript finetune` writes, as a path or a dict (`{"validation": {...}, "test": {...}, ...}`), or a flat
            `{metric: value}` dict. `None`: the checkpoint's `evaluation.json` if the model was loaded from a folder
            that has one, else no table.
        datasets: Hub dataset ids the model was trained on (card metadata `datasets`); also named in the text.
        license: an SPDX-style Hub license id (default `"mit"`, the licence of this code).
        base_model: Hub id of the checkpoint this one was fine-tuned from (card metadata `base_model`).
        repo_id: the Hub id the folder will be published under; used in the card's loading snippets.
        tags: extra tags, added to the standard ones (`eeg`, `biosignal`, ...; classifiers also get
            `eeg-classification`).
        pipeline_tag: the Hub task. Default: `"other"` for classifiers (the Hub has no EEG task, and the architecture
            suffix would otherwise be read as text classification), `"feature-extraction"` for encoders.
        extra_sections: Markdown sections added to the card after its summary (e.g. the provenance of converted
            weights).
        extra_files: `{file name: text}` written next to the model (e.g. `conversion.json`).

    Returns:
        The folder (`Path`).
    """
    config = getattr(model, "config", None)
    if getattr(config, "model_type", None) != "neuript" or not hasattr(model, "save_pretrained"):
        raise ValueError(
            f"save_for_hub needs a NeurIPT model (config.model_type 'neuript'), got {type(model).__name__}."
        )
    if feature_extractor is None or not hasattr(feature_extractor, "save_pretrained"):
        raise ValueError(
            "save_for_hub needs the model's feature extractor: the preprocessing contract (filters, rate, A-law, "
            "windows) is part of the model. Pass the NeurIPTFeatureExtractor it was trained with (e.g. "
            "AutoFeatureExtractor.from_pretrained(checkpoint))."
        )
    evaluation = load_metrics(metrics, model)
    is_classifier = hasattr(model, "classifier")
    card = model_card(
        model,
        feature_extractor,
        evaluation,
        datasets=datasets,
        license=license,
        base_model=base_model,
        repo_id=repo_id,
        tags=tags,
        pipeline_tag=pipeline_tag,
        extra_sections=extra_sections,
    )

    def write(folder: Path):
        model.save_pretrained(folder)
        feature_extractor.save_pretrained(folder)
        shutil.copy(pipeline_neuript.__file__, folder / "pipeline_neuript.py")
        config_path = folder / "config.json"
        saved = json.loads(config_path.read_text())
        saved["custom_pipelines"] = {
            task: {"impl": f"pipeline_neuript.{pipeline_class.__name__}", "pt": [auto_class]}
            for task, pipeline_class, auto_class in pipeline_neuript.PIPELINE_TASKS
            if is_classifier or auto_class == "AutoModel"
        }
        config_path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
        if evaluation is not None:
            (folder / "metrics.json").write_text(json.dumps(evaluation, indent=2) + "\n")
        for name, text in (extra_files or {}).items():
            (folder / name).write_text(text)
        card.save(folder / "README.md")
        check_hub_folder(folder)

    return atomic_save(directory, write)


def check_hub_folder(folder: Union[str, os.PathLike]) -> None:
    """Raise a `ValueError` naming what is missing if `folder` is not a loadable NeurIPT Hub repository."""
    folder = Path(folder)
    missing = [
        name
        for name in ("config.json", "model.safetensors", "preprocessor_config.json", "README.md", *BUNDLE_FILES)
        if not (folder / name).exists()
    ]
    if missing:
        raise ValueError(f"{folder} lacks {missing}: it would not load with trust_remote_code.")
    config = json.loads((folder / "config.json").read_text())
    needed = {"AutoConfig", "AutoModel", "AutoModelForPreTraining", "AutoModelForSequenceClassification"}
    if not needed <= set(config.get("auto_map", {})):
        raise ValueError(
            f"{folder}/config.json lacks auto_map entries {sorted(needed - set(config.get('auto_map', {})))}."
        )
    extractor = json.loads((folder / "preprocessor_config.json").read_text())
    if "AutoFeatureExtractor" not in extractor.get("auto_map", {}):
        raise ValueError(f"{folder}/preprocessor_config.json has no auto_map['AutoFeatureExtractor'].")


def push_to_hub(
    model,
    feature_extractor,
    repo_id: str,
    private: Optional[bool] = None,
    token: Optional[str] = None,
    revision: Optional[str] = None,
    commit_message: str = "Upload NeurIPT model",
    create_pr: bool = False,
    **card_options,
):
    """
    `save_for_hub` into a temporary folder, then create the repository (if needed) and upload the folder with
    `huggingface_hub.HfApi.upload_folder`. Returns its `CommitInfo`.

    `card_options` go to `save_for_hub` (`metrics`, `datasets`, `license`, `base_model`, `tags`, `pipeline_tag`).
    Offline (`HF_HUB_OFFLINE=1`) this raises before anything is written; use `save_for_hub` and upload the folder
    later (`hf upload <repo_id> <folder>`).
    """
    from huggingface_hub import HfApi, constants

    if constants.is_offline_mode():
        raise RuntimeError(
            f"Cannot push {repo_id!r}: the Hugging Face Hub is in offline mode (HF_HUB_OFFLINE=1). Write the "
            f"repository with save_for_hub(model, extractor, folder) and upload it later with "
            f"`hf upload {repo_id} folder`."
        )
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_for_hub(model, feature_extractor, Path(tmp) / "repo", repo_id=repo_id, **card_options)
        api = HfApi(token=token)
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type="model",
            revision=revision,
            commit_message=commit_message,
            create_pr=create_pr,
        )


# ----------------------------------------------------------------------------------------------------------------------
# The model card
# ----------------------------------------------------------------------------------------------------------------------


def load_metrics(metrics, model=None) -> Optional[dict]:
    """The evaluation to report: a dict, a JSON file, or (with `None`) the `evaluation.json` next to the checkpoint
    the model was loaded from."""
    if metrics is None:
        source = Path(getattr(model, "name_or_path", "") or "")
        candidate = source / "evaluation.json"
        return json.loads(candidate.read_text()) if str(source) and candidate.is_file() else None
    if isinstance(metrics, (str, os.PathLike)):
        path = Path(metrics)
        if not path.is_file():
            raise ValueError(f"metrics file {path} does not exist (expected the metrics.json of `neuript finetune`).")
        metrics = json.loads(path.read_text())
    if not isinstance(metrics, dict):
        raise ValueError(f"metrics must be a dict or a JSON file path, got {type(metrics).__name__}.")
    return metrics


def metrics_table(evaluation: dict) -> tuple[str, list[str]]:
    """`(markdown table, metric names)`: one row per metric, one column per split (`validation`, `test`) — or one
    `value` column for a flat `{metric: value}` dict."""
    splits = {
        name: values
        for name, values in evaluation.items()
        if name in ("validation", "test") and isinstance(values, dict)
    }
    if not splits:
        splits = {
            "value": {k: v for k, v in evaluation.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        }
    rows: dict[str, dict[str, float]] = {}
    for split, values in splits.items():
        for key, value in values.items():
            name = key[len(split) + 1 :] if key.startswith(f"{split}_") else key
            if name in NOT_METRICS or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            rows.setdefault(name, {})[split] = float(value)
    if not rows:
        return "", []
    header = "| metric | " + " | ".join(splits) + " |\n|---|" + "---|" * len(splits) + "\n"
    body = "".join(
        f"| {name} | " + " | ".join(f"{cells[s]:.4f}" if s in cells else "–" for s in splits) + " |\n"
        for name, cells in rows.items()
    )
    sizes = evaluation.get("sizes")
    if isinstance(sizes, dict):
        body += "| windows | " + " | ".join(str(sizes.get(s, "–")) for s in splits) + " |\n"
    return header + body, [name for name in rows if name != "loss"]


def preprocessing_contract(extractor) -> str:
    """The feature extractor's configuration in words and numbers (markdown list)."""
    c = extractor.to_dict()
    rate, window = c["sampling_rate"], c["window_seconds"]
    stride = c.get("window_stride_seconds") or window
    lines = []
    lines.append(
        "- **Channels**: EEG channels only (mne channel type `eeg`; channels in `info['bads']` are dropped), any "
        "montage. Each channel is identified by its 3-D electrode position, looked up from its name (10-05 names "
        "including old T3/T4/T5/T6 and `EEG FP1-REF` styles, BioSemi A1..D32, `A-B` bipolar pairs → midpoint) or "
        "taken from the recording's montage; an unknown name is an error listing every unknown channel."
    )
    if c.get("channel_positions"):
        positions = c["channel_positions"]
        described = f"{len(positions)} saved positions" if isinstance(positions, dict) else f"the table `{positions}`"
        lines.append(f"- **Extra positions** stored with the extractor: {described}.")
    bipolar = c.get("bipolar_pairs")
    if bipolar == "double_banana":
        lines.append("- **Re-referencing**: the 20-channel bipolar double banana (Fp1-F7, F7-T3, ..., P4-O2).")
    elif bipolar:
        lines.append(
            f"- **Re-referencing**: bipolar derivations {', '.join(bipolar)} (A minus B); other channels dropped."
        )
    else:
        lines.append("- **Re-referencing**: none (the recording's own reference is kept).")
    lines.append(
        f"- **Units**: microvolts. mne objects are read in volts; arrays are taken as `{c['units']}` unless "
        "`units=` says otherwise. The per-channel mean is removed before filtering."
    )
    filters = []
    if c.get("l_freq") is not None:
        filters.append(f"high-pass {c['l_freq']:g} Hz (Butterworth order {c['highpass_order']})")
    if c.get("h_freq") is not None:
        filters.append(f"low-pass {c['h_freq']:g} Hz (Butterworth order {c['lowpass_order']})")
    notch = c.get("notch_freq")
    if notch == "auto":
        filters.append(
            f"notch at the power-line frequency (`info['line_freq']` or `line_freq=`; both 50 and 60 Hz "
            f"when unknown), Q = {c['notch_quality']:g}"
        )
    elif notch:
        filters.append(f"notch at {', '.join(f'{f:g}' for f in notch)} Hz, Q = {c['notch_quality']:g}")
    if filters:
        lines.append(
            "- **Filters** (zero-phase: applied forward and backward, at the recording's own rate): "
            + "; ".join(filters)
            + "."
        )
    lines.append(f"- **Resampling**: polyphase (`scipy.signal.resample_poly`) to **{rate:g} Hz**.")
    lines.append(
        f"- **Windows**: {window:g} s = {int(round(window * rate))} samples, a new window every {stride:g} s; a "
        "trailing partial window is dropped (never padded)."
    )
    lines.append(
        f"- **Artifact flags** (reported, not dropped): a window is flagged when some |sample| exceeds "
        f"{c['artifact_threshold_uv']:g} µV, or when some channel stays within ±{c['flat_threshold_uv']:g} µV."
    )
    if c.get("alaw_A") is not None:
        A = c["alaw_A"]
        denominator = math.e + math.log(A)
        at_100 = (1 + math.log(A * 100)) / denominator if A * 100 >= 1 else A * 100 / denominator
        lines.append(
            f"- **Amplitude companding**: A-law with A = {A:g}, y = sign(x)·A|x|/(e + ln A) for |x| < {1 / A:g} µV "
            f"and sign(x)·(1 + ln(A|x|))/(e + ln A) above; ±100 µV maps to ±{at_100:.3f}."
        )
    else:
        lines.append("- **Amplitude**: plain µV (no companding).")
    low, high = c["position_bounds"]
    lines.append(
        f"- **Model inputs**: `input_values` (windows, channels, {int(round(window * rate))}) float32, "
        f"`channel_positions` (windows, channels, 3) in metres (MNE head frame, each axis within [{low:g}, {high:g}]), "
        "`channel_mask` (windows, channels), 1 for real channels and 0 for padding."
    )
    return "\n".join(lines)


def model_card(
    model,
    extractor,
    evaluation=None,
    datasets=None,
    license="mit",
    base_model=None,
    repo_id=None,
    tags=(),
    pipeline_tag=None,
    extra_sections=(),
):
    """The `huggingface_hub.ModelCard` of a NeurIPT model (see `save_for_hub` for the arguments)."""
    from huggingface_hub import ModelCard, ModelCardData

    config = model.config
    is_classifier = hasattr(model, "classifier")
    table, metric_names = metrics_table(evaluation) if evaluation else ("", [])
    card_tags = list(dict.fromkeys([*TAGS, *(["eeg-classification"] if is_classifier else []), *tags]))
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag=pipeline_tag or ("other" if is_classifier else "feature-extraction"),
        license=license,
        tags=card_tags,
        datasets=list(datasets) if datasets else None,
        base_model=base_model,
        metrics=metric_names or None,
    )
    name = repo_id or "path/to/this/folder"
    total = sum(p.numel() for p in model.parameters())
    labels = [config.id2label[i] for i in range(config.num_labels)] if is_classifier else []

    sections = [f"# NeurIPT {'classifier' if is_classifier else 'encoder'}"]
    summary = (
        'NeurIPT ("NeurIPT: Foundation Model for Neural Interfaces", Fang et al., NeurIPS 2025, arXiv 2510.16548) is '
        "an EEG transformer: every sample point is a token, attention alternates between time (within a channel) and "
        "channels (at each time step), electrodes are identified by their 3-D position so any montage works, and "
        "deeper feed-forwards are a progressive mixture of experts."
    )
    if is_classifier:
        summary += (
            f" This checkpoint classifies EEG windows into {len(labels)} classes: "
            + ", ".join(f"`{label}`" for label in labels)
            + ", with intra-inter lobe pooling (IILP) "
            f"over `{config.lobe_grouping}` lobe groups and a {config.classifier_head} head."
        )
    sections.append(summary)
    sections.append(
        "| | |\n|---|---|\n"
        f"| parameters | {total / 1e6:.2f} M |\n"
        f"| hidden size, layers, heads | {config.hidden_size}, {config.num_hidden_layers}, "
        f"{config.num_attention_heads} |\n"
        f"| routed experts per layer | {list(config.num_experts_per_layer)} |\n"
        f"| time merges per layer | {list(config.merge_factors)} |\n"
        f"| patch size | {config.patch_size} sample(s) |\n"
        f"| saved with | transformers {transformers.__version__}, neuript {getattr(config, 'neuript_version', None)} |"
    )
    sections.extend(extra_sections)

    sections.append(
        "## Preprocessing contract\n\nThe model only gives meaningful outputs on inputs prepared exactly "
        "like its training data. The feature extractor saved with it (`preprocessor_config.json`) does all "
        "of this from a raw recording and its channel names:\n\n" + preprocessing_contract(extractor)
    )

    if table:
        described = []
        if evaluation.get("task"):
            described.append(f"task `{evaluation['task']}`")
        if evaluation.get("split"):
            described.append(f"split `{evaluation['split']}` (subject- or time-wise, never random across windows)")
        if datasets:
            described.append("data " + ", ".join(f"`{d}`" for d in datasets))
        sizes = evaluation.get("sizes") if isinstance(evaluation.get("sizes"), dict) else {}
        if sizes.get("train"):
            described.append(f"{sizes['train']} training windows")
        if evaluation.get("model"):
            described.append(f"fine-tuned from `{evaluation['model']}`")
        intro = "Last evaluation" + (f" ({'; '.join(described)})" if described else "") + ":"
        sections.append(
            f"## Evaluation\n\n{intro}\n\n{table}\nThe numbers hold for these data and this split only; "
            "measure on your own recordings before relying on the model."
        )
    else:
        sections.append("## Evaluation\n\nNo evaluation was recorded with this checkpoint.")

    sections.append(
        "## Intended use and limits\n\n"
        "- Intended for research on EEG decoding and brain-computer interfaces: classification of, or embeddings for, "
        "windows of scalp EEG. **Not a medical device**: not validated for diagnosis, monitoring or any clinical "
        "decision.\n"
        "- Inputs must follow the preprocessing contract above (units, rate, window length). The extractor checks "
        "names, rates and unit plausibility, but cannot detect a wrong channel label or a swapped montage.\n"
        "- Electrode positions come from template montages unless the recording carries digitised positions; "
        "non-standard caps need `channel_positions=`. Sparse montages (few channels) give the lobe pooling little to "
        "work with.\n"
        "- Performance depends on recording hardware, population and paradigm; the training data (see Evaluation) "
        "cover few subjects and sessions and carry their demographic and site biases. Expect lower accuracy on "
        "other data.\n"
        "- Windows flagged as artifacts (`artifact_amplitude`, `artifact_flat`) are still classified; decide yourself "
        "whether to discard them."
    )

    task = "eeg-classification" if is_classifier else "eeg-feature-extraction"
    auto_class = "AutoModelForSequenceClassification" if is_classifier else "AutoModel"
    per_window = (
        "[{'start': 0.0, 'end': ..., 'label': ..., 'score': ..., 'scores': {...}, ...}, ...]"
        if is_classifier
        else "[{'start': 0.0, 'end': ..., 'embedding': array(...), ...}, ...]"
    )
    sections.append(
        "## How to use\n\n"
        f"Requirements: `torch`, `numpy`, `{TRANSFORMERS_REQUIREMENT}`, `scipy` (preprocessing) and `mne` "
        "(reading files). `trust_remote_code=True` runs the Python files of this repository (plain source: read them, "
        "and pin `revision=` to a commit you reviewed).\n\n"
        "Without the `neuript` package, one recording in, one result per window out:\n\n"
        "```python\nfrom transformers import pipeline\n"
        f'pipe = pipeline("{task}", model="{name}", trust_remote_code=True)\n'
        f'pipe("recording.edf")   # or an mne.io.Raw, or an array with channel_names=[...], sampling_rate=...\n'
        f"# {per_window}\n```\n\n"
        "Or step by step:\n\n"
        f"```python\nimport mne\nfrom transformers import AutoFeatureExtractor, {auto_class}\n"
        f'extractor = AutoFeatureExtractor.from_pretrained("{name}", trust_remote_code=True)\n'
        f'model = {auto_class}.from_pretrained("{name}", trust_remote_code=True).eval()\n'
        'features = extractor(mne.io.read_raw("recording.edf", preload=True), return_metadata=False)\n'
        + (
            "probabilities = model(**features).logits.softmax(-1)   # (windows, classes)\n"
            if is_classifier
            else "hidden = model(**features).last_hidden_state   # (windows, channels, tokens, hidden)\n"
        )
        + "```\n\n"
        "With the `neuript` package installed, `import modeling_neuript` registers the model classes and both "
        "pipelines (`eeg-classification`, `eeg-feature-extraction`), so plain checkpoints load without "
        "`trust_remote_code`; this repository declares its pipelines in `config.json` (`custom_pipelines`), for "
        "which transformers always asks for `trust_remote_code=True`:\n\n"
        "```python\nimport modeling_neuript\nfrom transformers import pipeline\n"
        f'pipe = pipeline("{task}", model="{name}", trust_remote_code=True, hop_seconds=1.0)\n```\n\n'
        "`modeling_neuript.interop.onnx_export` turns a classifier into ONNX (opset 18) or a `torch.export` program."
    )
    sections.append(
        "## Citation\n\n```bibtex\n@inproceedings{fang2025neuript,\n  title={NeurIPT: Foundation Model for Neural "
        "Interfaces},\n  author={Fang and Li and Zhou and Yu and Du and Qasem and Lu and Li and Zhang and Goh},\n  "
        "booktitle={Advances in Neural Information Processing Systems (NeurIPS)},\n  year={2025},\n  "
        "note={arXiv:2510.16548}\n}\n```"
    )
    content = f"---\n{data.to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n"
    return ModelCard(content)


__all__ = [
    "check_hub_folder",
    "load_metrics",
    "metrics_table",
    "model_card",
    "preprocessing_contract",
    "push_to_hub",
    "save_for_hub",
]
