"""NeurIPT as a braindecode model: train and predict it with `braindecode.EEGClassifier` (skorch) like any other.

    from braindecode import EEGClassifier
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode

    module = NeurIPTBraindecode.from_neuript("runs/pt/model", chs_info=raw.info["chs"], n_times=64, n_outputs=2)
    clf = EEGClassifier(module, max_epochs=10, lr=1e-3, batch_size=32, train_split=None)
    clf.fit(X, y)                                    # X (windows, channels, times) float32, volts, 64 Hz
    clf.predict(X_new)

`NeurIPTBraindecode` has braindecode's signal attributes (`n_chans`, `n_times`, `n_outputs`, `chs_info`, `sfreq`,
`input_window_seconds`), `forward(x: (B, C, T)) -> (B, n_outputs)`, the classification head as `final_layer`,
`reset_head(n_outputs)` and `forward(x, return_features=True)` (the IILP features), as braindecode 1.8's models do.

Input contract. braindecode feeds windows of the recording as mne stores them (volts). NeurIPT's inputs are the
feature extractor's output: band-pass 0.1–30 Hz + notch, 64 Hz, µV, A-law companded. The recording-level steps
(filters, resampling) belong before windowing; `forward` does the per-sample steps, chosen by `input_units`:

- `"V"` (default): windows in volts at 64 Hz, already filtered → × 1e6 → A-law (`alaw_A`);
- `"uV"`: the same in µV → A-law;
- `"companded"`: the feature extractor's `input_values` as they are (e.g. `event_windows(...)["input_values"]`).

`sfreq`, when given, must be the model's 64 Hz. Electrode positions come from `chs_info`: each channel's `loc[:3]`
(metres, MNE head frame) when it is set (non-zero, finite), otherwise from the channel name (`electrodes_neuript`);
a channel with neither is a `ValueError`.

What EEGClassifier does not see: the PMoE load-balancing loss (its criterion gets the logits only). Each forward stores
it in `module.aux_loss`; add `router_aux_loss_coef · aux_loss` in a custom skorch `get_loss` if you train long.

Importing braindecode 1.8 imports torchaudio, which has no wheel for every torch release. Where torchaudio cannot be
imported, importing this module is an `ImportError` that says so; call
`modeling_neuript.interop.braindecode_support.import_braindecode(allow_torchaudio_stand_in=True)` first to use a
stand-in (the braindecode parts used here, EEGModuleMixin and EEGClassifier, never use torchaudio).
"""

import copy
import math
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from modeling_neuript.interop.braindecode_support import import_braindecode

import_braindecode()  # a clear ImportError where braindecode cannot be imported (e.g. no torchaudio for this torch)
from braindecode.models.base import EEGModuleMixin  # noqa: E402

from modeling_neuript.electrodes_neuript import resolve_channel_positions  # noqa: E402
from modeling_neuript.feature_extraction_neuript import a_law_compress  # noqa: E402
from modeling_neuript.modeling_neuript import NeurIPTForSequenceClassification, batched_positions  # noqa: E402

INPUT_SCALES = {"V": 1e6, "uV": 1.0, "companded": None}


def positions_from_chs_info(chs_info: Sequence[dict]) -> np.ndarray:
    """Electrode positions `(C, 3)` (metres, MNE head frame) of mne-style channel dicts (`info["chs"]`, or dicts with
    at least `ch_name`): `loc[:3]` where it is set, the name's table position otherwise."""
    if not chs_info:
        raise ValueError("chs_info is empty: give one dict per channel with 'ch_name' (and optionally 'loc').")
    names, given = [], {}
    for index, channel in enumerate(chs_info):
        if not isinstance(channel, dict) or "ch_name" not in channel:
            raise ValueError(f"chs_info[{index}] must be a dict with a 'ch_name' key (mne's info['chs']), got {channel!r}.")
        names.append(str(channel["ch_name"]))
        loc = channel.get("loc")
        if loc is not None:
            xyz = np.asarray(loc, dtype=np.float64).reshape(-1)[:3]
            if xyz.size == 3 and np.all(np.isfinite(xyz)) and np.any(xyz != 0):  # mne marks "no position" with 0s
                given[names[-1]] = tuple(float(v) for v in xyz)
    positions, _ = resolve_channel_positions(names, given or None)
    return positions


def _load_classifier(model: str, n_outputs: int) -> NeurIPTForSequenceClassification:
    """A classifier with `n_outputs` classes from a preset (random init) or a checkpoint folder (always through
    `from_pretrained`: its encoder, and its head when the checkpoint is a classifier with `n_outputs` labels,
    otherwise a new head)."""
    from pathlib import Path

    from modeling_neuript.training.factory import build_classifier, resolve_config

    names = {i: f"class_{i}" for i in range(n_outputs)}
    if Path(model).is_dir():
        saved = resolve_config(model)  # a folder without config.json is refused here, naming it
        if saved.num_labels == n_outputs:
            names = dict(saved.id2label)
    return build_classifier(model, n_outputs, names)


class NeurIPTBraindecode(EEGModuleMixin, nn.Module):
    """
    A NeurIPT classifier (encoder → IILP pooling → `final_layer`) with braindecode's model interface.

    Parameters
    ----------
    n_outputs : int
        Number of classes. Defaults to `neuript`'s `num_labels` when `neuript` is a classifier.
    n_chans : int
        Number of channels; must match `chs_info` (which is required: NeurIPT needs electrode positions).
    chs_info : list of dict
        mne-style channel dicts (`raw.info["chs"]`, or `[{"ch_name": "Cz"}, ...]`).
    n_times : int
        Samples per window at 64 Hz (any multiple of the model's `patch_size`).
    input_window_seconds : float
        Alternative to `n_times`.
    sfreq : float
        Must be the model's sampling rate (64 Hz) when given.
    neuript : str or NeurIPTForSequenceClassification
        A preset name (`"neuript-tiny"`, random weights), a checkpoint folder (its encoder is loaded) or a classifier
        object (used as it is, not copied).
    input_units : str
        `"V"`, `"uV"` or `"companded"` (see the module docstring).
    alaw_A : float
        A-law parameter applied to `"V"`/`"uV"` inputs (the feature extractor's, 0.25); `None` disables companding.
    """

    def __init__(
        self,
        n_outputs: Optional[int] = None,
        n_chans: Optional[int] = None,
        chs_info: Optional[list] = None,
        n_times: Optional[int] = None,
        input_window_seconds: Optional[float] = None,
        sfreq: Optional[float] = None,
        neuript: Union[str, NeurIPTForSequenceClassification] = "neuript-tiny",
        input_units: str = "V",
        alaw_A: Optional[float] = 0.25,
    ):
        if chs_info is None:
            raise ValueError(
                "chs_info is required: NeurIPT identifies channels by electrode position. Pass raw.info['chs'] or "
                "[{'ch_name': name} for name in channel_names]."
            )
        if input_units not in INPUT_SCALES:
            raise ValueError(f"input_units must be one of {list(INPUT_SCALES)}, got {input_units!r}.")
        if isinstance(neuript, NeurIPTForSequenceClassification):
            classifier = neuript
            if n_outputs is None:
                n_outputs = classifier.config.num_labels
            elif n_outputs != classifier.config.num_labels:
                raise ValueError(
                    f"n_outputs={n_outputs} but the classifier has {classifier.config.num_labels} labels; build it "
                    f"with num_labels={n_outputs}, or call reset_head({n_outputs}) after construction."
                )
        else:
            if n_outputs is None:
                raise ValueError("n_outputs is required when `neuript` is a preset or checkpoint path.")
            classifier = _load_classifier(str(neuript), n_outputs)
        super().__init__(
            n_outputs=n_outputs, n_chans=n_chans, chs_info=chs_info, n_times=n_times,
            input_window_seconds=input_window_seconds, sfreq=sfreq,
        )  # fmt: skip
        config = classifier.config
        if sfreq is not None and not math.isclose(float(sfreq), float(config.sampling_rate)):
            raise ValueError(
                f"sfreq={sfreq} Hz, but NeurIPT takes {config.sampling_rate} Hz windows: resample the recording first "
                f"(braindecode: Preprocessor('resample', sfreq={config.sampling_rate}); or NeurIPTFeatureExtractor)."
            )
        if self.n_times % config.patch_size:
            raise ValueError(f"n_times={self.n_times} must be a multiple of patch_size={config.patch_size}.")
        self.config = copy.deepcopy(config)  # reset_head edits it; the caller's classifier keeps its own
        self.input_units = input_units
        self.alaw_A = alaw_A
        self.neuript = classifier.neuript
        self.pooling = classifier.pooling
        self.dropout = classifier.dropout
        self.final_layer = classifier.classifier
        self.register_buffer(
            "channel_positions", torch.as_tensor(positions_from_chs_info(self.chs_info), dtype=torch.float32)
        )
        self.aux_loss = None

    @classmethod
    def from_neuript(
        cls,
        model: Union[str, NeurIPTForSequenceClassification],
        chs_info: list,
        n_times: int,
        n_outputs: Optional[int] = None,
        **kwargs,
    ) -> "NeurIPTBraindecode":
        """From a NeurIPT checkpoint folder or classifier object: `n_outputs` defaults to the classifier's labels; a
        checkpoint path needs `n_outputs` (its encoder is loaded, a head of that size is new unless it matches)."""
        if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
            model = str(model)
            if n_outputs is None:
                from modeling_neuript.configuration_neuript import NeurIPTConfig

                n_outputs = NeurIPTConfig.from_pretrained(model).num_labels
        return cls(n_outputs=n_outputs, chs_info=chs_info, n_times=n_times, neuript=model, **kwargs)

    def model_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """`x (B, C, T)` in `input_units` → NeurIPT `input_values (B, C, T)` (A-law-companded µV)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"x must be a (batch, channels, times) tensor, got {shape}.")
        if x.shape[1] != self.n_chans:
            raise ValueError(f"x has {x.shape[1]} channels but the model was built for n_chans={self.n_chans}.")
        scale = INPUT_SCALES[self.input_units]
        if scale is None:
            return x
        x = x * scale
        return a_law_compress(x, self.alaw_A) if self.alaw_A is not None else x

    def forward(self, x: torch.Tensor, return_features: bool = False):
        """
        Args:
            x: `(batch, n_chans, n_times)` float windows, units as `input_units` says.
            return_features: return `{"features": (batch, R·G·hidden), "cls_token": None}` (IILP features) instead
                of the logits.
        Returns:
            logits `(batch, n_outputs)`.
        """
        values = self.model_inputs(x)
        positions = batched_positions(self.channel_positions.to(values.dtype), values.shape[0])
        outputs = self.neuript(values, positions, output_hidden_states=True)
        self.aux_loss = outputs.aux_loss
        features = self.pooling(outputs.hidden_states, positions, None)
        if return_features:
            return {"features": features, "cls_token": None}
        return self.final_layer(self.dropout(features))

    def reset_head(self, n_outputs: int) -> None:
        """A new, randomly initialised `final_layer` with `n_outputs` classes (a linear head)."""
        self._set_n_outputs(n_outputs)
        features = self.final_layer.in_features if isinstance(self.final_layer, nn.Linear) else self.final_layer[0].in_features
        self.final_layer = nn.Linear(features, n_outputs).to(self.channel_positions.device)
        self.config.num_labels = n_outputs

    def to_neuript(self) -> NeurIPTForSequenceClassification:
        """A `NeurIPTForSequenceClassification` holding this module's current weights (copied), ready for
        `save_pretrained` and the Auto classes."""
        config = copy.deepcopy(self.config)
        config.num_labels = self.n_outputs
        if len(config.id2label) != self.n_outputs:
            config.id2label = {i: f"class_{i}" for i in range(self.n_outputs)}
            config.label2id = {v: k for k, v in config.id2label.items()}
        model = NeurIPTForSequenceClassification(config)
        state = {k: v for k, v in self.state_dict().items() if k != "channel_positions"}
        state = {("classifier." + k[len("final_layer."):] if k.startswith("final_layer.") else k): v
                 for k, v in state.items()}
        model.load_state_dict(state, strict=True)
        return model.eval()


__all__ = ["NeurIPTBraindecode", "import_braindecode", "positions_from_chs_info"]
