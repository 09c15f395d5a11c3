# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""NeurIPT model configuration.

Every default is the value of the paper ("NeurIPT: Foundation Model for Neural Interfaces", arXiv 2510.16548,
Table 13 and §2); where the paper and the official code disagree, the docstring says which one the default follows.
This file is part of the Hub bundle: it imports only the standard library and transformers.
"""

import math

from transformers import PretrainedConfig


# Every Auto class of the family, written into every saved config so that any NeurIPT checkpoint (a pretraining one
# included) opens with any of them where our package is not installed (`trust_remote_code=True`).
NEURIPT_AUTO_MAP = {
    "AutoConfig": "configuration_neuript.NeurIPTConfig",
    "AutoModel": "modeling_neuript.NeurIPTModel",
    "AutoModelForPreTraining": "modeling_neuript.NeurIPTForPretraining",
    "AutoModelForSequenceClassification": "modeling_neuript.NeurIPTForSequenceClassification",
}

LOBE_GROUPINGS = ("functional", "hemisphere", "sagittal", "coronal", "none")

# The settings that reproduce the official code where our defaults differ; the first value is the default.
COMPATIBILITY_CHOICES = {
    "position_quantization": ("head", "montage"),
    "merge_padding": ("repeat_last", "repeat_tail"),
    "expert_capacity_rule": ("routed_slots", "tokens"),
    "masked_attention": ("keys", "queries"),
    "decoder_residual": ("pre_norm", "normalized"),
}


class NeurIPTConfig(PretrainedConfig):
    r"""
    Configuration of a NeurIPT model. The defaults build the paper's model (92.2 M encoder parameters, 73.3 M active
    per token); `configuration/neuript-small.json` and `configuration/neuript-tiny.json` hold the smaller presets.

    Signal contract (what one input window is):
        sampling_rate (`int`, *optional*, defaults to 64):
            Samples per second of `input_values`. The feature extractor resamples every recording to this rate.
        window_seconds (`float`, *optional*, defaults to 4.0):
            Window length the model was pretrained on (4 s × 64 Hz = 256 points). Other lengths work; the temporal
            positional encoding is sinusoidal and has no length limit.
        patch_size (`int`, *optional*, defaults to 1):
            Consecutive samples of one channel that form one token. The paper uses 1 (every sample is a token).

    Backbone (a Crossformer-style stack of two-stage-attention layers):
        hidden_size (`int`, *optional*, defaults to 768): width of every token (`d_model`).
        intermediate_size (`int`, *optional*, defaults to 768): width of the dense SwiGLU feed-forward (`d_ff`).
        num_hidden_layers (`int`, *optional*, defaults to 6): two-stage-attention layers in the encoder.
        num_attention_heads (`int`, *optional*, defaults to 8): heads of both the time and the channel attention.
        merge_factors (`list[int]`, *optional*, defaults to `[1, 4, 1, 2, 1, 2]`):
            Before layer `l`, groups of `merge_factors[l]` adjacent time tokens are merged into one (1 = no merge).
        merge_padding (`str`, *optional*, defaults to `"repeat_last"`): how a length that does not divide by the merge
            factor is padded: `"repeat_last"` repeats the last token; `"repeat_tail"` appends the last `pad` tokens
            once more (the official code; compatibility setting).
        hidden_dropout_prob (`float`, *optional*, defaults to 0.1): dropout on every residual branch.
        attention_dropout (`float`, *optional*, defaults to 0.0): dropout on attention probabilities.
        layer_norm_eps (`float`, *optional*, defaults to 1e-5): epsilon of every LayerNorm (pre-LN).
        initializer_range (`float`, *optional*, defaults to 0.02): std of the normal init of linear layers.

    Positions:
        position_encoding (`str`, *optional*, defaults to `"grid"`):
            `"grid"`: the paper's encoding — each electrode coordinate is quantised to `position_grid_size` steps and
            looked up in a sinusoidal table per axis. `"continuous"`: the same sinusoids evaluated at the exact
            (scaled) coordinate, without quantisation. `"learned"`: an ablation (paper Table 11), not the paper's model —
            one learned vector per channel of `channel_vocabulary`, looked up by electrode position (see below), with
            no notion of where channels sit relative to each other.
        channel_vocabulary (`list[str]` or `dict[str, list[float]]`, *optional*):
            With `position_encoding="learned"` only: the channels that own a learned embedding, as names the electrode
            tables know (`"Fp1"`, `"B17"`, `"Fp1-F7"`) or as `{name: (x, y, z)}` in metres. A channel is identified by
            its position (the feature extractor turns names into positions), so aliases such as T3/T7 are one entry
            and an input channel matches an entry within 1 mm.
        unknown_channel_embedding (`bool`, *optional*, defaults to `False`):
            With `position_encoding="learned"`: `False` makes a channel outside `channel_vocabulary` a `ValueError`;
            `True` gives every such channel one shared learned "unknown" vector (so a model pretrained on one montage
            runs on another, but cannot tell its new channels apart by position).
        position_grid_size (`int`, *optional*, defaults to 50): steps of the position grid (the paper's 0..49).
        position_bounds (`list[float]`, *optional*, defaults to `[-0.15, 0.15]`):
            The fixed head frame, in metres, mapped onto the grid on every axis (MNE "head" coordinates: origin
            between the pre-auricular points, x to the right ear, y to the nasion, z up). Unlike the official code,
            which rescales by the extent of the recording's own montage, a channel's encoding never depends on which
            other channels are present. Positions outside the bounds are an error. (The 10-05 vertex Cz sits at
            z ≈ 0.140 m in that frame, hence ±0.15 m; the grid step is then 6.1 mm.)
        position_quantization (`str`, *optional*, defaults to `"head"`):
            How `"grid"` and `"continuous"` encodings scale positions onto the grid. `"head"`: the fixed cube
            `position_bounds` above. `"montage"`: the official code's rule (compatibility setting) — per sample, each
            axis is shifted by its minimum over the real channels, all axes are scaled by
            `(position_grid_size - 1) / max(shifted coordinates)`, then rounded; so the encoding of a channel depends
            on the other channels of the recording.

    Progressive Mixture-of-Experts:
        num_experts_per_layer (`list[int]`, *optional*, defaults to `[0, 0, 2, 4, 4, 6]`):
            Routed experts in each encoder layer (0 = dense SwiGLU). Both feed-forwards of a layer (after the time and
            after the channel attention) become separate MoE modules. Table 13 of the paper lists `[0,2,2,4,4,6]`;
            the main text, the ablations, the official code and the 73.5 M parameter count give `[0,0,2,4,4,6]`.
        expert_intermediate_size (`int`, *optional*, defaults to 512): SwiGLU width of each routed expert.
        shared_expert_intermediate_size (`int`, *optional*, defaults to 768): SwiGLU width of the always-on expert.
        routed_fraction (`float`, *optional*, defaults to 0.5): each token uses `ceil(E · routed_fraction)` experts.
        norm_topk_prob (`bool`, *optional*, defaults to `False`):
            `False` follows the official code: softmax over all experts, the top-k probabilities used as they are.
            `True` follows the paper's Eq. 8: the top-k weights are renormalised to sum to one.
        router_jitter_noise (`float`, *optional*, defaults to 0.001): std of Gaussian noise added to router logits
            during training only.
        importance_loss_weight (`float`, *optional*, defaults to 0.008): weight of the importance (CV²) loss.
        load_balance_loss (`str`, *optional*, defaults to `"official"`): form of the load-balancing term —
            `"official"` (the released code, `E·Σ S_e²/N³`, weak for many tokens) or `"switch"` (`E·Σ f_e·P_e`).
        router_aux_loss_coef (`float`, *optional*, defaults to 0.8): weight of the summed auxiliary loss in the
            total training loss.
        expert_capacity_factor (`float`, *optional*): if set, each expert takes at most a capacity of tokens (see
            `expert_capacity_rule`), first come first served in token order; a token beyond it loses that routed
            expert (its weight is zeroed) and keeps the shared expert. `None` (default) drops no token.
        expert_capacity_rule (`str`, *optional*, defaults to `"routed_slots"`): the capacity of each expert when
            `expert_capacity_factor = f` is set. `"routed_slots"`: `ceil(f · tokens · k / E)`, the usual rule (room
            for the average load times f). `"tokens"`: `floor(f · tokens / E)` — with `f = 1` the official code's
            `tokens // E`, which ignores k: the experts together take at most one slot per token, so at least
            `(k - 1) / k` of the routing slots are dropped (half with E = 4, k = 2; two thirds with E = 6, k = 3), in
            training and in inference (compatibility setting).

    Pretraining (AAMP) and decoder:
        num_decoder_layers (`int`, *optional*): layers of the reconstruction decoder; `None` = `num_hidden_layers + 1`.
        mask_strategy (`str`, *optional*, defaults to `"amplitude"`): `"amplitude"` (AAMP) or `"random"`.
        mask_ratios (`list[float]`, *optional*, defaults to `[0.2, 0.35, 0.5]`): masking ratio drawn per sample.
        mask_replace_probs (`list[float]`, *optional*, defaults to `[0.8, 0.1, 0.1]`): BERT rule for masked points —
            mask token / embedding from a fixed random set / unchanged.
        num_random_embeddings (`int`, *optional*, defaults to 64): size of the fixed random set `S`.
        reconstruction_loss_p (`float`, *optional*, defaults to 1.0): exponent of the ℓp reconstruction loss.
        masked_attention (`str`, *optional*, defaults to `"keys"`): how masked tokens are hidden in the encoder's
            attention. `"keys"` (the paper's text): no query may attend to a masked token. `"queries"` (the official
            code; compatibility setting): a masked token attends only to itself, and every visible token attends to
            all tokens, masked ones included.
        decoder_residual (`str`, *optional*, defaults to `"pre_norm"`): the decoder layer's cross-attention and MLP
            blocks. `"pre_norm"`: `x = x + CrossAttn(LN(x))`, `x = x + MLP(LN(x))`. `"normalized"` (the official code;
            compatibility setting): `x = LN(x)`, `x = x + CrossAttn(x)`, `x = LN(x)`, `x = x + MLP(x)` — the residual
            stream is replaced by its normalised copy before each block.
        decoder_encoder_norm (`bool`, *optional*, defaults to `False`): a LayerNorm on the encoder representation
            before the decoder's cross-attention keys and values (the official code's `norm1_kv`; adds
            `cross_attention_encoder_norm` to every decoder layer). Compatibility setting.

    Classification (IILP):
        lobe_grouping (`str`, *optional*, defaults to `"functional"`): how channels are grouped from their positions:
            `"functional"`, `"hemisphere"`, `"sagittal"`, `"coronal"` or `"none"` (plain mean over channels).
        lobe_groups (`list[dict[str, list[float]]]`, *optional*): explicit lobe groups instead of `lobe_grouping`'s
            rules: each group maps channel names to positions (metres, in the frame of the `channel_positions` the model
            is given), and an input channel belongs to every group that lists a position within 1 mm of its own; a
            real channel in no group is an error. Written by `neuript convert-official` from the official code's
            hand-written index lists, so the groups follow the channels whatever their order in a recording.
        classifier_layers (`int`, *optional*): how many layer outputs the head pools, counted from the last layer;
            the embedding output is always pooled too (as in the official code, whose loop over `enc_out[-i]` starts
            at `i = 0`, the embedding). `None` = all layers (`num_hidden_layers + 1` representations).
        pooling_time_bins (`int`, *optional*): `None` (the paper's IILP) averages every pooled representation over
            time. An integer `k` keeps time instead: each representation's time axis is cut into `k` equal segments
            (adaptive average pooling) that are pooled by lobe separately, so the head sees when a response happens
            (an evoked potential's latency) and not only how much of it there is. The head then has `k` times as many
            features, whatever the window length.
        classifier_head (`str`, *optional*, defaults to `"linear"`): `"linear"` (the official code) or `"mlp"`.
        classifier_dropout (`float`, *optional*, defaults to 0.1): dropout before the classifier.
        balanced_bce_k (`float`, *optional*): if set, single-label training uses the paper's logit-adjusted balanced
            BCE with this K (needs `class_priors`); `None` = cross-entropy.
        class_priors (`list[float]`, *optional*): class frequencies of the training set for the balanced BCE.
        label_smoothing (`float`, *optional*, defaults to 0.0).

    Compatibility settings: `position_quantization`, `merge_padding`, `expert_capacity_rule`, `masked_attention`,
    `decoder_residual`, `decoder_encoder_norm` and `lobe_groups` reproduce the official code where our defaults
    differ from it (`neuript convert-official` sets them; docs/faithfulness.md measures each difference).

    Example:

    ```python
    >>> from modeling_neuript import NeurIPTConfig, NeurIPTModel
    >>> config = NeurIPTConfig()              # the paper's model
    >>> model = NeurIPTModel(config)
    >>> model.num_parameters() / 1e6           # encoder, all experts
    92.2...
    ```
    """

    model_type = "neuript"
    # What `Trainer.evaluate` / `predict` drop from the outputs: a classifier's predictions are then the logits array
    # alone (not a tuple with the auxiliary loss and thousands of pooled features per window).
    keys_to_ignore_at_inference = [
        "aux_loss",
        "aux_loss_per_layer",
        "pooled_output",
        "hidden_states",
        "attentions",
        "router_logits",
        "token_masks",
        "mask",
        "reconstruction",
    ]

    def __init__(
        self,
        sampling_rate=64,
        window_seconds=4.0,
        patch_size=1,
        hidden_size=768,
        intermediate_size=768,
        num_hidden_layers=6,
        num_attention_heads=8,
        merge_factors=(1, 4, 1, 2, 1, 2),
        merge_padding="repeat_last",
        hidden_dropout_prob=0.1,
        attention_dropout=0.0,
        layer_norm_eps=1e-5,
        initializer_range=0.02,
        position_encoding="grid",
        channel_vocabulary=None,
        unknown_channel_embedding=False,
        position_grid_size=50,
        position_bounds=(-0.15, 0.15),
        position_quantization="head",
        num_experts_per_layer=(0, 0, 2, 4, 4, 6),
        expert_intermediate_size=512,
        shared_expert_intermediate_size=768,
        routed_fraction=0.5,
        norm_topk_prob=False,
        router_jitter_noise=0.001,
        importance_loss_weight=0.008,
        load_balance_loss="official",
        router_aux_loss_coef=0.8,
        expert_capacity_factor=None,
        expert_capacity_rule="routed_slots",
        num_decoder_layers=None,
        mask_strategy="amplitude",
        mask_ratios=(0.2, 0.35, 0.5),
        mask_replace_probs=(0.8, 0.1, 0.1),
        num_random_embeddings=64,
        reconstruction_loss_p=1.0,
        masked_attention="keys",
        decoder_residual="pre_norm",
        decoder_encoder_norm=False,
        lobe_grouping="functional",
        lobe_groups=None,
        classifier_layers=None,
        pooling_time_bins=None,
        classifier_head="linear",
        classifier_dropout=0.1,
        balanced_bce_k=None,
        class_priors=None,
        label_smoothing=0.0,
        neuript_version=None,
        **kwargs,
    ):
        self.sampling_rate = int(sampling_rate)
        self.window_seconds = float(window_seconds)
        self.patch_size = int(patch_size)
        self.hidden_size = int(hidden_size)
        self.intermediate_size = int(intermediate_size)
        self.num_hidden_layers = int(num_hidden_layers)
        self.num_attention_heads = int(num_attention_heads)
        self.merge_factors = [int(m) for m in merge_factors]
        self.merge_padding = merge_padding
        self.hidden_dropout_prob = float(hidden_dropout_prob)
        self.attention_dropout = float(attention_dropout)
        self.layer_norm_eps = float(layer_norm_eps)
        self.initializer_range = float(initializer_range)
        self.position_encoding = position_encoding
        if isinstance(channel_vocabulary, dict):
            channel_vocabulary = {str(k): [float(x) for x in v] for k, v in channel_vocabulary.items()}
        elif channel_vocabulary is not None:
            channel_vocabulary = [str(name) for name in channel_vocabulary]
        self.channel_vocabulary = channel_vocabulary
        self.unknown_channel_embedding = bool(unknown_channel_embedding)
        self.position_grid_size = int(position_grid_size)
        self.position_bounds = [float(b) for b in position_bounds]
        self.position_quantization = position_quantization
        self.num_experts_per_layer = [int(e) for e in num_experts_per_layer]
        self.expert_intermediate_size = int(expert_intermediate_size)
        self.shared_expert_intermediate_size = int(shared_expert_intermediate_size)
        self.routed_fraction = float(routed_fraction)
        self.norm_topk_prob = bool(norm_topk_prob)
        self.router_jitter_noise = float(router_jitter_noise)
        self.importance_loss_weight = float(importance_loss_weight)
        self.load_balance_loss = load_balance_loss
        self.router_aux_loss_coef = float(router_aux_loss_coef)
        self.expert_capacity_factor = None if expert_capacity_factor is None else float(expert_capacity_factor)
        self.expert_capacity_rule = expert_capacity_rule
        self.num_decoder_layers = None if num_decoder_layers is None else int(num_decoder_layers)
        self.mask_strategy = mask_strategy
        self.mask_ratios = [float(r) for r in mask_ratios]
        self.mask_replace_probs = [float(p) for p in mask_replace_probs]
        self.num_random_embeddings = int(num_random_embeddings)
        self.reconstruction_loss_p = float(reconstruction_loss_p)
        self.masked_attention = masked_attention
        self.decoder_residual = decoder_residual
        self.decoder_encoder_norm = bool(decoder_encoder_norm)
        self.lobe_grouping = lobe_grouping
        self.lobe_groups = (
            None
            if lobe_groups is None
            else [{str(name): [float(v) for v in xyz] for name, xyz in dict(group).items()} for group in lobe_groups]
        )
        self.classifier_layers = None if classifier_layers is None else int(classifier_layers)
        self.pooling_time_bins = None if pooling_time_bins is None else int(pooling_time_bins)
        self.classifier_head = classifier_head
        self.classifier_dropout = float(classifier_dropout)
        self.balanced_bce_k = None if balanced_bce_k is None else float(balanced_bce_k)
        self.class_priors = None if class_priors is None else [float(p) for p in class_priors]
        self.label_smoothing = float(label_smoothing)
        self.neuript_version = neuript_version or _package_version()
        kwargs["auto_map"] = {**NEURIPT_AUTO_MAP, **(kwargs.get("auto_map") or {})}
        super().__init__(**kwargs)
        self.validate_neuript()

    # ----------------------------------------------------------------------------------------------------------------
    @property
    def decoder_layers(self) -> int:
        """Layers of the AAMP decoder (the paper: one more than the encoder)."""
        return self.num_decoder_layers if self.num_decoder_layers is not None else self.num_hidden_layers + 1

    @property
    def num_pooled_representations(self) -> int:
        """Representations the IILP head pools: the embedding output + the last `classifier_layers` layer outputs."""
        return 1 + (self.num_hidden_layers if self.classifier_layers is None else self.classifier_layers)

    @property
    def window_length(self) -> int:
        """Samples in one pretraining window (`sampling_rate × window_seconds`)."""
        return int(round(self.sampling_rate * self.window_seconds))

    def experts_per_token(self, num_experts: int) -> int:
        """Routed experts each token uses in a layer of `num_experts` experts: `ceil(E · routed_fraction)`."""
        return 0 if num_experts == 0 else max(1, math.ceil(num_experts * self.routed_fraction - 1e-9))

    def validate_neuript(self):
        """Raise a `ValueError` naming the field and the fix when the configuration cannot build a model."""
        n = self.num_hidden_layers
        if n < 1:
            raise ValueError(f"num_hidden_layers must be >= 1, got {n}.")
        for name in ("merge_factors", "num_experts_per_layer"):
            values = getattr(self, name)
            if len(values) != n:
                raise ValueError(
                    f"{name} has {len(values)} entries but num_hidden_layers is {n}: give one entry per layer "
                    f"(e.g. {name}={values[:n] + [values[-1] if values else 1] * max(0, n - len(values))})."
                )
        if any(m < 1 for m in self.merge_factors):
            raise ValueError(f"merge_factors must be >= 1 (1 = no merge), got {self.merge_factors}.")
        if self.merge_factors[0] != 1:
            raise ValueError(
                f"merge_factors[0] must be 1 (the first layer sees the embedded points), got {self.merge_factors}."
            )
        if any(e < 0 for e in self.num_experts_per_layer):
            raise ValueError(f"num_experts_per_layer must be >= 0, got {self.num_experts_per_layer}.")
        if self.num_attention_heads < 1:
            raise ValueError(
                f"num_attention_heads must be a positive integer (hidden_size is split into that many heads), got "
                f"{self.num_attention_heads}."
            )
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads ({self.num_attention_heads})."
            )
        if self.hidden_size < 6:
            raise ValueError(f"hidden_size must be >= 6 (two sinusoid dims per axis), got {self.hidden_size}.")
        for name in ("intermediate_size", "expert_intermediate_size", "shared_expert_intermediate_size",
                     "patch_size", "sampling_rate", "position_grid_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}.")
        if not 0.0 < self.routed_fraction <= 1.0:
            raise ValueError(f"routed_fraction must be in (0, 1], got {self.routed_fraction}.")
        for name in ("hidden_dropout_prob", "attention_dropout", "classifier_dropout", "label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}.")
        if self.window_seconds <= 0:
            raise ValueError(f"window_seconds must be > 0, got {self.window_seconds}.")
        if self.position_encoding not in ("grid", "continuous", "learned"):
            raise ValueError(
                f"position_encoding must be 'grid', 'continuous' or 'learned', got {self.position_encoding!r}."
            )
        if self.position_encoding == "learned":
            names = list(self.channel_vocabulary or [])
            if not names:
                raise ValueError(
                    "position_encoding='learned' needs channel_vocabulary: the channel names (or {name: (x, y, z)}) "
                    "that get a learned embedding, e.g. the pretraining montage."
                )
            upper = [name.upper() for name in names]
            repeated = sorted({name for name in upper if upper.count(name) > 1})
            if repeated:
                raise ValueError(f"channel_vocabulary lists these channels more than once: {repeated}.")
            if isinstance(self.channel_vocabulary, dict) and any(len(v) != 3 for v in self.channel_vocabulary.values()):
                raise ValueError("channel_vocabulary as a dict must map every name to three numbers (x, y, z) in metres.")
        elif self.channel_vocabulary is not None or self.unknown_channel_embedding:
            raise ValueError(
                "channel_vocabulary and unknown_channel_embedding only apply to position_encoding='learned' "
                f"(got position_encoding={self.position_encoding!r}); drop them or set position_encoding='learned'."
            )
        if len(self.position_bounds) != 2 or not self.position_bounds[0] < self.position_bounds[1]:
            raise ValueError(f"position_bounds must be [low, high] in metres with low < high, got {self.position_bounds}.")
        if self.mask_strategy not in ("amplitude", "random"):
            raise ValueError(f"mask_strategy must be 'amplitude' or 'random', got {self.mask_strategy!r}.")
        if not self.mask_ratios or any(not 0.0 < r < 1.0 for r in self.mask_ratios):
            raise ValueError(f"mask_ratios must be a non-empty list of values in (0, 1), got {self.mask_ratios}.")
        if len(self.mask_replace_probs) != 3 or abs(sum(self.mask_replace_probs) - 1.0) > 1e-6 or min(
            self.mask_replace_probs
        ) < 0:
            raise ValueError(
                f"mask_replace_probs must be three non-negative probabilities (mask token, random, unchanged) "
                f"summing to 1, got {self.mask_replace_probs}."
            )
        if self.num_random_embeddings < 1:
            raise ValueError(f"num_random_embeddings must be >= 1, got {self.num_random_embeddings}.")
        if self.reconstruction_loss_p <= 0:
            raise ValueError(f"reconstruction_loss_p must be > 0, got {self.reconstruction_loss_p}.")
        if self.decoder_layers < 1:
            raise ValueError(f"num_decoder_layers must be >= 1, got {self.num_decoder_layers}.")
        if self.lobe_grouping not in LOBE_GROUPINGS:
            raise ValueError(f"lobe_grouping must be one of {LOBE_GROUPINGS}, got {self.lobe_grouping!r}.")
        if not 1 <= self.num_pooled_representations <= n + 1:
            raise ValueError(f"classifier_layers must be in [0, {n}], got {self.classifier_layers}.")
        if self.pooling_time_bins is not None and self.pooling_time_bins < 1:
            raise ValueError(f"pooling_time_bins must be a positive integer or None (mean over time), got "
                             f"{self.pooling_time_bins}.")
        if self.classifier_head not in ("linear", "mlp"):
            raise ValueError(f"classifier_head must be 'linear' or 'mlp', got {self.classifier_head!r}.")
        if self.load_balance_loss not in ("official", "switch"):
            raise ValueError(f"load_balance_loss must be 'official' or 'switch', got {self.load_balance_loss!r}.")
        for name, allowed in COMPATIBILITY_CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}.")
        if self.lobe_groups is not None:
            if not self.lobe_groups or any(not group for group in self.lobe_groups):
                raise ValueError("lobe_groups must be a non-empty list of non-empty {channel name: (x, y, z)} groups.")
            if any(len(xyz) != 3 for group in self.lobe_groups for xyz in group.values()):
                raise ValueError("lobe_groups must map every channel name to three numbers (x, y, z) in metres.")
        if self.expert_capacity_factor is not None and self.expert_capacity_factor <= 0:
            raise ValueError(f"expert_capacity_factor must be > 0 or None, got {self.expert_capacity_factor}.")
        if self.balanced_bce_k is not None and self.class_priors is None:
            raise ValueError("balanced_bce_k needs class_priors (the training-set frequency of each class).")


def _package_version():
    try:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("neuript")
        except PackageNotFoundError:
            return None
    except ImportError:  # pragma: no cover
        return None


__all__ = ["NeurIPTConfig", "NEURIPT_AUTO_MAP"]
