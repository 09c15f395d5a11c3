# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""The model card (`README.md`) of a saved NeurIPT folder, written by every save route so that no route publishes a
template instead of it.

The card is a function of what the folder holds — `config.json` (the model), `preprocessor_config.json` (the
preprocessing contract), `metrics.json` / `evaluation.json` (the last evaluation) — and of publishing options (Hub id,
datasets, licence, base model, extra tags) that it keeps in a hidden comment, so that saving the model and then the
extractor (in either order, as `Trainer.save_model` does) gives the same card as saving both at once. Its YAML header
follows the Hub's conventions: `library_name: transformers`, `pipeline_tag: feature-extraction` (the Hub has no EEG
task; the text says which pipeline to use), the `eeg` and `arxiv:2510.16548` tags, the licence, `base_model` for a
fine-tuned model, and a `model-index` whose metrics name what they are (balanced accuracy, Cohen's kappa, ...) with
the dataset and split.

A README.md the card did not write is left alone, except the two templates transformers writes over a card
(`Trainer.create_model_card`'s training summary — whose hyperparameters and results are kept in our card — and
`push_to_hub`'s placeholder).

Part of the Hub bundle: the standard library, transformers and huggingface_hub (a transformers dependency).
"""

import json
import math
import os
import sys
from pathlib import Path
from typing import Optional, Union

from transformers.utils import logging


logger = logging.get_logger(__name__)

ARXIV_ID = "2510.16548"
TAGS = [
    "eeg",
    "biosignal",
    "neuroscience",
    "brain-computer-interface",
    "foundation-model",
    "mixture-of-experts",
    "neuript",
    f"arxiv:{ARXIV_ID}",
    "custom_code",
]
TRANSFORMERS_REQUIREMENT = "transformers>=5.1,<6"
NOT_METRICS = ("runtime", "samples_per_second", "steps_per_second", "epoch", "loss")
# metric key → (Hub metric type, the name shown on the Hub)
METRIC_NAMES = {
    "balanced_accuracy": ("balanced_accuracy", "Balanced accuracy"),
    "accuracy": ("accuracy", "Accuracy"),
    "cohen_kappa": ("cohen_kappa", "Cohen's kappa"),
    "weighted_f1": ("f1", "F1 (weighted by class support)"),
    "f1": ("f1", "F1"),
    "roc_auc": ("roc_auc", "ROC AUC (one-vs-rest, macro)"),
    "pr_auc": ("pr_auc", "PR AUC"),
}
MARKER = "<!-- neuript-card "
SUMMARY_START, SUMMARY_END = "<!-- trainer-summary -->", "<!-- /trainer-summary -->"
TEMPLATE_SIGNS = ("generated_from_trainer", "This is the model card of a 🤗 transformers model")
OPTION_NAMES = ("repo_id", "datasets", "license", "base_model", "tags", "dataset_name", "extra_sections")


# ----------------------------------------------------------------------------------------------------------------------
# Writing the card into a folder
# ----------------------------------------------------------------------------------------------------------------------


def _read_json(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def card_state(text: Optional[str]) -> tuple[str, dict, str]:
    """`(kind, options, training summary)` of an existing README: kind `"none"`, `"ours"`, `"template"` (one of
    transformers' templates) or `"foreign"` (written by someone else: never overwritten)."""
    if text is None:
        return "none", {}, ""
    summary = ""
    if SUMMARY_START in text and SUMMARY_END in text:
        summary = text.split(SUMMARY_START, 1)[1].split(SUMMARY_END, 1)[0].strip()
    if MARKER in text:
        raw = text.split(MARKER, 1)[1].split("-->", 1)[0]
        try:
            options = json.loads(raw)
        except ValueError:
            options = {}
        return "ours", options, summary
    if any(sign in text for sign in TEMPLATE_SIGNS):
        return "template", {}, training_summary_of(text)
    return "foreign", {}, ""


def training_summary_of(text: str) -> str:
    """The part of a `Trainer.create_model_card` card worth keeping: hyperparameters, results, framework versions."""
    if "## Training procedure" not in text:
        return ""
    return text.split("## Training procedure", 1)[1].strip()


def write_model_card(folder: Union[str, os.PathLike], evaluation: Optional[dict] = None, **options) -> Optional[Path]:
    """Write (or rewrite) the NeurIPT card of `folder` from the files it holds; `options` (`repo_id`, `datasets`,
    `license`, `base_model`, `tags`, `dataset_name`, `extra_sections`) override those the existing card recorded. Returns the card's
    path, or `None` when the folder holds a README.md someone else wrote (left untouched)."""
    folder = Path(folder)
    readme = folder / "README.md"
    kind, recorded, summary = card_state(readme.read_text() if readme.is_file() else None)
    if kind == "foreign":
        logger.info(f"{readme} was not written by NeurIPT: it is left as it is (delete it to get the NeurIPT card).")
        return None
    options = {**recorded, **{k: v for k, v in options.items() if v is not None and k in OPTION_NAMES}}
    if evaluation is None:
        evaluation = _read_json(folder / "metrics.json") or _read_json(folder / "evaluation.json")
    text = model_card_text(
        _read_json(folder / "config.json"),
        _read_json(folder / "preprocessor_config.json"),
        evaluation,
        summary,
        **options,
    )
    readme.write_text(text)
    return readme


def attach_to_calling_trainer(folder: Union[str, os.PathLike]) -> None:
    """When a `transformers.Trainer` is saving this model (`save_model`, `push_to_hub`), make its
    `create_model_card` keep our card.

    `Trainer.push_to_hub` saves the model, then writes its training-summary template over README.md and uploads at
    once, with no hook in between. So the model wraps `create_model_card` of that one Trainer instance (not the class):
    transformers' summary is written first, then our card is rewritten around it (hyperparameters, results and the
    last evaluation kept). Nothing changes for other Trainers or other code.
    """
    trainer_module = sys.modules.get("transformers.trainer")
    if trainer_module is None:
        return
    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            return
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, trainer_module.Trainer):
            break
        frame = frame.f_back
    else:
        return
    trainer = candidate
    if getattr(trainer.create_model_card, "_keeps_neuript_card", False):
        return
    original = trainer.create_model_card

    def create_model_card(*args, **kwargs):
        original(*args, **kwargs)
        output = Path(trainer.args.output_dir)
        if not (output / "config.json").is_file():
            return
        from huggingface_hub import ModelCard

        summary_tags = ModelCard.load(output / "README.md").data.tags or []  # generated_from_trainer and the user's
        datasets = kwargs.get("dataset") or kwargs.get("dataset_tags")
        write_model_card(
            output,
            evaluation=trainer_evaluation(trainer.state.log_history),
            datasets=[datasets] if isinstance(datasets, str) else datasets,
            license=kwargs.get("license"),
            base_model=kwargs.get("finetuned_from"),
            repo_id=trainer.hub_model_id,
            tags=[tag for tag in summary_tags if tag not in TAGS] or None,
        )

    create_model_card._keeps_neuript_card = True
    trainer.create_model_card = create_model_card


def trainer_evaluation(log_history: list) -> Optional[dict]:
    """The last `Trainer.evaluate` result of a run, as the card's `validation` split (the Trainer's eval set)."""
    for entry in reversed(log_history or []):
        if any(key.startswith("eval_") for key in entry):
            values = {
                f"validation_{key[5:]}": value
                for key, value in entry.items()
                if key.startswith("eval_") and isinstance(value, (int, float))
            }
            return {"validation": values}
    return None


def push_folder(obj, repo_id: str, *, commit_message: str, commit_description=None, private=None, token=None,
                revision=None, create_pr=False, save_options: Optional[dict] = None, tags=None, **card_options):
    """`push_to_hub` of a NeurIPT model or feature extractor: `obj.save_pretrained` into a temporary folder next to
    what the repository already holds (its config.json, preprocessor_config.json, README.md, metrics.json — the other
    half of the model and the card's options), the card rewritten from the whole, then one `HfApi.upload_folder` of
    the files this push changed. `card_options`: `datasets`, `license`, `base_model`, `dataset_name`. Returns its
    `CommitInfo`."""
    import tempfile

    unknown = sorted(set(card_options) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"push_to_hub got unexpected arguments {unknown}; card options are {list(OPTION_NAMES)}.")

    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        EntryNotFoundError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model").repo_id
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        folder.mkdir()
        fetched = {}
        for name in ("config.json", "preprocessor_config.json", "README.md", "metrics.json"):
            try:
                path = api.hf_hub_download(repo_id=repo_id, filename=name, revision=revision)
            except (EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
                continue
            fetched[name] = Path(path).read_bytes()
            (folder / name).write_bytes(fetched[name])
        obj.save_pretrained(folder, **(save_options or {}))
        write_model_card(folder, repo_id=repo_id, tags=tags, **card_options)
        unchanged = [name for name, content in fetched.items() if (folder / name).read_bytes() == content]
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type="model",
            revision=revision,
            commit_message=commit_message,
            commit_description=commit_description,
            create_pr=create_pr,
            ignore_patterns=unchanged or None,
        )


# ----------------------------------------------------------------------------------------------------------------------
# The text
# ----------------------------------------------------------------------------------------------------------------------


def _metric_rows(evaluation: dict) -> tuple[dict, list]:
    """`({metric: {split: value}}, splits)` of an evaluation: `{"validation": {...}, "test": {...}}` (keys may carry the
    split as a prefix, as `neuript finetune` and Trainer write them) or a flat `{metric: value}` (split `"value"`)."""
    splits = {n: v for n, v in evaluation.items() if n in ("validation", "test") and isinstance(v, dict)}
    if not splits:
        splits = {
            "value": {k: v for k, v in evaluation.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        }
    rows: dict = {}
    for split, values in splits.items():
        for key, value in values.items():
            name = key[len(split) + 1 :] if key.startswith(f"{split}_") else key
            if name in NOT_METRICS or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            if not math.isfinite(float(value)):
                continue
            rows.setdefault(name, {})[split] = float(value)
    return rows, list(splits)


def metrics_table(evaluation: dict) -> tuple[str, list]:
    """`(markdown table, metric names)`: one row per metric, one column per split."""
    rows, splits = _metric_rows(evaluation)
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
    return header + body, list(rows)


def eval_results(evaluation: dict, is_classifier: bool, datasets, dataset_name) -> list:
    """The card's `model-index` entries (`huggingface_hub.EvalResult`): one per metric and split, the metric named as
    what it is (balanced accuracy is not accuracy), the dataset and the split named."""
    from huggingface_hub import EvalResult

    rows, _ = _metric_rows(evaluation)
    dataset_type = datasets[0] if datasets else "custom"
    name = dataset_name or (datasets[0] if datasets else "EEG recordings (unpublished)")
    split_spec = evaluation.get("split")
    results = []
    for metric, cells in rows.items():
        metric_type, metric_name = METRIC_NAMES.get(metric, (metric, metric.replace("_", " ")))
        for split, value in cells.items():
            split_name = split if split != "value" else "evaluation"
            if split_spec:
                split_name = f"{split_name} ({split_spec})"
            results.append(
                EvalResult(
                    task_type="eeg-classification" if is_classifier else "feature-extraction",
                    task_name="EEG classification" if is_classifier else "EEG feature extraction",
                    dataset_type=dataset_type,
                    dataset_name=name,
                    dataset_split=split_name,
                    metric_type=metric_type,
                    metric_name=metric_name,
                    metric_value=round(value, 6),
                )
            )
    return results


def preprocessing_contract(c: dict) -> str:
    """The feature extractor's configuration (its `preprocessor_config.json` / `to_dict()`) in words and numbers."""
    rate, window = c["sampling_rate"], c["window_seconds"]
    stride = c.get("window_stride_seconds") or window
    lines = [
        "- **Channels**: EEG channels only (mne channel type `eeg`; channels in `info['bads']` are dropped), any "
        "montage. Each channel is identified by its 3-D electrode position, looked up from its name (10-05 names "
        "including old T3/T4/T5/T6 and `EEG FP1-REF` styles, BioSemi A1..D32, `A-B` bipolar pairs → midpoint) or "
        "taken from the recording's montage; an unknown name is an error listing every unknown channel."
    ]
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
        f"- **Units**: microvolts. mne objects are read in volts; arrays are taken as `{c.get('units', 'V')}` unless "
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


def _is_classifier(config: dict) -> bool:
    return any(name.endswith("ForSequenceClassification") for name in config.get("architectures") or [])


def model_card_text(
    config: Optional[dict],
    extractor: Optional[dict],
    evaluation: Optional[dict] = None,
    training_summary: str = "",
    repo_id: Optional[str] = None,
    datasets=None,
    license: str = "mit",
    base_model: Optional[str] = None,
    tags=(),
    dataset_name: Optional[str] = None,
    extra_sections=(),
) -> str:
    """The card's markdown (YAML header included) for a model `config` (config.json as a dict) and its `extractor`
    (preprocessor_config.json as a dict); either may be `None` while the folder is half saved. `extra_sections`
    (markdown) follow the summary, e.g. where converted weights came from; like the other options they are recorded in
    the card and kept when it is rewritten."""
    from huggingface_hub import ModelCardData

    config = config or {}
    is_classifier = _is_classifier(config)
    datasets = list(datasets) if datasets else None
    license = license or "mit"
    base_model = base_model or config.get("finetuned_from")
    table, metric_names = metrics_table(evaluation) if evaluation else ("", [])
    results = eval_results(evaluation, is_classifier, datasets, dataset_name) if table else []
    name = repo_id or "path/to/this/folder"
    model_name = (repo_id or "neuript").split("/")[-1]
    card_tags = list(dict.fromkeys([*TAGS, *(["eeg-classification"] if is_classifier else []), *(tags or [])]))
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="feature-extraction",
        license=license,
        tags=card_tags,
        datasets=datasets,
        base_model=base_model,
        metrics=sorted({METRIC_NAMES.get(m, (m,))[0] for m in metric_names}) or None,
        model_name=model_name if results else None,
        eval_results=results or None,
    )
    id2label = config.get("id2label") or {}
    labels = [id2label[str(i)] if str(i) in id2label else id2label.get(i) for i in range(len(id2label))]

    sections = [f"# NeurIPT {'classifier' if is_classifier else 'encoder'}"]
    summary = (
        'NeurIPT ("NeurIPT: Foundation Model for Neural Interfaces", Fang et al., NeurIPS 2025, '
        f"[arXiv:{ARXIV_ID}](https://arxiv.org/abs/{ARXIV_ID})) is an EEG transformer: every sample point is a token, "
        "attention alternates between time (within a channel) and channels (at each time step), electrodes are "
        "identified by their 3-D position so any montage works, and deeper feed-forwards are a progressive mixture "
        "of experts."
    )
    if is_classifier:
        summary += (
            f" This checkpoint classifies EEG windows into {len(labels)} classes: "
            + ", ".join(f"`{label}`" for label in labels)
            + f", with intra-inter lobe pooling (IILP) over `{config.get('lobe_grouping')}` lobe groups and a "
            f"{config.get('classifier_head')} head."
        )
    if base_model:
        summary += f" Fine-tuned from [`{base_model}`](https://huggingface.co/{base_model})."
    sections.append(summary)
    if config:
        sections.append(
            "| | |\n|---|---|\n"
            f"| hidden size, layers, heads | {config.get('hidden_size')}, {config.get('num_hidden_layers')}, "
            f"{config.get('num_attention_heads')} |\n"
            f"| routed experts per layer | {config.get('num_experts_per_layer')} |\n"
            f"| time merges per layer | {config.get('merge_factors')} |\n"
            f"| patch size | {config.get('patch_size')} sample(s) |\n"
            f"| trained on | {config.get('window_seconds')} s windows at {config.get('sampling_rate')} Hz |\n"
            f"| saved with | transformers {config.get('transformers_version')}, "
            f"neuript {config.get('neuript_version')} |"
        )
    sections.extend(extra_sections or ())

    if extractor:
        contract = (
            "The model only gives meaningful outputs on inputs prepared exactly like its training data. The feature "
            "extractor saved with it (`preprocessor_config.json`) does all of this from a raw recording and its "
            "channel names:\n\n" + preprocessing_contract(extractor)
        )
    else:
        contract = (
            "**No feature extractor was saved with this model**, so the preprocessing its inputs need is not recorded "
            "here. Save the `NeurIPTFeatureExtractor` it was trained with into the same folder "
            "(`extractor.save_pretrained(folder)`, or `Trainer(..., processing_class=extractor)`) and this section "
            "states it."
        )
    sections.append("## Preprocessing contract\n\n" + contract)

    if table:
        described = []
        if evaluation.get("task"):
            described.append(f"task `{evaluation['task']}`")
        if evaluation.get("split"):
            described.append(f"split `{evaluation['split']}`")
        if datasets:
            described.append("data " + ", ".join(f"`{d}`" for d in datasets))
        sizes = evaluation.get("sizes") if isinstance(evaluation.get("sizes"), dict) else {}
        if sizes.get("train"):
            described.append(f"{sizes['train']} training windows")
        if evaluation.get("model"):
            described.append(f"fine-tuned from `{evaluation['model']}`")
        intro = "Last evaluation" + (f" ({'; '.join(described)})" if described else "") + ":"
        note = (
            "`balanced_accuracy` is the mean of the per-class recalls (chance level: 1 / classes), not plain "
            "accuracy. " if "balanced_accuracy" in metric_names else ""
        )
        sections.append(
            f"## Evaluation\n\n{intro}\n\n{table}\n{note}The numbers hold for these data and this split only; "
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
    sections.append(usage_section(name, is_classifier))
    if training_summary:
        sections.append(f"## Training procedure\n\n{SUMMARY_START}\n{training_summary}\n{SUMMARY_END}")
    sections.append(
        "## Citation\n\n```bibtex\n@inproceedings{fang2025neuript,\n  title={NeurIPT: Foundation Model for Neural "
        "Interfaces},\n  author={Fang and Li and Zhou and Yu and Du and Qasem and Lu and Li and Zhang and Goh},\n  "
        "booktitle={Advances in Neural Information Processing Systems (NeurIPS)},\n  year={2025},\n  "
        f"note={{arXiv:{ARXIV_ID}}}\n}}\n```"
    )
    options = {"repo_id": repo_id, "datasets": datasets, "license": license, "base_model": base_model,
               "tags": list(tags or []) or None, "dataset_name": dataset_name,
               "extra_sections": list(extra_sections or []) or None}
    hidden = MARKER + json.dumps({k: v for k, v in options.items() if v}, sort_keys=True) + " -->"
    return f"---\n{data.to_yaml()}\n---\n\n{hidden}\n\n" + "\n\n".join(sections) + "\n"


def usage_section(name: str, is_classifier: bool) -> str:
    task = "eeg-classification" if is_classifier else "eeg-feature-extraction"
    auto_class = "AutoModelForSequenceClassification" if is_classifier else "AutoModel"
    per_window = (
        "[{'start': 0.0, 'end': ..., 'label': ..., 'score': ..., 'scores': {...}, ...}, ...]"
        if is_classifier
        else "[{'start': 0.0, 'end': ..., 'embedding': array(...), ...}, ...]"
    )
    return (
        "## How to use\n\n"
        f"Requirements: `torch`, `numpy`, `{TRANSFORMERS_REQUIREMENT}`, `scipy` (filters and resampling) and `mne` "
        "(reading files). `trust_remote_code=True` runs the Python files of this repository (plain source: read them, "
        "and pin `revision=` to a commit you reviewed). The Hub lists the model under `feature-extraction`; its "
        f"pipeline task is **`{task}`** (declared in `config.json`, `custom_pipelines`).\n\n"
        "One recording in, one result per window out:\n\n"
        "```python\nfrom transformers import pipeline\n"
        f'pipe = pipeline("{task}", model="{name}", trust_remote_code=True)\n'
        'pipe("recording.edf")   # or an mne.io.Raw, or an array with channel_names=[...], sampling_rate=...\n'
        f"# {per_window}\n```\n\n"
        "Step by step:\n\n"
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
        "Fine-tuning on your own labelled windows (rows with `input_values` (channels, time), `channel_positions` "
        "(channels, 3) and `label`, e.g. the windows `extractor(recording)` returns, with your labels): a new head "
        "for your labels, the extractor as `processing_class` (it pads channels for every batch and is saved with "
        "each checkpoint), and the EEG metrics the model carries:\n\n"
        "```python\nfrom transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments\n"
        f'model = AutoModelForSequenceClassification.from_pretrained("{name}", trust_remote_code=True,\n'
        '    num_labels=3, id2label={0: "face", 1: "house", 2: "checkerboard"}, ignore_mismatched_sizes=True)\n'
        'trainer = Trainer(model=model, args=TrainingArguments("out", eval_strategy="epoch"),\n'
        "    train_dataset=train, eval_dataset=validation, processing_class=extractor,\n"
        "    compute_metrics=model.compute_metrics)   # balanced accuracy, Cohen's kappa, weighted F1, ROC AUC\n"
        'trainer.train(); trainer.save_model("out/model")   # loads again with pipeline(..., trust_remote_code=True)\n'
        "```\n\n"
        "With the `neuript` package installed (`import modeling_neuript`), the same classes load without remote code; "
        "`modeling_neuript.interop.onnx_export` turns a classifier into ONNX or a `torch.export` program."
    )


__all__ = [
    "attach_to_calling_trainer",
    "push_folder",
    "card_state",
    "metrics_table",
    "model_card_text",
    "preprocessing_contract",
    "write_model_card",
]
