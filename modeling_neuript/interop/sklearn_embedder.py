"""`NeurIPTEmbedder`: the frozen NeurIPT encoder as a scikit-learn transformer, for linear probes in a `Pipeline`.

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(NeurIPTEmbedder("runs/pt/model", channel_names=names), StandardScaler(),
                          LogisticRegression(C=0.01, max_iter=2000))
    probe.fit(X_train, y_train).score(X_test, y_test)    # X: (windows, channels, time) model inputs

`transform` runs the encoder (eval mode, no gradients) and returns the IILP features of the paper (Eqs. 11-14): per
pooled representation (the embedding output and the last layers' outputs), the time-mean of every channel averaged
within each lobe group, concatenated: `(windows, representations · groups · hidden_size)`, exactly the
`pooled_output` of `NeurIPTForSequenceClassification`. `fit` only loads the model; the encoder is never trained.
"""

from typing import Optional, Sequence, Union

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from modeling_neuript.feature_extraction_neuript import a_law_compress

INPUT_SCALES = {"V": 1e6, "uV": 1.0, "companded": None}


class NeurIPTEmbedder(TransformerMixin, BaseEstimator):
    """
    Args:
        model (`str` or NeurIPT model, defaults to `"neuript-tiny"`): a checkpoint folder (pretraining export or
            classifier: the encoder is loaded), a preset name (random weights, seeded by `random_state`), or a
            `NeurIPTModel` / `NeurIPTForSequenceClassification` object (its encoder is used; `clone` deep-copies it).
        channel_names (`list[str]`, *optional*): names of the `C` channels of `X`, resolved to positions with the
            built-in electrode tables. Give this or `channel_positions`.
        channel_positions (`array (C, 3)`, *optional*): electrode positions in metres (MNE head frame).
        input_units (`str`, defaults to `"companded"`): what `X` holds: `"companded"` (the feature extractor's
            `input_values`), `"uV"` or `"V"` (filtered, 64 Hz; A-law with `alaw_A` is applied here).
        alaw_A (`float`, defaults to 0.25): A-law parameter for `"uV"`/`"V"` inputs.
        lobe_grouping (`str`, *optional*): override of the config's IILP grouping (functional, hemisphere, ...).
        batch_size (`int`, defaults to 64): windows per forward pass.
        device (`str`, defaults to `"cpu"`).
        random_state (`int`, defaults to 0): seed of the random initialisation when `model` is a preset.
    """

    def __init__(
        self,
        model: Union[str, torch.nn.Module] = "neuript-tiny",
        channel_names: Optional[Sequence[str]] = None,
        channel_positions=None,
        input_units: str = "companded",
        alaw_A: Optional[float] = 0.25,
        lobe_grouping: Optional[str] = None,
        batch_size: int = 64,
        device: str = "cpu",
        random_state: int = 0,
    ):
        self.model = model
        self.channel_names = channel_names
        self.channel_positions = channel_positions
        self.input_units = input_units
        self.alaw_A = alaw_A
        self.lobe_grouping = lobe_grouping
        self.batch_size = batch_size
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------------------------------
    def _load_encoder(self):
        from modeling_neuript.modeling_neuript import (
            IntraInterLobePooling,
            NeurIPTForSequenceClassification,
            NeurIPTModel,
        )

        model = self.model
        if isinstance(model, NeurIPTForSequenceClassification):
            encoder = model.neuript
        elif isinstance(model, NeurIPTModel):
            encoder = model
        elif isinstance(model, str):
            from pathlib import Path

            from modeling_neuript.training.factory import resolve_config

            if Path(model).is_dir():  # a checkpoint, always through from_pretrained: it refuses what it cannot load
                encoder = NeurIPTModel.from_pretrained(model)
            else:
                with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
                    torch.manual_seed(self.random_state)
                    encoder = NeurIPTModel(resolve_config(model))
        else:
            raise ValueError(
                f"model must be a checkpoint folder, a preset name or a NeurIPT model, got {type(model).__name__}."
            )
        config = encoder.config
        if self.lobe_grouping is not None:
            import copy

            config = copy.deepcopy(config)
            config.lobe_grouping = self.lobe_grouping
            config.validate_neuript()
        return encoder.to(self.device).eval(), IntraInterLobePooling(config)

    def _positions(self) -> np.ndarray:
        if (self.channel_names is None) == (self.channel_positions is None):
            raise ValueError("Give exactly one of channel_names (resolved with the electrode tables) or "
                             "channel_positions (C, 3) metres.")
        if self.channel_positions is not None:
            positions = np.asarray(self.channel_positions, dtype=np.float64)
            if positions.ndim != 2 or positions.shape[1] != 3:
                raise ValueError(f"channel_positions must be (channels, 3), got shape {positions.shape}.")
            return positions
        from modeling_neuript.electrodes_neuript import resolve_channel_positions

        return resolve_channel_positions(list(self.channel_names))[0]

    def fit(self, X=None, y=None):
        """Load the encoder and resolve the channel positions (nothing is trained). `X`, `y` are ignored."""
        if self.input_units not in INPUT_SCALES:
            raise ValueError(f"input_units must be one of {list(INPUT_SCALES)}, got {self.input_units!r}.")
        if not isinstance(self.batch_size, int) or self.batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {self.batch_size!r}.")
        self.positions_ = self._positions()
        self.encoder_, self.pooling_ = self._load_encoder()
        self.n_channels_ = len(self.positions_)
        return self

    def transform(self, X) -> np.ndarray:
        """`X (windows, channels, time)` → IILP features `(windows, representations · groups · hidden_size)`."""
        check_is_fitted(self, "encoder_")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise ValueError(f"X must be (windows, channels, time), got shape {X.shape}.")
        if X.shape[1] != self.n_channels_:
            raise ValueError(f"X has {X.shape[1]} channels but {self.n_channels_} positions/names were given.")
        scale = INPUT_SCALES[self.input_units]
        positions = torch.as_tensor(self.positions_, dtype=torch.float32, device=self.device)
        features = []
        with torch.no_grad():
            for start in range(0, len(X), self.batch_size):
                values = torch.as_tensor(X[start : start + self.batch_size], device=self.device)
                if scale is not None:
                    values = values * scale
                    if self.alaw_A is not None:
                        values = a_law_compress(values, self.alaw_A)
                batch_positions = positions.expand(values.shape[0], -1, -1)
                outputs = self.encoder_(values, batch_positions, output_hidden_states=True)
                features.append(self.pooling_(outputs.hidden_states, batch_positions, None).cpu().numpy())
        return np.concatenate(features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags


__all__ = ["NeurIPTEmbedder"]
