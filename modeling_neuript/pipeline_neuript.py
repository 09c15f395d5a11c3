# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""transformers pipelines for NeurIPT: a whole EEG recording in, one result per window out.

    from transformers import pipeline
    classify = pipeline("eeg-classification", model="runs/face-house/model", trust_remote_code=True)
    classify("recording.edf")            # [{"start": 0.0, "end": 4.0, "label": "face", "score": 0.71, ...}, ...]

Two tasks, declared in every saved checkpoint (`NeurIPTPreTrainedModel.save_pretrained` writes
`config.custom_pipelines` and transformers copies this file with the model code), so that `pipeline(task,
model=folder_or_repo, trust_remote_code=True)` works where the package is not installed; transformers serves a
declared pipeline only with `trust_remote_code=True`, also where it is. `import modeling_neuript` registers both with
`PIPELINE_REGISTRY` too (`register_pipelines()`), for checkpoints saved before they were declared:

- `"eeg-classification"` (`NeurIPTEEGClassificationPipeline`, loads `AutoModelForSequenceClassification`): per window
  `start`/`end` (seconds), `label`, `score`, every label's score, and the extractor's artifact flags.
- `"eeg-feature-extraction"` (`NeurIPTEEGFeatureExtractionPipeline`, loads `AutoModel`): per window an embedding — the
  intra-inter lobe pooled features the classifier head reads (default), their plain mean, or the full hidden states.

Inputs, for both: a file path mne can read (EDF, BDF, FIF, BrainVision, ...), an `mne.io.Raw` (duck typed: anything
with `get_data`, `info` and `ch_names`), or a `(channels, time)` array with `channel_names=` and `sampling_rate=` (also
as a dict `{"signal": array, "channel_names": [...], "sampling_rate": 256}`). The checkpoint's feature extractor does
all preprocessing; the windows have its length (`window_seconds`), `hop_seconds=` sets the step between them. The
extractor must match the model (`checkpoint_neuript.check_extractor_matches`: rate, window, head frame).

Part of the Hub bundle: at import time it needs only numpy, torch, transformers and its siblings; mne is imported
inside a function, and only for file paths.
"""

import os
from typing import Any, Optional

import numpy as np
import torch
from transformers import Pipeline

from .checkpoint_neuript import check_extractor_matches
from .modeling_neuript import IntraInterLobePooling


def read_recording(path: os.PathLike):
    """An `mne.io.Raw` (preloaded, volts) of any file format mne reads; the format is chosen from the extension."""
    try:
        import mne
    except ImportError:  # the bundle must import without mne; only file paths need it
        raise ImportError(
            "Reading EEG files needs mne (`pip install mne`); or pass an array with channel_names= and sampling_rate="
        ) from None
    if not os.path.exists(path):
        raise ValueError(f"No such file: {path!r}. Pass a recording mne can read (EDF, BDF, FIF, ...).")
    return mne.io.read_raw(path, preload=True, verbose="error")


def _is_mne_like(obj: Any) -> bool:
    return hasattr(obj, "get_data") and hasattr(obj, "info") and hasattr(obj, "ch_names")


class _NeurIPTEEGPipeline(Pipeline):
    """Shared input handling: one recording → all its windows through the checkpoint's feature extractor."""

    _load_feature_extractor = True
    _load_tokenizer = False
    _load_image_processor = False
    _load_video_processor = False
    _load_processor = False

    _preprocess_keys = ("channel_names", "sampling_rate", "units", "channel_positions", "line_freq", "hop_seconds")
    _postprocess_names: tuple = ()

    def _sanitize_parameters(self, window_batch_size=None, **kwargs):
        preprocess = {key: kwargs.pop(key) for key in self._preprocess_keys if key in kwargs}
        forward = {}
        if window_batch_size is not None:
            if isinstance(window_batch_size, bool) or not isinstance(window_batch_size, int) or window_batch_size < 1:
                raise ValueError(f"window_batch_size must be a positive int, got {window_batch_size!r}.")
            forward["window_batch_size"] = window_batch_size
        postprocess = self._postprocess_parameters(kwargs)
        if kwargs:
            raise ValueError(
                f"{type(self).__name__} does not take {sorted(kwargs)}; it takes {list(self._preprocess_keys)}, "
                f"window_batch_size and {self._postprocess_names}."
            )
        return preprocess, forward, postprocess

    def get_iterator(self, inputs, num_workers, batch_size, *args, **kwargs):
        if batch_size is not None and batch_size > 1:
            raise ValueError(
                f"batch_size={batch_size} would batch whole recordings, which this pipeline does not do: the windows "
                "of each recording are already batched (window_batch_size=, default 64). Leave batch_size at 1."
            )
        return super().get_iterator(inputs, num_workers, batch_size, *args, **kwargs)

    def _postprocess_parameters(self, kwargs: dict) -> dict:
        return {key: kwargs.pop(key) for key in self._postprocess_names if key in kwargs}

    def _extractor_for(self, hop_seconds: Optional[float]):
        """The checkpoint's feature extractor, or a copy of it with another window step."""
        extractor = self.feature_extractor
        if extractor is None:
            raise ValueError(
                "This pipeline needs the checkpoint's feature extractor (preprocessor_config.json); the checkpoint has "
                "none. Save one with `extractor.save_pretrained(folder)` or pass `feature_extractor=` to `pipeline()`."
            )
        check_extractor_matches(extractor, self.model.config, f"{type(self).__name__}")
        if hop_seconds is None:
            return extractor
        if isinstance(hop_seconds, bool) or not isinstance(hop_seconds, (int, float)) or not hop_seconds > 0:
            raise ValueError(f"hop_seconds must be a positive number of seconds, got {hop_seconds!r}.")
        settings = {**extractor.to_dict(), "window_stride_seconds": float(hop_seconds)}
        settings.pop("feature_extractor_type", None)
        return type(extractor)(**settings)  # validates: hop × rate must be a whole number of samples

    def preprocess(
        self,
        inputs,
        channel_names=None,
        sampling_rate=None,
        units=None,
        channel_positions=None,
        line_freq=None,
        hop_seconds=None,
    ):
        if isinstance(inputs, dict):
            unknown = set(inputs) - {"signal", "channel_names", "sampling_rate", "units", "line_freq"}
            if "signal" not in inputs or unknown:
                raise ValueError(
                    "A dict input needs 'signal' (channels, time) and may hold 'channel_names', 'sampling_rate', "
                    f"'units', 'line_freq'; got keys {sorted(inputs)}."
                )
            channel_names = inputs.get("channel_names", channel_names)
            sampling_rate = inputs.get("sampling_rate", sampling_rate)
            units = inputs.get("units", units)
            line_freq = inputs.get("line_freq", line_freq)
            inputs = inputs["signal"]
        if isinstance(inputs, (str, os.PathLike)):
            inputs = read_recording(inputs)
        if not (_is_mne_like(inputs) or isinstance(inputs, (np.ndarray, torch.Tensor))):
            raise ValueError(
                "The pipeline takes a file path, an mne.io.Raw, or a (channels, time) array with channel_names= and "
                f"sampling_rate=; got {type(inputs).__name__}."
            )
        extractor = self._extractor_for(hop_seconds)
        features = extractor(
            inputs,
            channel_names=channel_names,
            sampling_rate=sampling_rate,
            units=units,
            channel_positions=channel_positions,
            line_freq=line_freq,
            return_tensors="pt",
        )
        start = features["window_start_seconds"].double().numpy()
        metadata = {
            "start": start,
            "end": start + extractor.window_seconds,
            "artifact_amplitude": features["artifact_amplitude"].bool().numpy(),
            "artifact_flat": features["artifact_flat"].bool().numpy(),
            "channel_names": features["channel_names"],
        }
        inputs = {key: features[key] for key in ("input_values", "channel_positions", "channel_mask")}
        return {"model_inputs": inputs, "metadata": metadata}

    def _forward(self, model_inputs, window_batch_size: int = 64, **options):
        inputs = model_inputs["model_inputs"]
        count = inputs["input_values"].shape[0]
        outputs = [
            self._run_model({key: value[i : i + window_batch_size] for key, value in inputs.items()}, **options)
            for i in range(0, count, window_batch_size)
        ]
        return {"outputs": torch.cat(outputs), "metadata": model_inputs["metadata"]}

    def _run_model(self, batch: dict, **options) -> torch.Tensor:
        """Model outputs of one batch of windows, `(windows, ...)`."""
        raise NotImplementedError

    @staticmethod
    def _window(metadata: dict, index: int) -> dict:
        return {"start": float(metadata["start"][index]), "end": float(metadata["end"][index])}


class NeurIPTEEGClassificationPipeline(_NeurIPTEEGPipeline):
    """
    Classify every window of an EEG recording with a fine-tuned NeurIPT classifier.

    Call arguments (also accepted by `pipeline(...)` as defaults):
        channel_names, sampling_rate, units, channel_positions, line_freq: for array inputs, as in the feature
            extractor's `__call__`.
        hop_seconds (`float`, *optional*): step between window starts; default: the extractor's (non-overlapping).
        window_batch_size (`int`, *optional*, defaults to 64): windows per forward pass.
        function_to_apply (`str`, *optional*): `"softmax"`, `"sigmoid"` or `"none"`; default: softmax for
            single-label, sigmoid for multi-label, none for regression (`config.problem_type`).

    Returns:
        A list with one dict per window, in time order: `start` and `end` (seconds from the start of the recording),
        `label` (highest score), `score`, `scores` (`{label: score}` for every label), `artifact_amplitude` and
        `artifact_flat` (the extractor's flags: some |sample| > 100 µV, some channel flat).
    """

    _postprocess_names = ("function_to_apply",)

    def _run_model(self, batch):
        return self.model(**batch).logits.float()  # (B, num_labels)

    def postprocess(self, model_outputs, function_to_apply: Optional[str] = None):
        logits = model_outputs["outputs"]
        if function_to_apply is None:
            problem = getattr(self.model.config, "problem_type", None)
            function_to_apply = {"multi_label_classification": "sigmoid", "regression": "none"}.get(problem, "softmax")
        if function_to_apply == "softmax":
            scores = logits.softmax(dim=-1)
        elif function_to_apply == "sigmoid":
            scores = logits.sigmoid()
        elif function_to_apply == "none":
            scores = logits
        else:
            raise ValueError(f"function_to_apply must be 'softmax', 'sigmoid' or 'none', got {function_to_apply!r}.")
        id2label = self.model.config.id2label
        names = [id2label[i] for i in range(scores.shape[-1])]
        metadata = model_outputs["metadata"]
        results = []
        for index, row in enumerate(scores.tolist()):
            best = int(np.argmax(row))
            results.append(
                {
                    **self._window(metadata, index),
                    "label": names[best],
                    "score": row[best],
                    "scores": dict(zip(names, row)),
                    "artifact_amplitude": bool(metadata["artifact_amplitude"][index]),
                    "artifact_flat": bool(metadata["artifact_flat"][index]),
                }
            )
        return results


class NeurIPTEEGFeatureExtractionPipeline(_NeurIPTEEGPipeline):
    """
    Embed every window of an EEG recording with a NeurIPT encoder (any NeurIPT checkpoint; a classifier's head is
    not used).

    Call arguments: as [`NeurIPTEEGClassificationPipeline`], and
        pooling (`str`, *optional*, defaults to `"iilp"`):
            - `"iilp"`: intra-inter lobe pooling, `(R · G · hidden_size,)` — exactly the features a
              `NeurIPTForSequenceClassification` head reads (`pooled_output`), for linear probes;
            - `"mean"`: the last hidden state averaged over channels and time tokens, `(hidden_size,)`;
            - `"none"`: the last hidden state, `(channels, time_tokens, hidden_size)` (padded channels removed).

    Returns:
        A list with one dict per window: `start`, `end` (seconds), `embedding` (a float32 numpy array),
        `channel_names` (the window's channels, in the order of a `"none"` embedding).
    """

    def _sanitize_parameters(self, pooling=None, **kwargs):
        preprocess, forward, postprocess = super()._sanitize_parameters(**kwargs)
        if pooling is not None:
            if pooling not in ("iilp", "mean", "none"):
                raise ValueError(f"pooling must be 'iilp', 'mean' or 'none', got {pooling!r}.")
            forward["pooling"] = pooling
        return preprocess, forward, postprocess

    def _forward(self, model_inputs, window_batch_size: int = 64, pooling: str = "iilp"):
        outputs = super()._forward(model_inputs, window_batch_size, pooling=pooling)
        if pooling == "none":  # windows may differ in channels after padding removal: keep them per window
            mask = model_inputs["model_inputs"]["channel_mask"].bool()
            outputs["outputs"] = [hidden[real] for hidden, real in zip(outputs["outputs"], mask)]
        return outputs

    def _run_model(self, batch, pooling: str = "iilp"):
        outputs = self.model(**batch, output_hidden_states=pooling == "iilp")
        if pooling == "iilp":
            lobe_pooling = IntraInterLobePooling(self.model.config)
            return lobe_pooling(outputs.hidden_states, batch["channel_positions"], batch["channel_mask"]).float()
        hidden = outputs.last_hidden_state.float()  # (B, C, L, D)
        if pooling == "mean":
            mask = batch["channel_mask"].to(hidden.dtype)[:, :, None]  # (B, C, 1)
            return (hidden.mean(dim=2) * mask).sum(dim=1) / mask.sum(dim=1)
        return hidden

    def postprocess(self, model_outputs):
        metadata = model_outputs["metadata"]
        return [
            {
                **self._window(metadata, index),
                "embedding": embedding.numpy().astype(np.float32),
                "channel_names": list(metadata["channel_names"][index]),
            }
            for index, embedding in enumerate(model_outputs["outputs"])
        ]


def register_pipelines():
    """Register `"eeg-classification"` and `"eeg-feature-extraction"` with transformers' `PIPELINE_REGISTRY`, so
    `pipeline(task, model=folder)` builds them (called by `import modeling_neuript`)."""
    from transformers import AutoModel, AutoModelForSequenceClassification
    from transformers.pipelines import PIPELINE_REGISTRY

    for task, pipeline_class, model_class in PIPELINE_TASKS:
        if PIPELINE_REGISTRY.supported_tasks.get(task, {}).get("impl") is pipeline_class:
            continue  # already registered (a re-import): avoid transformers' "overwriting" warning
        auto_class = {"AutoModel": AutoModel, "AutoModelForSequenceClassification": AutoModelForSequenceClassification}
        PIPELINE_REGISTRY.register_pipeline(task, pipeline_class=pipeline_class, pt_model=auto_class[model_class])


# (task, pipeline class, the transformers Auto class it loads): also what every saved config declares
PIPELINE_TASKS = (
    ("eeg-classification", NeurIPTEEGClassificationPipeline, "AutoModelForSequenceClassification"),
    ("eeg-feature-extraction", NeurIPTEEGFeatureExtractionPipeline, "AutoModel"),
)


def custom_pipelines(model) -> dict:
    """`config.custom_pipelines` of a saved model (written by `NeurIPTPreTrainedModel.save_pretrained`): the tasks
    its folder serves with `pipeline(task, model=folder, trust_remote_code=True)` — feature extraction for every
    NeurIPT model, classification for classifiers. transformers reads the declaration before any registered task, so
    such folders need `trust_remote_code=True` even where this package is installed."""
    is_classifier = hasattr(model, "classifier")
    return {
        task: {"impl": f"pipeline_neuript.{pipeline_class.__name__}", "pt": [auto_class]}
        for task, pipeline_class, auto_class in PIPELINE_TASKS
        if is_classifier or auto_class == "AutoModel"
    }


__all__ = [
    "NeurIPTEEGClassificationPipeline",
    "NeurIPTEEGFeatureExtractionPipeline",
    "PIPELINE_TASKS",
    "custom_pipelines",
    "read_recording",
    "register_pipelines",
]
