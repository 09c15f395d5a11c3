"""Convert checkpoints of the authors' NeurIPT code into this package's format, output for output.

    neuript convert-official checkpoint.pth --output_dir converted --preset neuript-paper \\
        --task classification --channel_names double_banana

    from modeling_neuript.interop.official import convert_official_checkpoint
    report = convert_official_checkpoint("checkpoint.pth", "converted", task="classification",
                                         channel_names="double_banana")

The authors' code (MIT, (c) 2025 Zitao Fang; the paper's `Stage_1_model` for AAMP pretraining and `Stage_2_model` for
classification) and ours compute the same model with different parameter names and layouts, and differ in a few
behaviours. The conversion

1. reads the state dict with `torch.load(weights_only=True)` only (a bare state dict, or a dict holding one under
   `state_dict`, `model`, `model_state_dict` or `module`; `module.` / `_orig_mod.` prefixes of DDP and
   `torch.compile` are removed);
2. reads the architecture from the tensors' shapes (width, layers, merges, experts, feed-forward sizes, decoder
   layers, classes), the rest (heads, sampling rate) from the preset, and reports every change to the preset;
3. maps every tensor: separate q/k/v projections are fused into our `qkv_proj` / `kv_proj`, the experts of a layer are
   stacked into 3-D parameters, the classifier's input columns are permuted into our order of pooled representations
   (the authors pool the embedding output, then the last layer, then the one before...). The positional-encoding
   buffers (`temporal_PE.pe_t`, `spacial_PE.pe_3d`, `dec_in`) are not weights: we compute them, and check that what
   we compute for the given channel names equals what the checkpoint stores (a wrong channel name or order fails
   here). An unknown tensor, or one of ours left without a value, is a `ValueError`: nothing is dropped or left at
   random silently; tensors deliberately not used (e.g. the old head when a new label set is asked for) are listed;
4. sets the config's compatibility settings (`position_quantization="montage"`, `merge_padding="repeat_tail"`,
   expert capacity `tokens // E`, `masked_attention="queries"`, the decoder's normalised residuals and key/value
   norm, and `lobe_groups` from the authors' hand-written lists), so that the converted model reproduces the
   authors' forward pass (tests/test_official.py compares them);
5. writes a safetensors checkpoint (`save_pretrained`), the feature extractor for those channels (carrying the
   electrode positions the authors' code used: mne's `standard_1020` template, bipolar midpoints), a model card that
   says where the weights came from, and `conversion.json` (the tensor report), all in one atomic step.

The authors' masked input (AAMP) enters the encoder as zeros, i.e. as the value embedding's bias; our model replaces
masked tokens by `embeddings.mask_token`, so the conversion sets that token to the bias and `mask_replace_probs` to
`[1, 0, 0]`. docs/faithfulness.md lists every difference and its measured effect.

Not part of the Hub bundle (it uses mne for the template positions).
"""

import dataclasses
import hashlib
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch

from modeling_neuript.configuration_neuript import NeurIPTConfig
from modeling_neuript.electrodes_neuript import DOUBLE_BANANA_PAIRS, normalize_channel_name, split_bipolar
from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor
from modeling_neuript.modeling_neuript import (
    LEARNED_POSITION_TOLERANCE,
    NeurIPTElectrodePositionEmbedding,
    NeurIPTForPretraining,
    NeurIPTForSequenceClassification,
    sinusoidal_encoding,
)
from modeling_neuript.training.factory import resolve_config

logger = logging.getLogger(__name__)

OFFICIAL_CODE = (
    "the authors' NeurIPT code (MIT licence, (c) 2025 Zitao Fang; github.com/ZzzitaoFang/NeurIPT, read in the copy "
    "vendored by KennyMcSimpson/Few-shot-EFM at commit ae724bc, folder external/NeurIPT)"
)

# The compatibility settings a conversion writes (see NeurIPTConfig): the authors' behaviour where ours differs.
COMPATIBILITY_SETTINGS = {
    "position_quantization": "montage",
    "merge_padding": "repeat_tail",
    "expert_capacity_factor": 1.0,
    "expert_capacity_rule": "tokens",
    "masked_attention": "queries",
    "decoder_residual": "normalized",
    "decoder_encoder_norm": True,
    "mask_replace_probs": [1.0, 0.0, 0.0],
    "norm_topk_prob": False,
    "load_balance_loss": "official",
    "classifier_head": "linear",
    "classifier_dropout": 0.0,  # the authors' head has no dropout
}

# The authors' hand-written IILP groups for their 20-channel double banana (TUEV, TUAB), as channel indices into the
# montage order of their `get_3d_pos`; keyed by our `lobe_grouping` names. Group order is theirs (the head's weights
# follow it).
OFFICIAL_LOBE_GROUPS_20 = {
    "functional": [[0, 4, 12, 16], [8, 9, 10, 11, 13, 14, 17, 18], [3, 7, 15, 19], [1, 2, 8], [5, 6, 11]],
    "hemisphere": [[0, 1, 2, 3, 8, 9, 12, 13, 14, 15], [4, 5, 6, 7, 10, 11, 16, 17, 18, 19]],
    "sagittal": [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]],
    "coronal": [[0, 4, 12, 16], [1, 5, 13, 17], [2, 6, 14, 18], [3, 7, 15, 19], [8, 9, 10, 11]],
}

# `channel_names="double_banana"`: our 20 pairs in the authors' order. Their list places the 13th channel (Fp1-F3 in
# the recordings) at the midpoint of Fp2 and F3, so that channel keeps its name and takes that position.
DOUBLE_BANANA_AS_OFFICIAL = [
    "Fp1-F3=Fp2-F3" if pair == "Fp1-F3" else pair for pair in DOUBLE_BANANA_PAIRS
]


# ----------------------------------------------------------------------------------------------------------------------
# Command-line arguments
# ----------------------------------------------------------------------------------------------------------------------


@dataclass
class ConvertOfficialArguments:
    checkpoint: str = field(
        metadata={"help": "The authors' checkpoint (.pth/.pt): a state dict, or a dict holding one. Read with "
                          "torch.load(weights_only=True) only. The first word after the command."}
    )
    output_dir: str = field(metadata={"help": "Folder to write (replaced as a whole, atomically)."})
    channel_names: str = field(
        metadata={"help": "The model's channels in the checkpoint's order, comma separated ('Fp1-F7,F7-T3,...'), or "
                          "'double_banana' (the authors' 20 TUEV/TUAB pairs). 'NAME=AS' keeps the name NAME but takes "
                          "the position the authors' code gives AS (e.g. 'Fp1-F3=Fp2-F3')."}
    )
    preset: str = field(
        default="neuript-paper",
        metadata={"help": "neuript-paper, neuript-small or a config JSON: the settings the weights cannot tell "
                          "(heads, sampling rate); shapes come from the weights."},
    )
    task: str = field(default="classification", metadata={"help": "classification or pretraining."})
    num_labels: Optional[int] = field(
        default=None,
        metadata={"help": "Classes (default: the checkpoint's head). Another number, or a pretraining checkpoint, "
                          "gives a new, randomly initialised head on the converted backbone."},
    )
    labels: Optional[str] = field(default=None, metadata={"help": "Class names in head order, comma separated (default: LABEL_0, ...)."})
    lobe_grouping: str = field(
        default="functional",
        metadata={"help": "The authors' IILP 'part': functional, hemisphere, sagittal or coronal."},
    )
    lobe_groups: str = field(
        default="authors",
        metadata={"help": "'authors' (their hand-written lists for 20 channels), 'positions' (our position rules) or "
                          "explicit channel indices, groups separated by ';' ('0,4,12,16;8,9,10')."},
    )
    window_seconds: Optional[float] = field(
        default=None,
        metadata={"help": "Window length of the feature extractor (default: the checkpoint's temporal encoding "
                          "length, else the preset's)."},
    )
    verify_montage: bool = field(
        default=True,
        metadata={"help": "Check that the channel names reproduce the electrode encoding the checkpoint stores; "
                          "--no_verify_montage converts for another montage (the mismatch is reported)."},
    )


def run_convert_official(args: ConvertOfficialArguments) -> int:
    report = convert_official_checkpoint(
        args.checkpoint,
        args.output_dir,
        preset=args.preset,
        task=args.task,
        channel_names=args.channel_names,
        num_labels=args.num_labels,
        labels=None if args.labels is None else [name.strip() for name in args.labels.split(",")],
        lobe_grouping=args.lobe_grouping,
        lobe_groups=args.lobe_groups,
        window_seconds=args.window_seconds,
        verify_montage=args.verify_montage,
    )
    print(report.summary())
    print(f"wrote {args.output_dir}")
    return 0


# ----------------------------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------------------------


@dataclass
class ConversionReport:
    """What happened to every tensor of the authors' checkpoint and of our model."""

    source: str = ""
    task: str = ""
    mapped: dict = field(default_factory=dict)  # our name -> the authors' name(s) it was made from
    verified: list = field(default_factory=list)  # the authors' buffers we recompute and found equal
    unverified: list = field(default_factory=list)  # (authors' buffer, why it does not match), verify_montage off
    unused: dict = field(default_factory=dict)  # the authors' name -> why it is not used
    derived: dict = field(default_factory=dict)  # our name -> how it was set from the authors' tensors
    new: list = field(default_factory=list)  # our tensors initialised fresh (a new head)
    config_changes: dict = field(default_factory=dict)  # preset field -> (preset value, value written)
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"converted {self.source} ({self.task}): {len(self.mapped)} tensors mapped, {len(self.verified)} buffers "
            f"verified, {len(self.derived)} derived, {len(self.new)} new, {len(self.unused)} of the checkpoint unused",
        ]
        lines += [f"  preset {key}: {old!r} -> {new!r} (from the weights)" for key, (old, new) in self.config_changes.items()]
        lines += [f"  derived {key}: {why}" for key, why in self.derived.items()]
        lines += [f"  new {key}" for key in self.new]
        lines += [f"  unused {key}: {why}" for key, why in self.unused.items()]
        lines += [f"  NOT VERIFIED {key}: {why}" for key, why in self.unverified]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------------------------

_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "module")
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def load_official_state_dict(path: Union[str, os.PathLike]) -> dict:
    """The tensors of an authors' checkpoint file: `torch.load(weights_only=True)` (no pickled code runs), unwrapped
    from a training dict and from DDP / `torch.compile` prefixes. Raises `ValueError` when no state dict is found."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No checkpoint file at {path}.")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # an unsafe pickle (or not a torch file): refuse rather than run it
        raise ValueError(
            f"{path} cannot be read with torch.load(weights_only=True) ({type(error).__name__}: {error}). Only plain "
            f"state dicts are converted; re-save it as one (torch.save(model.state_dict(), ...)) where you trust it."
        ) from error
    return unwrap_state_dict(loaded, str(path))


def unwrap_state_dict(loaded, where: str = "the checkpoint") -> dict:
    """A bare state dict from what `torch.load` returned (see `load_official_state_dict`)."""
    if isinstance(loaded, dict) and not _is_state_dict(loaded):
        for key in _WRAPPER_KEYS:
            if isinstance(loaded.get(key), dict) and _is_state_dict(loaded[key]):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not _is_state_dict(loaded):
        keys = list(loaded)[:8] if isinstance(loaded, dict) else type(loaded).__name__
        raise ValueError(
            f"{where} holds no state dict (a dict of tensors, or one under {list(_WRAPPER_KEYS)}); found {keys}."
        )
    state_dict = dict(loaded)
    for prefix in _WRAPPER_PREFIXES:
        if all(key.startswith(prefix) for key in state_dict):
            state_dict = {key[len(prefix):]: value for key, value in state_dict.items()}
    return state_dict


def _is_state_dict(candidate: dict) -> bool:
    return bool(candidate) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in candidate.items())


# ----------------------------------------------------------------------------------------------------------------------
# Channels and positions as the authors' code has them
# ----------------------------------------------------------------------------------------------------------------------


def parse_channel_names(channel_names: Union[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    """`(names, sources)`: the channel names the converted model's extractor uses, and the electrode or pair each takes
    its position from (`"NAME=AS"` entries; otherwise the name itself). `"double_banana"` is the authors' 20 pairs."""
    if isinstance(channel_names, str):
        channel_names = DOUBLE_BANANA_AS_OFFICIAL if channel_names.strip() == "double_banana" else channel_names.split(",")
    names, sources = [], []
    for entry in channel_names:
        name, _, source = str(entry).strip().partition("=")
        if not name.strip():
            raise ValueError(f"Empty channel name in {list(channel_names)}.")
        names.append(name.strip())
        sources.append((source or name).strip())
    repeated = sorted({n for n in names if [m.upper() for m in names].count(n.upper()) > 1})
    if repeated:
        raise ValueError(f"channel_names repeats {repeated}.")
    return names, sources


def official_electrode_positions(sources: Sequence[str]) -> np.ndarray:
    """`(channels, 3)` float64: the positions the authors' `get_3d_pos` uses — mne's `standard_1020` template in the
    template's own frame, bipolar pairs at the midpoint of their electrodes. Names match case-insensitively."""
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne >= 1.13: the 'standard_1020' name is deprecated, its positions are not
        template = mne.channels.make_standard_montage("standard_1020").get_positions()["ch_pos"]
    by_name = {name.upper(): np.asarray(xyz, dtype=np.float64) for name, xyz in template.items()}

    def electrode(name):
        key = normalize_channel_name(name).upper()
        if key not in by_name:
            raise ValueError(
                f"{name!r} is not an electrode of mne's standard_1020 template, which the authors' code takes positions "
                f"from (its names include Fp1, F7, T3, T5, O1, Cz, ...)."
            )
        return by_name[key]

    positions = []
    for source in sources:
        pair = split_bipolar(normalize_channel_name(source))
        key = normalize_channel_name(source).upper()
        if key in by_name or pair is None:
            positions.append(electrode(source))
        else:  # as the authors' code: (pos1 + pos2) / 2 in float64
            positions.append((electrode(pair[0]) + electrode(pair[1])) / 2)
    return np.stack(positions)


def official_grid_positions(positions: np.ndarray, grid_size: int = 50) -> np.ndarray:
    """The integer grid the authors' code derives from `(channels, 3)` positions (their `get_3d_pos`): shift by the
    per-axis minimum, scale by `(grid_size - 1) / max`, round half to even. Used for reports only; the model computes
    the same in `montage_grid_coordinates`."""
    shifted = positions - positions.min(axis=0)
    return np.rint(shifted * ((grid_size - 1) / shifted.max())).astype(int)


# ----------------------------------------------------------------------------------------------------------------------
# Architecture from the tensors
# ----------------------------------------------------------------------------------------------------------------------

_BLOCK = re.compile(r"^encoder\.encode_blocks\.(\d+)\.")
_DECODER = re.compile(r"^decoder\.decode_layers\.(\d+)\.")


def _count(state_dict, pattern) -> int:
    indices = {int(m.group(1)) for key in state_dict for m in [pattern.match(key)] if m}
    if indices and indices != set(range(max(indices) + 1)):
        raise ValueError(f"The checkpoint's layer indices are not contiguous: {sorted(indices)}.")
    return len(indices)


def _ffn_shapes(state_dict, prefix) -> tuple[str, int, int, Optional[int]]:
    """`(kind, experts, intermediate, shared intermediate)` of a feed-forward `prefix` (`...MLP1`)."""
    if f"{prefix}.0.weight" in state_dict:
        return "dense", 0, state_dict[f"{prefix}.0.weight"].shape[0] // 2, None
    if f"{prefix}.gate.weight" in state_dict:
        if f"{prefix}.shared_expert.net.0.weight" not in state_dict:
            raise ValueError(
                f"{prefix} is a mixture of experts without a shared expert (use_shared_expert=False); NeurIPT's "
                f"progressive MoE always has one, so this checkpoint cannot be converted."
            )
        experts = state_dict[f"{prefix}.gate.weight"].shape[0]
        intermediate = state_dict[f"{prefix}.experts.0.net.0.weight"].shape[0] // 2
        shared = state_dict[f"{prefix}.shared_expert.net.0.weight"].shape[0] // 2
        return "moe", experts, intermediate, shared
    raise ValueError(f"No feed-forward weights under {prefix} (expected {prefix}.0.weight or {prefix}.gate.weight).")


def infer_architecture(state_dict: dict) -> dict:
    """The config fields the authors' tensors determine (see `convert_official_state_dict`)."""
    if "enc_value_embedding.linear.weight" not in state_dict:
        raise ValueError(
            "Not a checkpoint of the authors' NeurIPT code: no enc_value_embedding.linear.weight (keys start with "
            f"{sorted({k.split('.')[0] for k in state_dict})})."
        )
    hidden, patch = state_dict["enc_value_embedding.linear.weight"].shape
    layers = _count(state_dict, _BLOCK)
    if layers == 0:
        raise ValueError("The checkpoint has no encoder blocks (encoder.encode_blocks.*).")
    for block in range(layers):
        if any(k.startswith(f"encoder.encode_blocks.{block}.encode_layers.1.") for k in state_dict):
            raise ValueError(f"Encoder block {block} has more than one attention layer (block_depth > 1): not supported.")
        if any(k.startswith(f"encoder.encode_blocks.{block}.encode_layers.0.dim_sender") for k in state_dict):
            raise ValueError("The checkpoint uses the router attention (use_router=True): not supported.")
    merges, experts, dense, expert_sizes, shared_sizes = [], [], set(), set(), set()
    for block in range(layers):
        merge = state_dict.get(f"encoder.encode_blocks.{block}.merge_layer.linear_trans.weight")
        merges.append(1 if merge is None else merge.shape[1] // hidden)
        kinds = [_ffn_shapes(state_dict, f"encoder.encode_blocks.{block}.encode_layers.0.MLP{i}") for i in (1, 2)]
        if kinds[0][:2] != kinds[1][:2]:
            raise ValueError(f"Encoder block {block} has different feed-forward kinds after its two attentions.")
        experts.append(kinds[0][1])
        for kind, _, intermediate, shared in kinds:
            if kind == "dense":
                dense.add(intermediate)
            else:
                expert_sizes.add(intermediate)
                shared_sizes.add(shared)
    decoder_layers = _count(state_dict, _DECODER)
    for layer in range(decoder_layers):
        for prefix in (f"decoder.decode_layers.{layer}.self_attention.MLP1", f"decoder.decode_layers.{layer}.self_attention.MLP2",
                       f"decoder.decode_layers.{layer}.MLP"):
            kind, _, intermediate, _ = _ffn_shapes(state_dict, prefix)
            if kind != "dense":
                raise ValueError(f"{prefix} is a mixture of experts; NeurIPT's decoder is dense (dec/cross_expert = 0).")
            dense.add(intermediate)
    for name, sizes in (("intermediate_size", dense), ("expert_intermediate_size", expert_sizes),
                        ("shared_expert_intermediate_size", shared_sizes)):
        if len(sizes) > 1:
            raise ValueError(f"The checkpoint's feed-forwards have several {name} values {sorted(sizes)}: not supported.")
    architecture = {
        "hidden_size": hidden,
        "patch_size": patch,
        "num_hidden_layers": layers,
        "merge_factors": merges,
        "num_experts_per_layer": experts,
    }
    if dense:
        architecture["intermediate_size"] = dense.pop()
    if expert_sizes:
        architecture["expert_intermediate_size"] = expert_sizes.pop()
        architecture["shared_expert_intermediate_size"] = shared_sizes.pop()
    if decoder_layers:
        architecture["num_decoder_layers"] = decoder_layers
    return architecture


def _temporal_length(state_dict) -> Optional[int]:
    buffer = state_dict.get("encoder.encode_blocks.0.encode_layers.0.temporal_PE.pe_t")
    return None if buffer is None else buffer.shape[1]


# ----------------------------------------------------------------------------------------------------------------------
# The conversion
# ----------------------------------------------------------------------------------------------------------------------


def convert_official_state_dict(
    state_dict: dict,
    task: str = "classification",
    channel_names: Union[str, Sequence[str]] = "double_banana",
    preset: Union[str, NeurIPTConfig] = "neuript-paper",
    num_labels: Optional[int] = None,
    labels: Optional[Sequence[str]] = None,
    lobe_grouping: str = "functional",
    lobe_groups: Union[str, Sequence[Sequence[int]]] = "authors",
    window_seconds: Optional[float] = None,
    verify_montage: bool = True,
    source: str = "a state dict",
):
    """Convert the authors' tensors into one of our models, in memory.

    Args:
        state_dict: the authors' `Stage_1_model` (pretraining) or `Stage_2_model` (classification) state dict.
        task: `"classification"` or `"pretraining"`.
        channel_names: see `ConvertOfficialArguments.channel_names`.
        preset: a preset name, config JSON path or `NeurIPTConfig` for what the tensors cannot tell.
        num_labels, labels: the head (see `ConvertOfficialArguments`).
        lobe_grouping, lobe_groups: the authors' IILP part, and which groups to use (`"authors"`, `"positions"` or
            index lists).
        window_seconds: the feature extractor's window (default: the checkpoint's temporal encoding length).
        verify_montage: raise when the channel names do not reproduce the checkpoint's electrode encoding.

    Returns:
        `(model, report, positions)`: the converted model in eval mode, a `ConversionReport`, and the channels'
        positions `{name: [x, y, z]}` for the feature extractor.
    """
    if task not in ("classification", "pretraining"):
        raise ValueError(f"task must be 'classification' or 'pretraining', got {task!r}.")
    if lobe_grouping not in OFFICIAL_LOBE_GROUPS_20:
        raise ValueError(f"lobe_grouping must be one of {list(OFFICIAL_LOBE_GROUPS_20)}, got {lobe_grouping!r}.")
    report = ConversionReport(source=source, task=task)
    has_head = any(k.startswith("classification_head.") for k in state_dict)
    has_decoder = any(k.startswith("decoder.") for k in state_dict)
    if task == "pretraining" and not has_decoder:
        raise ValueError("task='pretraining' needs the authors' pretraining model (Stage_1_model, with its decoder); "
                         "this checkpoint has no decoder.* tensors.")

    # ---- configuration
    config = preset.__class__.from_dict(preset.to_dict()) if isinstance(preset, NeurIPTConfig) else resolve_config(preset)
    architecture = infer_architecture(state_dict)
    for key, value in architecture.items():
        if key == "num_decoder_layers" and task != "pretraining":
            continue
        before = config.num_decoder_layers if key == "num_decoder_layers" else getattr(config, key)
        before = list(before) if isinstance(before, (list, tuple)) else before
        if key == "num_decoder_layers" and value == config.num_hidden_layers + 1 and before is None:
            continue
        if before != value:
            report.config_changes[key] = (before, value)
        setattr(config, key, value)
    for key, value in COMPATIBILITY_SETTINGS.items():
        setattr(config, key, value)
    config.attention_dropout = config.hidden_dropout_prob  # the authors' attention drops probabilities at that rate
    tokens = _temporal_length(state_dict)
    if window_seconds is None and tokens is not None:
        window_seconds = tokens * config.patch_size / config.sampling_rate
    if window_seconds is not None:
        config.window_seconds = float(window_seconds)

    names, sources = parse_channel_names(channel_names)
    positions = official_electrode_positions(sources)
    close = np.argwhere(np.triu(np.linalg.norm(positions[:, None] - positions[None], axis=-1) <= 2 * LEARNED_POSITION_TOLERANCE, 1))
    if len(close):
        raise ValueError(f"Channels {[(names[i], names[j]) for i, j in close]} sit at the same position.")

    # ---- the head
    head_rows = state_dict["classification_head.classification_layer.weight"].shape[0] if has_head else None
    if task == "classification":
        groups = _lobe_groups(lobe_groups, lobe_grouping, names, sources)
        if groups is not None:
            config.lobe_groups = [{names[i]: positions[i].tolist() for i in group} for group in groups]
        else:
            config.lobe_groups = None
            config.lobe_grouping = lobe_grouping
        num_groups = len(groups) if groups is not None else None
        labels_in_head = head_rows
        keep_head = has_head and (num_labels is None or num_labels == labels_in_head)
        if num_labels is None:
            if not has_head:
                raise ValueError("This checkpoint has no classification head: give num_labels for a new one.")
            num_labels = labels_in_head
        if keep_head:
            in_features = state_dict["classification_head.classification_layer.weight"].shape[1]
            width = config.hidden_size * (num_groups or 0)
            if not num_groups or in_features % width or not 1 <= in_features // width <= config.num_hidden_layers + 1:
                raise ValueError(
                    f"The checkpoint's classifier takes {in_features} features, which is not (representations × "
                    f"{num_groups} groups × {config.hidden_size}): the lobe groups do not match the ones it was "
                    f"trained with; give lobe_groups as its channel-index lists."
                )
            config.classifier_layers = in_features // width - 1
            if num_labels == 1:  # the authors' binary head: one logit, BCE
                config.problem_type = "multi_label_classification"
                report.notes.append("one output logit (the authors' binary head): problem_type multi_label_classification.")
        config.num_labels = num_labels
        if labels is not None:
            if len(labels) != num_labels:
                raise ValueError(f"{len(labels)} labels given for {num_labels} classes.")
            config.id2label = dict(enumerate(labels))
            config.label2id = {name: i for i, name in enumerate(labels)}
    config.validate_neuript()

    # ---- the tensors
    model_class = NeurIPTForSequenceClassification if task == "classification" else NeurIPTForPretraining
    model = model_class(config).eval()
    ours = model.state_dict()
    mapper = _TensorMapper(state_dict, ours, report, config)
    take, converted, used = mapper.take, mapper.converted, mapper.used

    base = "neuript."
    take(f"{base}embeddings.value_embedding.weight", "enc_value_embedding.linear.weight")
    take(f"{base}embeddings.value_embedding.bias", "enc_value_embedding.linear.bias")
    converted[f"{base}embeddings.mask_token"] = state_dict["enc_value_embedding.linear.bias"].detach().float().clone()
    report.derived[f"{base}embeddings.mask_token"] = (
        "= enc_value_embedding.linear.bias: the authors' masked points enter as zeros, whose embedding is the bias "
        "(with mask_replace_probs [1, 0, 0])"
    )
    converted[f"{base}embeddings.random_embeddings"] = ours[f"{base}embeddings.random_embeddings"]
    report.derived[f"{base}embeddings.random_embeddings"] = "our fixed set S, unused (mask_replace_probs [1, 0, 0])"

    for block in range(config.num_hidden_layers):
        official = f"encoder.encode_blocks.{block}"
        if config.merge_factors[block] > 1:
            take(f"{base}merges.{block}.norm.weight", f"{official}.merge_layer.norm.weight")
            take(f"{base}merges.{block}.norm.bias", f"{official}.merge_layer.norm.bias")
            take(f"{base}merges.{block}.proj.weight", f"{official}.merge_layer.linear_trans.weight")
            take(f"{base}merges.{block}.proj.bias", f"{official}.merge_layer.linear_trans.bias")
        _map_two_stage_layer(mapper, f"{official}.encode_layers.0", f"{base}layers.{block}", config.num_experts_per_layer[block], state_dict)

    if task == "pretraining":
        take("decoder.mask_token", "mask_token")
        for layer in range(config.decoder_layers):
            official, our = f"decoder.decode_layers.{layer}", f"decoder.layers.{layer}"
            _map_two_stage_layer(mapper, f"{official}.self_attention", f"{our}.self_attention", 0, state_dict)
            take(f"{our}.cross_attention.q_proj.weight", f"{official}.cross_attention.query_projection.weight")
            take(f"{our}.cross_attention.q_proj.bias", f"{official}.cross_attention.query_projection.bias")
            take(f"{our}.cross_attention.kv_proj.weight", f"{official}.cross_attention.key_projection.weight",
                 f"{official}.cross_attention.value_projection.weight")
            take(f"{our}.cross_attention.kv_proj.bias", f"{official}.cross_attention.key_projection.bias",
                 f"{official}.cross_attention.value_projection.bias")
            take(f"{our}.cross_attention.o_proj.weight", f"{official}.cross_attention.out_projection.weight")
            take(f"{our}.cross_attention.o_proj.bias", f"{official}.cross_attention.out_projection.bias")
            for norm, our_norm in (("norm1_q", "cross_attention_norm"), ("norm1_kv", "cross_attention_encoder_norm"),
                                   ("norm2", "mlp_norm")):
                take(f"{our}.{our_norm}.weight", f"{official}.{norm}.weight")
                take(f"{our}.{our_norm}.bias", f"{official}.{norm}.bias")
            take(f"{our}.mlp.gate_up_proj.weight", f"{official}.MLP.0.weight")
            take(f"{our}.mlp.gate_up_proj.bias", f"{official}.MLP.0.bias")
            take(f"{our}.mlp.down_proj.weight", f"{official}.MLP.2.weight")
            take(f"{our}.mlp.down_proj.bias", f"{official}.MLP.2.bias")
            take(f"{our}.prediction.weight", f"{official}.linear_pred.weight")
            take(f"{our}.prediction.bias", f"{official}.linear_pred.bias")
    elif has_decoder:
        for key in state_dict:
            if key.startswith("decoder.") or key in ("mask_token", "dec_in"):
                report.unused[key] = "the pretraining decoder (converting for classification)"
                used.add(key)

    if has_head:
        head_keys = ["classification_head.classification_layer.weight", "classification_head.classification_layer.bias"]
        if task == "classification" and keep_head:
            weight = state_dict[head_keys[0]]
            converted["classifier.weight"] = _reorder_pooled_columns(
                weight, config.num_pooled_representations, config.num_hidden_layers
            ).to(ours["classifier.weight"].dtype)
            converted["classifier.bias"] = state_dict[head_keys[1]].detach().to(ours["classifier.bias"].dtype)
            report.mapped["classifier.weight"] = [head_keys[0] + " (columns reordered: ours pools level 0, 1, ..., "
                                                  "the authors' 0, last, last - 1, ...)"]
            report.mapped["classifier.bias"] = [head_keys[1]]
        else:
            for key in head_keys:
                report.unused[key] = (f"the authors' {head_rows}-class head (a new {num_labels}-class head was asked for)"
                                      if task == "classification" else "the classification head (converting for pretraining)")
        used.update(head_keys)
    if task == "classification" and not (has_head and keep_head):
        for key in ("classifier.weight", "classifier.bias"):
            converted[key] = ours[key]
            report.new.append(key)

    # ---- the positional-encoding buffers: recomputed, and checked against the checkpoint
    embedding = NeurIPTElectrodePositionEmbedding(config)
    position_tensor = torch.as_tensor(positions, dtype=torch.float32)[None]
    electrode = embedding(position_tensor)[0]  # (C, D)
    for key, value in state_dict.items():
        if key in used:
            continue
        if key.endswith("spacial_PE.pe_3d"):
            _verify(report, key, value[0], electrode, verify_montage, names, positions, config, state_dict)
        elif key.endswith("temporal_PE.pe_t"):
            expected = sinusoidal_encoding(torch.arange(value.shape[1]), config.hidden_size)
            if not torch.allclose(value[0].float(), expected, atol=1e-5):
                raise ValueError(f"{key} is not the sinusoidal time encoding our model computes: cannot convert.")
            report.verified.append(key)
        elif key == "dec_in":
            length = value.shape[2]
            expected = sinusoidal_encoding(torch.arange(length), config.hidden_size)[None] + electrode[:, None]
            _verify(report, key, value[0], expected, verify_montage, names, positions, config, state_dict)
        else:
            continue
        used.add(key)

    if not any(key.endswith("spacial_PE.pe_3d") for key in state_dict):
        report.notes.append(
            "the checkpoint carries no electrode-encoding buffers (spacial_PE.pe_3d): the channel names and their order "
            "could not be checked against it"
        )
    left_over = sorted(set(state_dict) - used)
    if left_over:
        raise ValueError(
            f"{len(left_over)} tensor(s) of the checkpoint have no place in the converted model, e.g. {left_over[:8]}: "
            f"it is not a checkpoint of the authors' NeurIPT code as this converter knows it (nothing was written)."
        )
    missing = sorted(set(ours) - set(converted))
    if missing:
        raise ValueError(f"The conversion leaves {len(missing)} of our tensors without a value, e.g. {missing[:8]}.")
    model.load_state_dict(converted, strict=True)
    report.notes.append(
        f"compatibility settings: {', '.join(f'{k}={v!r}' for k, v in COMPATIBILITY_SETTINGS.items())}, "
        f"attention_dropout={config.attention_dropout}"
    )
    if config.lobe_groups is not None:
        report.notes.append(f"lobe groups ({lobe_grouping}): "
                            + "; ".join(",".join(group) for group in config.lobe_groups))
    if any(name != source for name, source in zip(names, sources)):
        report.notes.append("positions taken from other pairs: "
                            + ", ".join(f"{n} at {s}" for n, s in zip(names, sources) if n != s))
    return model, report, {name: position.tolist() for name, position in zip(names, positions)}


class _TensorMapper:
    """Fills our state dict from the authors' tensors, checking shapes and recording every tensor in the report."""

    def __init__(self, state_dict: dict, ours: dict, report: ConversionReport, config: NeurIPTConfig):
        self.state_dict, self.ours, self.report, self.config = state_dict, ours, report, config
        self.converted: dict[str, torch.Tensor] = {}
        self.used: set[str] = set()

    def take(self, our_key: str, *official_keys: str, dim: int = 0):
        """`our_key` = the authors' tensor, or several concatenated along `dim` (q, k, v → a fused projection)."""
        missing = [k for k in official_keys if k not in self.state_dict]
        if missing:
            raise ValueError(f"The checkpoint lacks {missing} (needed for {our_key}).")
        tensors = [self.state_dict[k] for k in official_keys]
        self.put(our_key, tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=dim), official_keys)

    def put(self, our_key: str, value: torch.Tensor, official_keys: Sequence[str]):
        if our_key not in self.ours:
            raise ValueError(f"Internal mapping error: our model has no {our_key}.")
        if tuple(value.shape) != tuple(self.ours[our_key].shape):
            raise ValueError(
                f"{' + '.join(official_keys)} has shape {tuple(value.shape)} but {our_key} needs "
                f"{tuple(self.ours[our_key].shape)}: the preset ({self.config.num_attention_heads} heads, ...) does "
                f"not fit the checkpoint."
            )
        self.converted[our_key] = value.detach().to(self.ours[our_key].dtype)
        self.report.mapped[our_key] = list(official_keys)
        self.used.update(official_keys)


def _map_two_stage_layer(mapper: _TensorMapper, official: str, our: str, experts: int, state_dict: dict):
    """One `TwoStageAttentionLayer` of the authors → our `NeurIPTTwoStageLayer`."""
    take = mapper.take
    for stage, our_stage in (("time_attention", "time_attention"), ("dim_attention", "channel_attention")):
        for kind in ("weight", "bias"):
            projections = (f"{official}.{stage}.{p}_projection.{kind}" for p in ("query", "key", "value"))
            take(f"{our}.{our_stage}.qkv_proj.{kind}", *projections)
            take(f"{our}.{our_stage}.o_proj.{kind}", f"{official}.{stage}.out_projection.{kind}")
    for norm, our_norm in (("norm1", "time_attention_norm"), ("norm2", "time_feed_forward_norm"),
                           ("norm3", "channel_attention_norm"), ("norm4", "channel_feed_forward_norm")):
        for kind in ("weight", "bias"):
            take(f"{our}.{our_norm}.{kind}", f"{official}.{norm}.{kind}")
    for mlp, our_ffn in (("MLP1", "time_feed_forward"), ("MLP2", "channel_feed_forward")):
        prefix = f"{official}.{mlp}"
        if experts == 0:
            for kind in ("weight", "bias"):
                take(f"{our}.{our_ffn}.mlp.gate_up_proj.{kind}", f"{prefix}.0.{kind}")
                take(f"{our}.{our_ffn}.mlp.down_proj.{kind}", f"{prefix}.2.{kind}")
            continue
        moe = f"{our}.{our_ffn}.moe"
        if f"{prefix}.experts.{experts}.net.0.weight" in state_dict:
            raise ValueError(f"{prefix} has more experts than its router ({experts}).")
        for kind in ("weight", "bias"):
            take(f"{moe}.router.weight.{kind}", f"{prefix}.gate.{kind}")
            take(f"{moe}.shared_expert.gate_up_proj.{kind}", f"{prefix}.shared_expert.net.0.{kind}")
            take(f"{moe}.shared_expert.down_proj.{kind}", f"{prefix}.shared_expert.net.2.{kind}")
        # The experts' Linear layers stacked into our (E, ...) parameters.
        for our_name, layer, kind in (("gate_up_proj", 0, "weight"), ("gate_up_proj_bias", 0, "bias"),
                                      ("down_proj", 2, "weight"), ("down_proj_bias", 2, "bias")):
            keys = [f"{prefix}.experts.{e}.net.{layer}.{kind}" for e in range(experts)]
            missing = [k for k in keys if k not in state_dict]
            if missing:
                raise ValueError(f"The checkpoint lacks {missing[:3]}.")
            mapper.put(f"{moe}.experts.{our_name}", torch.stack([state_dict[k] for k in keys]), keys)


def _reorder_pooled_columns(weight: torch.Tensor, representations: int, layers: int) -> torch.Tensor:
    """The authors' head pools `enc_out[0], enc_out[-1], enc_out[-2], ...` (embedding output, then the last layer
    backwards); ours pools the embedding output, then layers `L - R + 2 .. L` forwards. Reorder the weight's column
    blocks (one per representation) from theirs to ours."""
    blocks = weight.detach().chunk(representations, dim=1)
    official_level = [0] + [layers + 1 - i for i in range(1, representations)]  # level of each official block
    our_levels = [0] + list(range(layers - representations + 2, layers + 1))
    return torch.cat([blocks[official_level.index(level)] for level in our_levels], dim=1)


def _lobe_groups(lobe_groups, lobe_grouping: str, names: list[str], sources: list[str]) -> Optional[list[list[int]]]:
    """Channel-index groups (or `None` for our position rules)."""
    if isinstance(lobe_groups, str):
        if lobe_groups == "positions":
            return None
        if lobe_groups == "authors":
            authors_names, authors = parse_channel_names("double_banana")
            upper = [[name.upper() for name in listed] for listed in (names, sources, authors_names, authors)]
            if upper[0] != upper[2] and upper[1] != upper[3]:  # the same channels, by recorded name or by position
                raise ValueError(
                    f"The authors' hand-written lobe lists known here index their 20-channel double banana in their "
                    f"order ({','.join(authors)}); these channels ({','.join(sources)}) need explicit lobe_groups "
                    f"('0,4,12,16;1,5,13') or lobe_groups='positions'."
                )
            return OFFICIAL_LOBE_GROUPS_20[lobe_grouping]
        lobe_groups = [[int(i) for i in group.split(",") if i.strip()] for group in lobe_groups.split(";")]
    groups = [list(map(int, group)) for group in lobe_groups]
    bad = sorted({i for group in groups for i in group if not 0 <= i < len(names)})
    if bad or any(not group for group in groups):
        raise ValueError(f"lobe_groups name channel indices {bad} outside 0..{len(names) - 1}, or an empty group.")
    uncovered = sorted(set(range(len(names))) - {i for group in groups for i in group})
    if uncovered:
        raise ValueError(f"lobe_groups leave channels {[names[i] for i in uncovered]} in no group.")
    return groups


def _verify(report, key, stored, expected, verify_montage, names, positions, config, state_dict):
    """Compare a stored positional buffer with ours; raise (or, with verify_montage off, report) a mismatch, naming
    the channels whose grid positions differ."""
    if stored.shape == expected.shape and torch.allclose(stored.float(), expected.float(), atol=1e-5):
        report.verified.append(key)
        return
    ours = official_grid_positions(positions, config.position_grid_size)
    table = NeurIPTElectrodePositionEmbedding(config)
    reason = f"stored {tuple(stored.shape)} differs from the encoding of the given channels {tuple(expected.shape)}"
    if stored.dim() == 2 and stored.shape[0] == len(names) and key.endswith("pe_3d"):
        stored_grid = _decode_grid(stored.float(), table.dims, config.position_grid_size)
        wrong = [f"{names[c]}: checkpoint grid {tuple(stored_grid[c].tolist())}, these names {tuple(ours[c].tolist())}"
                 for c in range(len(names)) if stored_grid[c].tolist() != ours[c].tolist()]
        reason = "; ".join(wrong) or reason
    if verify_montage:
        raise ValueError(
            f"The checkpoint's electrode encoding ({key}) does not match the channel names given: {reason}. Check the "
            f"names and their order (the authors' TUEV list places Fp1-F3 at Fp2-F3: 'Fp1-F3=Fp2-F3', or "
            f"channel_names='double_banana'); to convert for another montage on purpose, turn verify_montage off."
        )
    report.unverified.append((key, reason))


def _decode_grid(encoding: torch.Tensor, dims, grid_size: int) -> np.ndarray:
    """Integer grid position of every row of a `(C, D)` 3-D sinusoidal encoding (nearest row of each axis's table)."""
    grid = torch.arange(grid_size)
    result, start = [], 0
    for dim in dims:
        table = sinusoidal_encoding(grid, dim)  # (G, dim)
        part = encoding[:, start : start + dim]
        result.append(torch.cdist(part, table).argmin(dim=-1))
        start += dim
    return torch.stack(result, dim=-1).numpy()


# ----------------------------------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------------------------------


def official_feature_extractor(config: NeurIPTConfig, positions: dict) -> NeurIPTFeatureExtractor:
    """The feature extractor of a converted model: our preprocessing at the config's rate and window, with the channel
    positions the authors' code used; bipolar channel names re-reference monopolar recordings."""
    names = list(positions)
    bipolar = all(split_bipolar(normalize_channel_name(name)) is not None for name in names)
    return NeurIPTFeatureExtractor(
        sampling_rate=config.sampling_rate,
        window_seconds=config.window_seconds,
        channel_positions=positions,
        bipolar_pairs=names if bipolar else None,
        position_bounds=config.position_bounds,
    )


def provenance_section(report: ConversionReport, checkpoint_sha256: Optional[str]) -> str:
    """The model card's account of where the weights came from."""
    settings = ", ".join(f"`{k}={v!r}`" for k, v in COMPATIBILITY_SETTINGS.items())
    lines = [
        "## Provenance",
        "",
        f"Weights converted from a checkpoint of {OFFICIAL_CODE} with `neuript convert-official` "
        f"(`modeling_neuript/interop/official.py`): `{Path(report.source).name}`"
        + (f", sha256 `{checkpoint_sha256}`" if checkpoint_sha256 else "")
        + f". Task: {report.task}. The NeurIPT package did not train these weights.",
        "",
        f"The config sets the compatibility settings that reproduce the authors' forward pass ({settings}); "
        "docs/faithfulness.md in the NeurIPT repository lists what each one changes. Tensors: "
        f"{len(report.mapped)} mapped, {len(report.verified)} positional buffers recomputed and verified, "
        f"{len(report.derived)} derived, {len(report.new)} new, {len(report.unused)} of the checkpoint not used "
        "(details in `conversion.json`).",
    ]
    if report.new:
        lines += ["", f"Newly initialised (train them before use): {', '.join(f'`{k}`' for k in report.new)}."]
    if report.unverified:
        lines += ["", "Not verified against the checkpoint: " + "; ".join(f"`{k}` ({why})" for k, why in report.unverified)]
    return "\n".join(lines)


def convert_official_checkpoint(
    checkpoint: Union[str, os.PathLike],
    output_dir: Union[str, os.PathLike],
    preset: Union[str, NeurIPTConfig] = "neuript-paper",
    task: str = "classification",
    channel_names: Union[str, Sequence[str]] = "double_banana",
    num_labels: Optional[int] = None,
    labels: Optional[Sequence[str]] = None,
    lobe_grouping: str = "functional",
    lobe_groups: Union[str, Sequence[Sequence[int]]] = "authors",
    window_seconds: Optional[float] = None,
    verify_montage: bool = True,
) -> ConversionReport:
    """Convert an authors' checkpoint file into a checkpoint folder (see the module docstring and
    `convert_official_state_dict` for the arguments). Returns the `ConversionReport` (also written as
    `conversion.json`)."""
    from modeling_neuript.interop.hub import save_for_hub

    state_dict = load_official_state_dict(checkpoint)
    model, report, positions = convert_official_state_dict(
        state_dict, task=task, channel_names=channel_names, preset=preset, num_labels=num_labels, labels=labels,
        lobe_grouping=lobe_grouping, lobe_groups=lobe_groups, window_seconds=window_seconds,
        verify_montage=verify_montage, source=str(checkpoint),
    )
    extractor = official_feature_extractor(model.config, positions)
    digest = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    save_for_hub(
        model, extractor, output_dir, extra_sections=[provenance_section(report, digest)],
        extra_files={"conversion.json": json.dumps({**report.to_dict(), "checkpoint_sha256": digest}, indent=2) + "\n"},
    )
    logger.info(report.summary())
    return report


__all__ = [
    "COMPATIBILITY_SETTINGS",
    "ConversionReport",
    "ConvertOfficialArguments",
    "convert_official_checkpoint",
    "convert_official_state_dict",
    "load_official_state_dict",
    "official_electrode_positions",
    "official_feature_extractor",
    "official_grid_positions",
    "parse_channel_names",
    "run_convert_official",
]
