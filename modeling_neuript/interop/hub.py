"""Hub publishing: a folder that is a complete Hugging Face model repository, written offline, and its upload.

    from modeling_neuript.interop.hub import save_for_hub, push_to_hub
    save_for_hub(model, extractor, "hub/face-house", metrics="runs/face-house/metrics.json")   # offline
    push_to_hub(model, extractor, "my-lab/neuript-face-house")                                  # save_for_hub + upload

Every standard route writes the same kind of repository — `model.save_pretrained` / `push_to_hub`,
`extractor.save_pretrained` / `push_to_hub`, `Trainer.save_model` / `push_to_hub` — because the Hub bundle does it
(`NeurIPTPreTrainedModel.save_pretrained`, `card_neuript`): config.json with the full `auto_map` and
`custom_pipelines`, sealed `model.safetensors`, the remote code (every `*_neuript.py` file, the pipelines included),
`preprocessor_config.json` (the preprocessing contract) and the NeurIPT model card. `save_for_hub` does that in one
call for a model and its extractor, adds the card's publishing details (metrics of the last evaluation, datasets,
licence, base model, Hub id) and `metrics.json`, and checks the result (`check_hub_folder`).

Not part of the Hub bundle.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Union

from modeling_neuript import pipeline_neuript
from modeling_neuript.card_neuript import (  # noqa: F401  (the card's pieces, also importable from here)
    TAGS,
    TRANSFORMERS_REQUIREMENT,
    metrics_table,
    model_card_text,
    preprocessing_contract,
    write_model_card,
)
from modeling_neuript.training.checkpoints import atomic_save

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
    dataset_name: Optional[str] = None,
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
            reproduce the inputs the model expects. It must match the model (`checkpoint_neuript.check_extractor_matches`).
        directory: the folder to write.
        metrics: the last evaluation, for the card's metrics table and `model-index`: the `metrics.json` (or
            `evaluation.json`) that `neuript finetune` writes, as a path or a dict (`{"validation": {...}, "test":
            {...}, ...}`), or a flat `{metric: value}` dict. `None`: the checkpoint's `evaluation.json` if the model
            was loaded from a folder that has one, else no table.
        datasets: Hub dataset ids the model was trained on (card metadata `datasets`, the `model-index` dataset).
        license: a Hub licence id (default `"mit"`, the licence of this code).
        base_model: Hub id of the checkpoint this one was fine-tuned from (default: the Hub id it was loaded from
            when its head was new, `config.finetuned_from`).
        repo_id: the Hub id the folder will be published under; used in the card's loading snippets.
        tags: extra tags, added to the standard ones (`eeg`, `arxiv:2510.16548`, ...; classifiers also get
            `eeg-classification`).
        dataset_name: a readable name of the evaluation data for the `model-index` (default: the first dataset id).
        extra_sections: Markdown sections added to the card after its summary (e.g. the provenance of converted
            weights); recorded in the card, so later saves keep them.
        extra_files: `{file name: text}` written next to the model (e.g. `conversion.json`).

    Returns:
        The folder (`Path`).
    """
    from modeling_neuript.checkpoint_neuript import check_extractor_matches

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
    check_extractor_matches(feature_extractor, config, "save_for_hub")
    evaluation = load_metrics(metrics, model)

    def write(folder: Path):
        model.save_pretrained(folder)
        feature_extractor.save_pretrained(folder)
        if evaluation is not None:
            (folder / "metrics.json").write_text(json.dumps(evaluation, indent=2) + "\n")
        for name, text in (extra_files or {}).items():
            (folder / name).write_text(text)
        write_model_card(
            folder,
            evaluation=evaluation,
            datasets=list(datasets) if datasets else None,
            license=license,
            base_model=base_model,
            repo_id=repo_id,
            tags=list(tags) or None,
            dataset_name=dataset_name,
            extra_sections=list(extra_sections) or None,
        )
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

    `card_options` go to `save_for_hub` (`metrics`, `datasets`, `license`, `base_model`, `tags`, `dataset_name`).
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
# Metrics of the last evaluation
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


__all__ = [
    "check_hub_folder",
    "load_metrics",
    "metrics_table",
    "model_card_text",
    "preprocessing_contract",
    "push_to_hub",
    "save_for_hub",
]
