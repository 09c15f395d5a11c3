# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""PyTorch NeurIPT: the EEG foundation model of "NeurIPT: Foundation Model for Neural Interfaces" (arXiv 2510.16548).

How the model reads, top-down (each class below is one step):

1. `NeurIPTEmbeddings` — every sample point (or patch of `patch_size` points) of every channel becomes a token:
   a linear value embedding plus a sinusoidal encoding of the time index. Masked points (pretraining) are replaced by a
   learned mask token, a fixed random embedding, or left as they are.
2. `NeurIPTElectrodePositionEmbedding` — a 3-D sinusoidal encoding of each channel's electrode position, computed from
   the positions passed in (no buffer tied to one montage), added once before the first channel attention.
3. `NeurIPTTwoStageLayer` — attention over time within each channel, then over channels at each time step, each
   followed by a SwiGLU feed-forward or a `NeurIPTProgressiveMoE`; pre-LN; `NeurIPTSegmentMerging` halves/quarters the
   time axis between layers.
4. Heads: `NeurIPTForPretraining` (amplitude-aware masking + cross-attention decoder) and
   `NeurIPTForSequenceClassification` (intra-inter lobe pooling).

Tensor layout: hidden states are (batch, channels, time tokens, hidden_size) everywhere outside the attention stages.

Where a hand-written backward is faster than autograd's, this file calls the fast version by name (`split_heads`,
`swiglu`, `dropout_add`, the expert slot helpers): `kernels_neuript.py` holds them, each documented with the plain
expression it computes.

This file is part of the Hub bundle: at module level it imports only torch, numpy, transformers and its siblings.
"""

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.checkpoint
import transformers
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.integrations.moe import use_experts_implementation
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.utils import ModelOutput, logging

from .configuration_neuript import NeurIPTConfig
from .electrodes_neuript import LOBE_GROUP_NAMES, lobe_membership, resolve_channel_positions
from .kernels_neuript import (
    combine_slots,
    dropout_add,
    gather_slots,
    linear_in_input_dtype,
    register_experts_kernel,
    sort_slots,
    split_heads,
    swiglu,
)
from .metrics_neuript import eeg_classification_metrics

if tuple(int(part) for part in re.findall(r"\d+", transformers.__version__)[:2]) < (5, 1):
    raise ImportError(
        f"NeurIPT needs transformers>=5.1 (found {transformers.__version__}): pip install -U 'transformers>=5.1,<6'"
    )

logger = logging.get_logger(__name__)


# ======================================================================================================================
# Outputs
# ======================================================================================================================


@dataclass
class NeurIPTModelOutput(ModelOutput):
    """
    Output of [`NeurIPTModel`].

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch, channels, time_tokens, hidden_size)`):
            Output of the last layer; `time_tokens` is the input length divided by `patch_size` and by every merge.
        aux_loss (`torch.FloatTensor` of shape `()`):
            Summed importance + load-balancing loss of every MoE module (0 for a model without experts). It is not
            multiplied by `config.router_aux_loss_coef`; the heads do that.
        aux_loss_per_layer (`torch.FloatTensor` of shape `(num_hidden_layers,)`): the same, per layer.
        hidden_states (`tuple(torch.FloatTensor)`, returned with `output_hidden_states=True`):
            The embedding output followed by every layer's output, each `(batch, channels, time_tokens_l, hidden_size)`.
        attentions (`tuple(tuple(torch.FloatTensor))`, returned with `output_attentions=True` and eager attention):
            Per layer, `(time_attention, channel_attention)` with shapes `(batch·channels, heads, L, L)` and
            `(batch·L, heads, channels, channels)`.
        router_logits (`tuple(torch.FloatTensor)`, returned with `output_router_logits=True`):
            One entry per MoE module (two per MoE layer: after time, after channel attention), each
            `(batch, channels, time_tokens_l, num_experts_l)`.
        token_masks (`tuple(torch.BoolTensor)`):
            Per representation in `hidden_states`, `(batch, channels, time_tokens_l)`, True where the token was hidden
            from attention (masked pretraining); `None` when no `time_mask` was given.
    """

    last_hidden_state: Optional[torch.FloatTensor] = None
    aux_loss: Optional[torch.FloatTensor] = None
    aux_loss_per_layer: Optional[torch.FloatTensor] = None
    hidden_states: Optional[tuple[torch.FloatTensor, ...]] = None
    attentions: Optional[tuple[tuple[torch.FloatTensor, ...], ...]] = None
    router_logits: Optional[tuple[torch.FloatTensor, ...]] = None
    token_masks: Optional[tuple[torch.BoolTensor, ...]] = None


# ======================================================================================================================
# Positional encodings
# ======================================================================================================================


def sinusoidal_encoding(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Vaswani sinusoids: `PE(p)_{2j} = sin(p / 10000^{2j/dim})`, `PE(p)_{2j+1} = cos(...)`.

    Args:
        positions: any shape `(...)`, integer or real positions.
        dim: width of the encoding (even or odd; an odd width drops the last cosine).
    Returns:
        `(..., dim)` float32.
    """
    half = (dim + 1) // 2
    inv_freq = torch.exp(
        torch.arange(half, device=positions.device, dtype=torch.float32) * (-2.0 * math.log(10000.0) / dim)
    )
    angles = positions.to(torch.float32).unsqueeze(-1) * inv_freq  # (..., half)
    encoding = torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2)  # (..., 2·half) interleaved
    return encoding[..., :dim]


def electrode_axis_dims(hidden_size: int) -> tuple[int, int, int]:
    """Split of the hidden width over the x, y, z axes: x = y = hidden//3 (made even), z takes the rest (as the
    official code's `seperate_3d_dims`)."""
    xy = hidden_size // 3
    xy -= xy % 2
    return xy, xy, hidden_size - 2 * xy


class NeurIPTElectrodePositionEmbedding(nn.Module):
    """3-D sinusoidal electrode encoding (paper Eq. 1): `PE(s) = [PE_x(x), PE_y(y), PE_z(z)]`.

    Positions are metres in MNE's head frame. `"grid"` quantises each axis of the fixed cube
    `config.position_bounds` into `config.position_grid_size` steps (the paper's 0..49 grid); `"continuous"` evaluates
    the same sinusoids at the unrounded grid coordinate. A bipolar channel is passed at the midpoint of its electrodes
    (the feature extractor does that). No parameters: the encoding of a channel depends on its position only.
    With `config.position_quantization = "montage"` (the official code's rule) the grid spans the recording's own
    montage instead (`montage_grid_coordinates`), so it depends on the other channels too.

    `"learned"` (the ablation of paper Table 11) replaces the sinusoids with `channel_embeddings`, one learned vector
    per entry of `config.channel_vocabulary` (plus a shared "unknown" vector when `config.unknown_channel_embedding`).
    An input channel takes the entry whose position is within `LEARNED_POSITION_TOLERANCE` of its own; the forward
    signature stays the same, so the feature extractor, collator and heads need no channel ids.
    """

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.dims = electrode_axis_dims(config.hidden_size)
        self.low, self.high = config.position_bounds
        self.grid_size = config.position_grid_size
        self.continuous = config.position_encoding == "continuous"
        self.learned = config.position_encoding == "learned"
        self.montage_relative = config.position_quantization == "montage"
        if self.learned:
            names, positions = vocabulary_positions(config.channel_vocabulary)
            self.vocabulary = names
            self.allow_unknown = config.unknown_channel_embedding
            # A plain array, not a buffer: models built on the "meta" device (from_pretrained) would leave a
            # non-persistent buffer uninitialised, and these positions follow from the config anyway.
            self.vocabulary_positions = np.asarray(positions, dtype=np.float32)
            rows = len(names) + int(self.allow_unknown)  # the unknown vector, if any, is the last row
            self.channel_embeddings = nn.Parameter(torch.empty(rows, config.hidden_size))

    def channel_index(self, channel_positions: torch.Tensor, channel_mask: Optional[torch.Tensor] = None):
        """`"learned"` only: the row of `channel_embeddings` of every channel, `(batch, channels)` long.

        Raises:
            `ValueError`: a real channel matches no vocabulary entry and `unknown_channel_embedding` is `False`.
        """
        vocabulary = torch.as_tensor(self.vocabulary_positions, device=channel_positions.device)
        distance = torch.cdist(channel_positions.to(torch.float32), vocabulary[None].expand(len(channel_positions), -1, -1))
        nearest, index = distance.min(dim=-1)  # (B, C)
        known = nearest <= LEARNED_POSITION_TOLERANCE
        if not self.allow_unknown and not torch.compiler.is_compiling():
            real = torch.ones_like(known) if channel_mask is None else channel_mask.to(known.device).bool()
            unknown = (~known & real).nonzero().tolist()
            if unknown:
                raise ValueError(
                    f"{len(unknown)} channel(s) at (sample, channel) {unknown[:5]} are not in the learned channel "
                    f"vocabulary ({len(self.vocabulary)} channels: {self.vocabulary[:8]}...): no vocabulary position "
                    f"lies within {LEARNED_POSITION_TOLERANCE * 1000:.0f} mm. Drop those channels, or set "
                    f"unknown_channel_embedding=True to give them a shared learned vector, or use "
                    f"position_encoding='grid', which encodes any position."
                )
        return torch.where(known, index, torch.full_like(index, self.channel_embeddings.shape[0] - 1))

    def forward(self, channel_positions: torch.Tensor, channel_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """`(batch, channels, 3)` metres (and an optional `(batch, channels)` mask of real channels) →
        `(batch, channels, hidden_size)` float32."""
        if self.learned:
            return self.channel_embeddings[self.channel_index(channel_positions, channel_mask)].to(torch.float32)
        if self.montage_relative:
            scaled = montage_grid_coordinates(channel_positions, self.grid_size, channel_mask)
        else:
            scaled = (channel_positions.to(torch.float32) - self.low) / (self.high - self.low) * (self.grid_size - 1)
        scaled = scaled.clamp(0, self.grid_size - 1)  # padded channels may sit anywhere; real ones are checked
        if not self.continuous:
            scaled = scaled.round()
        return torch.cat([sinusoidal_encoding(scaled[..., axis], dim) for axis, dim in enumerate(self.dims)], dim=-1)


def montage_grid_coordinates(
    channel_positions: torch.Tensor, grid_size: int, channel_mask: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """The official code's montage-relative grid (`config.position_quantization = "montage"`): per sample, shift each
    axis by its minimum over the real channels and scale all axes by `(grid_size - 1) / max(shifted coordinates)`.

    Computed and returned in float64 where the device has it (float32 on MPS), as the official code does in numpy, so
    that rounding afterwards gives its integers. A montage whose channels all sit at one point maps onto 0.

    Args:
        channel_positions: `(batch, channels, 3)` metres; channel_mask: `(batch, channels)` or `None`.
    Returns:
        `(batch, channels, 3)` grid coordinates, in `[0, grid_size - 1]` for real channels (unrounded).
    """
    dtype = torch.float32 if channel_positions.device.type == "mps" else torch.float64
    positions = channel_positions.to(dtype)
    real = (
        torch.ones(positions.shape[:2], dtype=torch.bool, device=positions.device)
        if channel_mask is None
        else channel_mask.to(positions.device).bool()
    )[..., None]
    low = torch.where(real, positions, torch.inf).amin(dim=1, keepdim=True)  # (B, 1, 3)
    shifted = positions - low
    extent = torch.where(real, shifted, 0.0).amax(dim=(1, 2), keepdim=True)  # (B, 1, 1)
    scale = (grid_size - 1) / torch.where(extent > 0, extent, 1.0)
    return shifted * scale


# An input channel takes a learned vocabulary entry when their positions are at most this far apart (metres). Entries
# of one vocabulary must be more than twice as far apart, so the match is unique.
LEARNED_POSITION_TOLERANCE = 1e-3

# The largest |input_values| the model accepts. The feature extractor's output is A-law-companded µV (about ±20 for
# anything an amplifier records) or, with `alaw_A=None`, plain µV (±1e6 is a volt). Far beyond it float32 squares
# overflow (from ~1e19) in normalisation and the reconstruction loss and the model would return NaN for finite input.
MAX_INPUT_MAGNITUDE = 1e6


def vocabulary_positions(channel_vocabulary) -> tuple[list[str], list[list[float]]]:
    """Names and positions `(V, 3)` of a `config.channel_vocabulary` (names resolved through the electrode tables, or
    a `{name: (x, y, z)}` dict taken as it is). Raises `ValueError` for unknown names or entries closer than 2 mm."""
    if isinstance(channel_vocabulary, dict):
        names = list(channel_vocabulary)
        positions = [list(map(float, channel_vocabulary[name])) for name in names]
    else:
        names = list(channel_vocabulary)
        positions = resolve_channel_positions(names)[0].tolist()
    table = np.asarray(positions, dtype=np.float64).reshape(len(names), 3)  # numpy: models may be built on "meta"
    distance = np.linalg.norm(table[:, None] - table[None], axis=-1) + np.eye(len(names))
    close = np.argwhere(distance <= 2 * LEARNED_POSITION_TOLERANCE).tolist()
    if close:
        pairs = sorted({tuple(sorted((names[i], names[j]))) for i, j in close})
        raise ValueError(
            f"channel_vocabulary has channels at (nearly) the same position, which a position lookup cannot tell "
            f"apart: {pairs[:5]}. Keep one name per electrode."
        )
    return names, positions


# ======================================================================================================================
# Embeddings
# ======================================================================================================================


class NeurIPTEmbeddings(nn.Module):
    """Value embedding of each point (patch) + temporal sinusoidal encoding (paper Eq. 2, without the spatial term,
    which the first layer adds before its channel attention).

    Masked points are replaced, per token, following `mask_replacement` (the BERT rule of AAMP):
    0 → the learned `mask_token`, 1 → unchanged, `k ≥ 2` → the fixed random embedding `random_embeddings[k-2]`
    (the paper's predefined set S, a persistent buffer drawn once from a fixed seed).
    """

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.patch_size = config.patch_size
        self.hidden_size = config.hidden_size
        self.value_embedding = nn.Linear(config.patch_size, config.hidden_size)
        self.mask_token = nn.Parameter(torch.zeros(config.hidden_size))
        self.register_buffer(
            "random_embeddings", torch.zeros(config.num_random_embeddings, config.hidden_size), persistent=True
        )

    def forward(
        self,
        input_values: torch.Tensor,
        token_mask: Optional[torch.Tensor] = None,
        mask_replacement: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """
        Args:
            input_values: `(batch, channels, time)`, time divisible by `patch_size`.
            token_mask: `(batch, channels, tokens)` bool, True for masked tokens.
            mask_replacement: `(batch, channels, tokens)` long (see class docstring); `None` = mask token everywhere.
        Returns:
            `(batch, channels, tokens, hidden_size)`.
        """
        batch, channels, time = input_values.shape
        patches = input_values.reshape(batch, channels, time // self.patch_size, self.patch_size)
        embeddings = self.value_embedding(patches.to(self.value_embedding.weight.dtype))  # (B, C, L, D)
        if token_mask is not None:
            replacement = self.mask_token.to(embeddings.dtype).expand_as(embeddings)
            if mask_replacement is not None:
                random_index = (mask_replacement - 2).clamp(min=0)
                random_embeddings = self.random_embeddings.to(embeddings.dtype)[random_index]  # (B, C, L, D)
                replacement = torch.where((mask_replacement >= 2).unsqueeze(-1), random_embeddings, replacement)
                replacement = torch.where((mask_replacement == 1).unsqueeze(-1), embeddings, replacement)
            embeddings = torch.where(token_mask.unsqueeze(-1), replacement, embeddings)
        time_index = torch.arange(embeddings.shape[2], device=embeddings.device)
        return embeddings + sinusoidal_encoding(time_index, self.hidden_size).to(embeddings.dtype)


# ======================================================================================================================
# Attention
# ======================================================================================================================


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: Optional[torch.Tensor],
    scaling: float,
    dropout: float = 0.0,
    **kwargs,
):
    """Reference attention (matmul, mask, float32 softmax, dropout, matmul); the only path that returns weights.
    `attention_mask` is boolean, True = may attend, broadcastable to `(N, heads, Lq, Lk)`."""
    attn_weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights.masked_fill(~attention_mask, torch.finfo(attn_weights.dtype).min)
    attn_weights = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype)
    attn_weights = F.dropout(attn_weights, p=dropout, training=module.training)
    attn_output = torch.matmul(attn_weights, value).transpose(1, 2).contiguous()
    return attn_output, attn_weights


class NeurIPTAttention(nn.Module):
    """Bidirectional multi-head self-attention over the second axis of `(N, L, hidden_size)`, used for both the
    time stage (N = batch·channels) and the channel stage (N = batch·time tokens). One fused QKV projection."""

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.config = config
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.is_causal = False
        self.qkv_proj = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.o_proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(
        self, hidden_states: torch.Tensor, key_mask: Optional[torch.Tensor] = None, **kwargs
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """
        Args:
            hidden_states: `(N, L, hidden_size)`.
            key_mask: `(N, L)` bool, True where a token may be attended to (as a key); or `(N, L, L)` bool, True
                where query `i` may attend to key `j` (`config.masked_attention = "queries"`); `None` = all.
        Returns:
            `(N, L, hidden_size)` and the attention weights `(N, heads, L, L)` (eager only) or `None`.
        """
        n, length, _ = hidden_states.shape
        query, key, value = split_heads(self.qkv_proj(hidden_states), 3, self.num_heads)  # each (N, heads, L, head_dim)
        attention_mask = None
        if key_mask is not None:
            attention_mask = key_mask[:, None] if key_mask.dim() == 3 else key_mask[:, None, None, :]

        attention_interface: Callable = eager_attention_forward
        if self.config._attn_implementation != "eager":
            attention_interface = ALL_ATTENTION_FUNCTIONS.get_interface(
                self.config._attn_implementation, eager_attention_forward
            )
        attn_output, attn_weights = attention_interface(
            self,
            query,
            key,
            value,
            attention_mask,
            dropout=0.0 if not self.training else self.config.attention_dropout,
            scaling=self.scaling,
            is_causal=False,
            **kwargs,
        )
        attn_output = attn_output.reshape(n, length, -1)  # (N, L, hidden_size)
        return self.o_proj(attn_output), attn_weights


# ======================================================================================================================
# Feed-forward: SwiGLU and the Progressive Mixture-of-Experts
# ======================================================================================================================


class NeurIPTMLP(nn.Module):
    """SwiGLU feed-forward: `down(SiLU(gate(x)) · up(x))`, gate and up fused in one projection."""

    def __init__(self, config: NeurIPTConfig, intermediate_size: int):
        super().__init__()
        self.gate_up_proj = nn.Linear(config.hidden_size, 2 * intermediate_size)
        self.down_proj = nn.Linear(intermediate_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.down_proj(swiglu(self.gate_up_proj(hidden_states)))


@use_experts_implementation(has_bias=True)
class NeurIPTExperts(nn.Module):
    """`num_experts` SwiGLU experts stored as 3-D parameters, so transformers can dispatch them to grouped matmuls
    (`experts_implementation="grouped_mm"`); this `forward` is the eager reference.

    Parameters: `gate_up_proj (E, 2·I, D)`, `gate_up_proj_bias (E, 2·I)`, `down_proj (E, D, I)`, `down_proj_bias (E, D)`.
    """

    def __init__(self, config: NeurIPTConfig, num_experts: int):
        super().__init__()
        intermediate = config.expert_intermediate_size
        self.num_experts = num_experts
        self.gate_up_proj = nn.Parameter(torch.empty(num_experts, 2 * intermediate, config.hidden_size))
        self.gate_up_proj_bias = nn.Parameter(torch.zeros(num_experts, 2 * intermediate))
        self.down_proj = nn.Parameter(torch.empty(num_experts, config.hidden_size, intermediate))
        self.down_proj_bias = nn.Parameter(torch.zeros(num_experts, config.hidden_size))
        self.act_fn = nn.SiLU()

    def forward(
        self, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            hidden_states: `(tokens, hidden_size)`.
            top_k_index: `(tokens, k)` expert of each routing slot.
            top_k_weights: `(tokens, k)` weight of each routing slot.
        Returns:
            `(tokens, hidden_size)`: `Σ_slots weight · expert(x)`.
        """
        return self.eager_forward(hidden_states, top_k_index, top_k_weights)

    def eager_forward(self, hidden_states, top_k_index, top_k_weights) -> torch.Tensor:
        """The reference implementation (`experts_implementation="eager"`; the default on CPU): the (token, slot)
        pairs grouped by expert with one sort, then one dense SwiGLU per expert over its contiguous block. The loop
        is over experts (a handful), never over tokens, and no token is dropped."""
        top_k = top_k_index.shape[1]
        flat_expert, order, inverse = sort_slots(top_k_index)
        counts = torch.bincount(flat_expert, minlength=self.num_experts).tolist()  # the one host sync
        grouped_input = gather_slots(hidden_states, order, inverse, top_k)  # (tokens·k, D), sorted by expert
        slot_weights = top_k_weights.reshape(-1)[order].unsqueeze(-1)
        # One `unbind` per weight rather than `weight[e]` per expert (an index's backward adds E whole-weight zeros).
        gate_up, gate_up_bias = self.gate_up_proj.unbind(0), self.gate_up_proj_bias.unbind(0)
        down, down_bias = self.down_proj.unbind(0), self.down_proj_bias.unbind(0)
        expert_outputs = []
        start = 0
        for expert, count in enumerate(counts):
            if count == 0:
                continue
            chunk = grouped_input[start : start + count]
            hidden = swiglu(F.linear(chunk, gate_up[expert], gate_up_bias[expert]))
            expert_outputs.append(F.linear(hidden, down[expert], down_bias[expert]))
            start += count
        grouped_output = torch.cat(expert_outputs) if len(expert_outputs) > 1 else expert_outputs[0]
        weighted = grouped_output * slot_weights.to(grouped_output.dtype)
        return combine_slots(weighted, order, inverse, top_k)  # Σ over each token's k slots, in slot order


class NeurIPTRouter(nn.Module):
    """Token-wise router: logits `(tokens, E)`, Gaussian jitter during training, softmax over all experts, top-k."""

    def __init__(self, config: NeurIPTConfig, num_experts: int):
        super().__init__()
        self.num_experts = num_experts
        self.top_k = config.experts_per_token(num_experts)
        self.jitter_noise = config.router_jitter_noise
        self.norm_topk_prob = config.norm_topk_prob
        self.weight = nn.Linear(config.hidden_size, num_experts)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`(tokens, D)` → router logits `(tokens, E)`, top-k weights `(tokens, k)`, top-k indices `(tokens, k)`."""
        router_logits = self.weight(hidden_states)
        if self.training and self.jitter_noise > 0:
            router_logits = router_logits + torch.randn_like(router_logits) * self.jitter_noise
        probs = F.softmax(router_logits, dim=-1, dtype=torch.float32)
        top_k_weights, top_k_index = torch.topk(probs, self.top_k, dim=-1)
        if self.norm_topk_prob:  # the paper's Eq. 8 (softmax restricted to the top-k)
            top_k_weights = top_k_weights / top_k_weights.sum(dim=-1, keepdim=True)
        return router_logits, top_k_weights, top_k_index


def progressive_moe_aux_loss(
    router_logits: torch.Tensor,
    top_k_index: torch.Tensor,
    token_mask: Optional[torch.Tensor],
    importance_weight: float,
    load_balance_form: str = "official",
) -> torch.Tensor:
    """Importance + load-balancing loss of one MoE module (paper §C.3 Eq. 24, after Shazeer et al. 2017).

    * importance: `w · CV²(Σ_tokens p)` with `w = importance_loss_weight` (0.008 in the paper);
    * load balance, `"official"` (the default, as the released code): with `r = p · 1[top-k]` the routed
      probabilities and `S_e = Σ_tokens r_e`, `E · Σ_e S_e² / N³`. It shrinks like 1/N with the number of tokens, so
      in practice the importance term does the balancing; the paper's weight 0.8 was tuned with it.
      `"switch"`: the Switch-Transformer form `E · Σ_e f_e · P_e` (fraction of routing slots sent to `e` times its
      mean probability; 1 at perfect balance, independent of N) — much stronger at the same weight.

    Args:
        router_logits: `(tokens, E)`; top_k_index: `(tokens, k)`; token_mask: `(tokens,)` bool, True for real tokens
        (padded tokens do not count).
    Returns:
        `()` float32, positive.
    """
    num_experts = router_logits.shape[-1]
    probs = F.softmax(router_logits.float(), dim=-1)
    dispatch = F.one_hot(top_k_index, num_experts).sum(dim=1).to(probs.dtype)  # (tokens, E), 1 where routed
    if token_mask is not None:
        weight = token_mask.to(probs.dtype).unsqueeze(-1)
        probs, dispatch = probs * weight, dispatch * weight
        num_tokens = weight.sum().clamp(min=1.0)
    else:
        num_tokens = torch.tensor(float(probs.shape[0]), device=probs.device)
    importance = probs.sum(dim=0)  # (E,)
    importance_loss = importance_weight * importance.var() / (importance.mean() ** 2 + 1e-8)
    if load_balance_form == "switch":
        fraction_routed = dispatch.sum(dim=0) / (num_tokens * top_k_index.shape[-1])
        load_balance_loss = num_experts * (fraction_routed * probs.sum(dim=0) / num_tokens).sum()
    else:
        routed_mass = (probs * dispatch).sum(dim=0)  # S_e
        load_balance_loss = num_experts * (routed_mass**2).sum() / num_tokens**3
    return importance_loss + load_balance_loss


class NeurIPTProgressiveMoE(nn.Module):
    """Progressive Mixture-of-Experts block: an always-on shared SwiGLU expert plus the top-k of `num_experts` routed
    SwiGLU experts, `y = shared(x) + Σ_{e ∈ top-k} p_e · expert_e(x)` (paper Eq. 9). The number of experts grows with
    depth (`config.num_experts_per_layer`); this module is one layer's worth."""

    def __init__(self, config: NeurIPTConfig, num_experts: int):
        super().__init__()
        self.num_experts = num_experts
        self.capacity_factor = config.expert_capacity_factor
        self.capacity_rule = config.expert_capacity_rule
        self.importance_weight = config.importance_loss_weight
        self.load_balance_form = config.load_balance_loss
        self.router = NeurIPTRouter(config, num_experts)
        self.experts = NeurIPTExperts(config, num_experts)
        self.shared_expert = NeurIPTMLP(config, config.shared_expert_intermediate_size)

    def _apply_capacity(self, top_k_index: torch.Tensor, top_k_weights: torch.Tensor) -> torch.Tensor:
        """Zero the weights of routing slots beyond each expert's capacity, in token order (as the official code keeps
        the first tokens routed to an expert). The capacity follows `config.expert_capacity_rule`."""
        num_tokens, top_k = top_k_index.shape
        if self.capacity_rule == "tokens":  # the official code: tokens // E when the factor is 1
            capacity = math.floor(self.capacity_factor * num_tokens / self.num_experts)
        else:
            capacity = math.ceil(self.capacity_factor * num_tokens * top_k / self.num_experts)
        one_hot = F.one_hot(top_k_index.reshape(-1), self.num_experts)  # (tokens·k, E)
        position_in_expert = (one_hot.cumsum(dim=0) * one_hot).sum(dim=-1).view(num_tokens, top_k)
        return torch.where(position_in_expert <= capacity, top_k_weights, torch.zeros_like(top_k_weights))

    def forward(
        self, hidden_states: torch.Tensor, token_mask: Optional[torch.Tensor] = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """
        Args:
            hidden_states: `(..., hidden_size)`; token_mask: `(...)` bool, True for real (non-padded) tokens — padded
                tokens are routed but do not count in the auxiliary loss.
        Returns:
            output `(..., hidden_size)`, router logits `(..., E)`, auxiliary loss `()`.
        """
        shape = hidden_states.shape
        flat = hidden_states.reshape(-1, shape[-1])
        router_logits, top_k_weights, top_k_index = self.router(flat)
        if self.capacity_factor is not None:
            top_k_weights = self._apply_capacity(top_k_index, top_k_weights)
        routed = self.experts(flat, top_k_index, top_k_weights.to(flat.dtype))
        output = self.shared_expert(flat) + routed.to(flat.dtype)
        flat_mask = None if token_mask is None else token_mask.reshape(-1)
        aux_loss = progressive_moe_aux_loss(
            router_logits, top_k_index, flat_mask, self.importance_weight, self.load_balance_form
        )
        return output.view(shape), router_logits.view(*shape[:-1], self.num_experts), aux_loss


class NeurIPTFeedForward(nn.Module):
    """The feed-forward of one attention stage: a dense SwiGLU when the layer has no experts, else a PMoE.
    Always returns `(output, router_logits or None, aux_loss)` so the layer code has one path."""

    def __init__(self, config: NeurIPTConfig, num_experts: int):
        super().__init__()
        self.num_experts = num_experts
        if num_experts > 0:
            self.moe = NeurIPTProgressiveMoE(config, num_experts)
        else:
            self.mlp = NeurIPTMLP(config, config.intermediate_size)

    def forward(self, hidden_states, token_mask=None):
        if self.num_experts > 0:
            return self.moe(hidden_states, token_mask)
        return self.mlp(hidden_states), None, hidden_states.new_zeros((), dtype=torch.float32)


# ======================================================================================================================
# Two-stage attention layer and segment merging
# ======================================================================================================================


class NeurIPTSegmentMerging(nn.Module):
    """Merge groups of `factor` adjacent time tokens: concatenate, LayerNorm(factor·D), Linear(factor·D → D)
    (paper Eq. 23). A length that does not divide by `factor` is first padded (`config.merge_padding`): by repeating
    its last token, or by appending its last `pad` tokens once more as the official code does; either way the last
    merged token sees some final points twice."""

    def __init__(self, config: NeurIPTConfig, factor: int):
        super().__init__()
        self.factor = factor
        self.padding = config.merge_padding
        self.norm = nn.LayerNorm(factor * config.hidden_size, eps=config.layer_norm_eps)
        self.proj = nn.Linear(factor * config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """`(B, C, L, D)` → `(B, C, ceil(L / factor), D)`."""
        hidden_states = pad_to_multiple(hidden_states, self.factor, dim=2, mode=self.padding)
        batch, channels, length, dim = hidden_states.shape
        merged = hidden_states.reshape(batch, channels, length // self.factor, self.factor * dim)
        return self.proj(self.norm(merged))


def pad_to_multiple(tensor: torch.Tensor, factor: int, dim: int, mode: str = "repeat_last") -> torch.Tensor:
    """Pad `dim` until its size divides by `factor`: `"repeat_last"` repeats the last slice, `"repeat_tail"` appends
    the last `pad` slices once more (the official code; as many as exist when `pad` exceeds the length)."""
    remainder = tensor.shape[dim] % factor
    if remainder == 0:
        return tensor
    if mode == "repeat_tail":
        pad = min(factor - remainder, tensor.shape[dim])
        tensor = torch.cat([tensor, tensor.narrow(dim, tensor.shape[dim] - pad, pad)], dim=dim)
        return pad_to_multiple(tensor, factor, dim, mode)
    last = tensor.narrow(dim, tensor.shape[dim] - 1, 1)
    repeats = [1] * tensor.dim()
    repeats[dim] = factor - remainder
    return torch.cat([tensor, last.repeat(*repeats)], dim=dim)


def batched_positions(channel_positions, batch: int) -> torch.Tensor:
    """`(channels, 3)` or `(batch, channels, 3)` positions as a `(batch, channels, 3)` tensor."""
    channel_positions = torch.as_tensor(channel_positions)
    return channel_positions if channel_positions.dim() == 3 else channel_positions[None].expand(batch, -1, -1)


def merge_token_mask(token_mask: torch.Tensor, factor: int) -> torch.Tensor:
    """Down-sample a `(B, C, L)` hidden-token mask to a merged scale: a merged token stays hidden only when every
    token it merges was hidden (otherwise it carries visible information)."""
    if factor == 1:
        return token_mask
    token_mask = pad_to_multiple(token_mask, factor, dim=2)
    batch, channels, length = token_mask.shape
    return token_mask.view(batch, channels, length // factor, factor).all(dim=-1)


def attention_key_masks(
    channel_mask: Optional[torch.Tensor], token_mask: Optional[torch.Tensor], shape: tuple[int, int, int]
) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Key masks of the two attention stages at one scale.

    Returns `time_keys (B·C, L)` and `channel_keys (B·L, C)`, True where a token may be attended to, or `None` when
    everything may be. Masked tokens and padded channels are hidden as keys. A query whose keys would all be hidden
    (e.g. every real channel masked at one time step) falls back to all real tokens, then to all tokens, so softmax
    never sees an empty row (no host synchronisation: the fallback is computed with tensor ops).
    """
    batch, channels, length = shape
    if channel_mask is None and token_mask is None:
        return None, None
    real = (
        torch.ones(shape, dtype=torch.bool, device=(token_mask if token_mask is not None else channel_mask).device)
        if channel_mask is None
        else channel_mask[:, :, None].expand(shape)
    )
    visible = real if token_mask is None else real & ~token_mask

    def with_fallback(keys, real_keys):
        keys = keys | (real_keys & ~keys.any(dim=-1, keepdim=True))
        return keys | ~keys.any(dim=-1, keepdim=True)

    time_keys = None
    if token_mask is not None:
        time_keys = with_fallback(visible.reshape(batch * channels, length), real.reshape(batch * channels, length))
    channel_keys = with_fallback(
        visible.transpose(1, 2).reshape(batch * length, channels), real.transpose(1, 2).reshape(batch * length, channels)
    )
    return time_keys, channel_keys


def attention_query_masks(
    channel_mask: Optional[torch.Tensor], token_mask: torch.Tensor, shape: tuple[int, int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The official code's attention masks of masked pretraining (`config.masked_attention = "queries"`), at one scale.

    A masked token attends only to itself; a visible token attends to every token, masked ones included. Padded
    channels (which the official code does not have) are hidden as keys; a row left empty (a padded query) attends
    to everything, so softmax never sees an empty row.

    Returns:
        `time_mask (B·C, L, L)` and `channel_mask (B·L, C, C)`, True where query `i` may attend to key `j`.
    """
    batch, channels, length = shape
    real = (
        torch.ones(shape, dtype=torch.bool, device=token_mask.device)
        if channel_mask is None
        else channel_mask.to(token_mask.device).bool()[:, :, None].expand(shape)
    )

    def masks(visible, real_keys):  # (N, L) each -> (N, L, L)
        size = visible.shape[-1]
        rows = visible[:, :, None] | torch.eye(size, dtype=torch.bool, device=visible.device)
        rows = rows & real_keys[:, None, :]
        return rows | ~rows.any(dim=-1, keepdim=True)

    visible = ~token_mask
    time_stage = masks(visible.reshape(batch * channels, length), real.reshape(batch * channels, length))
    channel_stage = masks(
        visible.transpose(1, 2).reshape(batch * length, channels), real.transpose(1, 2).reshape(batch * length, channels)
    )
    return time_stage, channel_stage


class NeurIPTCheckpointingLayer(GradientCheckpointingLayer):
    """A layer that transformers' activation checkpointing wraps whole, and whose blocks
    (`NeurIPTPreTrainedModel.enable_block_checkpointing`) can be checkpointed again inside that checkpoint."""

    block_checkpointing = False

    @property
    def checkpoint_blocks(self) -> bool:
        """Whether `run_block` checkpoints this layer's blocks: asked for, and the layer itself is checkpointed."""
        return self.block_checkpointing and self.gradient_checkpointing


def run_block(module: nn.Module, block: Callable, *args):
    """`block(*args)`, as its own activation checkpoint when `module.checkpoint_blocks` is set (in training, with
    gradients): nested inside a layer's checkpoint, the backward pass then recomputes the layer keeping only the
    block inputs, and each block's activations only while that block's backward runs.

    The block checkpoint goes through the function `activation_checkpointing_enable` gave the layer, so the user's
    checkpoint kwargs and transformers' `offload` apply to blocks as to layers; it is always
    non-reentrant (a reentrant checkpoint nested in another cannot return the blocks' `None` outputs)."""
    if getattr(module, "checkpoint_blocks", False) and module.training and torch.is_grad_enabled():
        checkpoint = getattr(module, "_gradient_checkpointing_func", None) or torch.utils.checkpoint.checkpoint
        return checkpoint(block, *args, use_reentrant=False)
    return block(*args)


class NeurIPTTwoStageLayer(NeurIPTCheckpointingLayer):
    """One encoder layer (paper Fig. 1, official `TwoStageAttentionLayer`), pre-LN:

    1. time stage, per channel over its L tokens:  `x += Drop(Attn_t(LN1(x)))`;  `x += Drop(FF_t(LN2(x)))`
    2. (first layer only) add the electrode encoding;
    3. channel stage, per time token over the C channels:  `x += Drop(Attn_c(LN3(x)))`;  `x += Drop(FF_c(LN4(x)))`

    `FF` is a dense SwiGLU or a `NeurIPTProgressiveMoE` (separate modules for the two stages). Steps 1 and 2–3 are
    `time_stage` and `channel_stage`, each a checkpoint of its own when `checkpoint_blocks` is set
    (`NeurIPTPreTrainedModel.enable_block_checkpointing`).
    """

    def __init__(self, config: NeurIPTConfig, layer_idx: int, num_experts: Optional[int] = None):
        super().__init__()
        num_experts = config.num_experts_per_layer[layer_idx] if num_experts is None else num_experts
        self.layer_idx = layer_idx
        self.time_attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.time_attention = NeurIPTAttention(config)
        self.time_feed_forward_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.time_feed_forward = NeurIPTFeedForward(config, num_experts)
        self.channel_attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.channel_attention = NeurIPTAttention(config)
        self.channel_feed_forward_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.channel_feed_forward = NeurIPTFeedForward(config, num_experts)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        hidden_states: torch.Tensor,
        electrode_embeddings: Optional[torch.Tensor] = None,
        time_keys: Optional[torch.Tensor] = None,
        channel_keys: Optional[torch.Tensor] = None,
        real_tokens: Optional[torch.Tensor] = None,
        output_attentions: bool = False,
    ):
        """
        Args:
            hidden_states: `(B, C, L, D)`.
            electrode_embeddings: `(B, C, D)`, added before the channel stage (first layer only).
            time_keys: `(B·C, L)`; channel_keys: `(B·L, C)` — see `attention_key_masks` (or `(B·C, L, L)` and
                `(B·L, C, C)`, `attention_query_masks`).
            real_tokens: `(B, C, L)` bool, False on padded channels (excluded from the MoE auxiliary loss).
        Returns:
            hidden states `(B, C, L, D)`, router logits of the two stages (`(B, C, L, E)` or `None`), auxiliary loss
            `()`, attention weights of the two stages (or `None`).
        """
        hidden_states, time_router_logits, time_aux, time_weights = run_block(
            self, self.time_stage, hidden_states, time_keys, real_tokens, output_attentions
        )
        hidden_states, channel_router_logits, channel_aux, channel_weights = run_block(
            self, self.channel_stage, hidden_states, electrode_embeddings, channel_keys, real_tokens, output_attentions
        )
        weights = (time_weights, channel_weights) if output_attentions else None
        return hidden_states, (time_router_logits, channel_router_logits), time_aux + channel_aux, weights

    def time_stage(self, hidden_states, time_keys, real_tokens, output_attentions):
        """Attention over each channel's L tokens, then its feed-forward: `(B, C, L, D)` → `(B, C, L, D)`, router
        logits `(B, C, L, E)` or `None`, auxiliary loss `()`, attention weights or `None`."""
        batch, channels, length, dim = hidden_states.shape
        hidden_states = hidden_states.reshape(batch * channels, length, dim)  # (B·C, L, D)
        attn_output, weights = self.time_attention(self.time_attention_norm(hidden_states), time_keys)
        hidden_states = dropout_add(hidden_states, attn_output, self.dropout.p, self.training)
        token_mask = None if real_tokens is None else real_tokens.reshape(batch * channels, length)
        ff_output, router_logits, aux_loss = self.time_feed_forward(
            self.time_feed_forward_norm(hidden_states), token_mask
        )
        hidden_states = dropout_add(hidden_states, ff_output, self.dropout.p, self.training)
        if router_logits is not None:
            router_logits = router_logits.view(batch, channels, length, -1)
        return hidden_states.view(batch, channels, length, dim), router_logits, aux_loss, weights

    def channel_stage(self, hidden_states, electrode_embeddings, channel_keys, real_tokens, output_attentions):
        """(First layer: add the electrode encoding, then) attention over the C channels of each time token, then its
        feed-forward: `(B, C, L, D)` → `(B, C, L, D)`, router logits `(B, C, L, E)` or `None`, auxiliary loss `()`,
        attention weights or `None`."""
        batch, channels, length, dim = hidden_states.shape
        hidden_states = hidden_states.transpose(1, 2)  # (B, L, C, D)
        if electrode_embeddings is not None:
            hidden_states = hidden_states + electrode_embeddings[:, None].to(hidden_states.dtype)
        hidden_states = hidden_states.reshape(batch * length, channels, dim)  # (B·L, C, D)
        attn_output, weights = self.channel_attention(self.channel_attention_norm(hidden_states), channel_keys)
        hidden_states = dropout_add(hidden_states, attn_output, self.dropout.p, self.training)
        token_mask = None if real_tokens is None else real_tokens.transpose(1, 2).reshape(batch * length, channels)
        ff_output, router_logits, aux_loss = self.channel_feed_forward(
            self.channel_feed_forward_norm(hidden_states), token_mask
        )
        hidden_states = dropout_add(hidden_states, ff_output, self.dropout.p, self.training)
        hidden_states = hidden_states.view(batch, length, channels, dim).transpose(1, 2).contiguous()
        if router_logits is not None:
            router_logits = router_logits.view(batch, length, channels, -1).transpose(1, 2)
        return hidden_states, router_logits, aux_loss, weights


# ======================================================================================================================
# Pretrained model base
# ======================================================================================================================


class NeurIPTPreTrainedModel(PreTrainedModel):
    config_class = NeurIPTConfig
    config: NeurIPTConfig
    base_model_prefix = "neuript"
    main_input_name = "input_values"
    input_modalities = ("time",)
    supports_gradient_checkpointing = True
    _no_split_modules = ["NeurIPTTwoStageLayer"]
    _supports_sdpa = True
    _supports_flash_attn = False
    _supports_flex_attn = False

    def _layer_checkpointing(self) -> bool:
        return any(getattr(module, "gradient_checkpointing", False) for module in self.modules())

    def enable_block_checkpointing(self, enabled: bool = True) -> None:
        """Checkpoint every block again inside the layer checkpoints of `activation_checkpointing_enable()`, in the
        layers that run at full time resolution: each AAMP decoder layer (its time stage, channel stage,
        cross-attention and MLP) and the encoder layers before the first merge (their time and channel stages).

        Layer checkpointing alone keeps one tensor per layer, but its backward pass recomputes a whole layer at once;
        at full resolution that recomputation sets the memory peak. With blocks, the backward pass recomputes a layer
        keeping only its block inputs, then one block at a time. The cost: the blocks of those layers run forward once
        more (three times in all). Gradients are unchanged (dropout masks included: each checkpoint replays its RNG
        state). Block checkpointing stops with layer checkpointing (`activation_checkpointing_disable()`).
        """
        if enabled and not self._layer_checkpointing():
            raise ValueError(
                "Block checkpointing nests inside the layer checkpoints: call model.activation_checkpointing_enable() "
                "(gradient_checkpointing_enable() in older transformers; or pass --gradient_checkpointing) first."
            )
        for module in self.modules():
            if isinstance(module, NeurIPTDecoderLayer):
                module.block_checkpointing = enabled
            elif isinstance(module, NeurIPTModel):
                resolution = 1
                for factor, layer in zip(module.config.merge_factors, module.layers):
                    resolution *= factor
                    layer.block_checkpointing = enabled and resolution == 1

    def _returns_dict(self, return_dict: Optional[bool]) -> bool:
        """`return_dict` of a forward call, defaulting to `config.return_dict`: `False` makes every forward return
        the output's fields that are not `None` as a plain tuple, in the dataclass's order (`loss` first), as
        transformers models do."""
        return self.config.return_dict if return_dict is None else bool(return_dict)

    def get_correct_experts_implementation(self, requested_experts: Optional[str]) -> str:
        # Our grouped experts by default (autocast-aware, `kernels_neuript.neuript_grouped_mm_experts_forward`); an
        # explicit choice ("eager", "grouped_mm", ...) is honoured as transformers does.
        if requested_experts is None:
            requested_experts = register_experts_kernel()
        return super().get_correct_experts_implementation(requested_experts)

    def _init_weights(self, module):
        # `transformers.initialization` helpers skip tensors already loaded from a checkpoint; plain in-place init
        # would silently re-randomise them.
        super()._init_weights(module)
        std = self.config.initializer_range
        if isinstance(module, NeurIPTExperts):
            init.normal_(module.gate_up_proj, std=std)
            init.normal_(module.down_proj, std=std)
            init.zeros_(module.gate_up_proj_bias)
            init.zeros_(module.down_proj_bias)
        elif isinstance(module, AmplitudeAwareMasking):
            # Non-persistent buffers that follow from the config: loading builds the model on the "meta" device and
            # would otherwise leave them uninitialised (garbage mask ratios after from_pretrained).
            init.copy_(module.mask_ratios, torch.tensor(self.config.mask_ratios, dtype=torch.float32))
            init.copy_(
                module.replace_cumprobs, torch.tensor(self.config.mask_replace_probs, dtype=torch.float32).cumsum(0)
            )
        elif isinstance(module, NeurIPTElectrodePositionEmbedding) and module.learned:
            # Unit-variance-like scale: the RMS of a sinusoidal encoding entry is 1/sqrt(2), so learned and sinusoidal
            # positions start equally loud next to the token embeddings (std 0.02 would start them ~35x quieter).
            init.normal_(module.channel_embeddings, std=2**-0.5)
        elif isinstance(module, NeurIPTEmbeddings):
            # Kaiming-normal (the paper's init) for the point embedding: with fan-in `patch_size` the usual std of
            # 0.02 would drown the signal under the unit-amplitude sinusoidal encodings, and a classifier would then
            # need many steps before it sees the EEG at all.
            init.kaiming_normal_(module.value_embedding.weight)
            init.zeros_(module.value_embedding.bias)
            init.normal_(module.mask_token, std=std)
            # The set S of AAMP: fixed per model, drawn from a fixed seed so every fresh model has the same one.
            generator = torch.Generator(device="cpu").manual_seed(520)
            values = torch.randn(module.random_embeddings.shape, generator=generator) * std
            init.copy_(module.random_embeddings, values.to(module.random_embeddings.device))

    # Parameters that belong to this class's task head (a head a checkpoint may lack or have in another size); every
    # other parameter is the backbone, which must come from the checkpoint, whole and in the saved shapes.
    _head_prefixes: tuple = ()
    _has_classifier_head = False  # the head's settings (lobe grouping, ...) then shape its outputs too

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """`PreTrainedModel.from_pretrained`, checked. Before any weight is read, the weight files must be intact
        (`checkpoint_neuript.verify_weights`: the content hash written at save time, file sizes); after loading, the
        backbone must be complete, in the saved shapes, finite, and described by the config it was saved with.
        Everything else is a `ValueError` naming the problem and the fix — never a randomly initialised backbone.

        The task head is the one part that may be new: a checkpoint without it (a pretraining checkpoint loaded into a
        classifier) gets a new head, and a head of another size (`num_labels=3` on a 2-class checkpoint) is replaced
        only with `ignore_mismatched_sizes=True`, as in transformers. Either is reported in one line (logger
        `transformers_modules...` / `modeling_neuript.modeling_neuript`, level WARNING) instead of transformers'
        load report; `output_loading_info=True` returns the details.
        """
        from .checkpoint_neuript import (
            HUB_KWARGS,
            INPUT_CONTRACT_SETTINGS,
            CheckpointError,
            check_extractor_matches,
            check_finite,
            check_settings,
            checkpoint_files,
            verify_weights,
        )

        want_info = kwargs.pop("output_loading_info", False)
        replace_head = kwargs.pop("ignore_mismatched_sizes", False)
        source = str(pretrained_model_name_or_path)
        files, saved_settings = {}, None
        if pretrained_model_name_or_path is not None and kwargs.get("state_dict") is None:
            hub_kwargs = {key: kwargs.get(key) for key in HUB_KWARGS}
            files = checkpoint_files(
                source, kwargs.get("subfolder", ""), has_config=kwargs.get("config") is not None, **hub_kwargs
            )
            for path in files["weights"]:
                saved_settings = verify_weights(path) or saved_settings
        load_report = logging.get_logger("transformers.modeling_utils")
        report_filter = _without_load_report  # our one-line summary below replaces transformers' per-key table
        load_report.addFilter(report_filter)
        try:
            model, info = super().from_pretrained(
                pretrained_model_name_or_path,
                *model_args,
                output_loading_info=True,
                ignore_mismatched_sizes=True,  # decided below, per key: head or backbone
                **kwargs,
            )
        finally:
            load_report.removeFilter(report_filter)

        head = cls._head_prefixes or ("\0",)
        missing_backbone = sorted(k for k in info["missing_keys"] if not k.startswith(head))
        if missing_backbone:
            raise CheckpointError(
                f"The checkpoint {source} lacks {len(missing_backbone)} backbone weight(s) of {cls.__name__}, e.g. "
                f"{missing_backbone[:5]}: refusing to initialise them at random. Check that the checkpoint is a "
                "NeurIPT model with this configuration."
            )
        roots = {key.split(".")[0] for key in model.base_model.state_dict()}  # embeddings, merges, layers, ...
        prefix = f"{model.base_model_prefix}."
        extra_backbone = sorted(k for k in info["unexpected_keys"] if k.removeprefix(prefix).split(".")[0] in roots)
        if extra_backbone:
            raise CheckpointError(
                f"The checkpoint {source} has {len(extra_backbone)} backbone weight(s) that its configuration has no "
                f"place for, e.g. {extra_backbone[:5]}: config.json does not match the weights (fewer layers or "
                "experts than were trained?); refusing to drop them."
            )
        mismatched = sorted(info["mismatched_keys"])
        mismatched_backbone = [m for m in mismatched if not m[0].startswith(head)]
        if mismatched_backbone:
            shown = ", ".join(f"{k} saved {tuple(a)} vs configured {tuple(b)}" for k, a, b in mismatched_backbone[:5])
            raise CheckpointError(
                f"Backbone weights of {source} do not match the shapes its configuration describes ({shown}): the "
                "config and the weights come from different models. ignore_mismatched_sizes=True only replaces the "
                f"task head ({', '.join(cls._head_prefixes) or 'none'}), never the backbone."
            )
        if mismatched and not replace_head:
            shown = ", ".join(f"{k} saved {tuple(a)} vs {tuple(b)}" for k, a, b in mismatched[:5])
            raise CheckpointError(
                f"The task head of {source} has another size than requested ({shown}; the checkpoint has "
                f"{info_num_labels(mismatched)} outputs). Pass ignore_mismatched_sizes=True to replace the head with "
                "a new, untrained one (e.g. from_pretrained(path, num_labels=3, ignore_mismatched_sizes=True))."
            )
        new_head = sorted(set(info["missing_keys"]) | {m[0] for m in mismatched})
        check_finite(model, set(model.state_dict()) - set(new_head), source)
        stored = None  # config.json as saved: what differs from it in model.config, the caller changed on purpose
        if files.get("config") is not None:
            with open(files["config"]) as handle:
                stored = json.load(handle)
        if saved_settings:
            with_head = cls._has_classifier_head and not new_head
            changed = check_settings(saved_settings, model.config, stored, source, with_head=with_head)
            if changed:
                computes = [c for c in changed if c.split(" ", 1)[0] not in INPUT_CONTRACT_SETTINGS]
                effect = ("Its outputs differ from the saved model's." if computes else
                          "They describe the inputs it expects (its feature extractor must match); the weights compute "
                          "as before.")
                logger.warning(f"{cls.__name__} from {source} with settings changed on purpose: {'; '.join(changed)}. "
                               + effect)
        if files.get("extractor") is not None:
            with open(files["extractor"]) as handle:
                extractor = json.load(handle)
            changed_here = [k for k in ("sampling_rate", "window_seconds", "position_bounds")
                            if stored is not None and stored.get(k) != getattr(model.config, k)]
            check_extractor_matches(extractor, model.config, f"{source} (preprocessor_config.json vs config.json)",
                                    skip=changed_here)
        if new_head:
            origin = source if source and not os.path.isdir(source) else None
            if origin and getattr(model.config, "finetuned_from", None) is None:
                model.config.finetuned_from = origin  # the Hub id the model card names as base_model
        unused = sorted({k.removeprefix(prefix).split(".")[0] for k in info["unexpected_keys"]})
        if new_head or unused:
            labels = f" (a head for {model.config.num_labels} labels)" if new_head and cls._has_classifier_head else ""
            logger.log(
                logging.WARNING if new_head else logging.INFO,
                f"{cls.__name__}: loaded the backbone from {source}; newly initialised: "
                f"{summarize_keys(new_head) or 'nothing'}{labels}; not used: {unused or 'nothing'}."
                + (" Train the new head before use." if new_head else ""),
            )
        return (model, info) if want_info else model

    def save_pretrained(self, save_directory, *args, push_to_hub: bool = False, **kwargs):
        """`PreTrainedModel.save_pretrained`, writing a folder that works in every route: the model code and the
        pipelines (`pipeline_neuript.py`, declared in `config.custom_pipelines`, so `pipeline(task, model=folder,
        trust_remote_code=True)` works), weights sealed with their content hash and output settings
        (`checkpoint_neuript.seal_weights`, checked by `from_pretrained`), and the NeurIPT model card (`README.md`,
        `card_neuript`), rewritten when the feature extractor is saved into the same folder. `push_to_hub=True`
        uploads that folder (see `push_to_hub`)."""
        from .card_neuript import attach_to_calling_trainer, write_model_card
        from .checkpoint_neuript import output_settings, seal_weights

        try:  # this import is also what makes transformers copy pipeline_neuript.py with the model code
            from .pipeline_neuript import custom_pipelines
        except (ImportError, OSError) as error:  # transformers.pipelines itself failed to import (see __init__.py)
            logger.warning(f"Saving without the NeurIPT pipelines: importing them failed ({error}).")
        else:
            self.config.custom_pipelines = custom_pipelines(self)
        is_main_process = args[0] if args else kwargs.get("is_main_process", True)
        hub_options = {key: kwargs.pop(key) for key in ("repo_id", "commit_message", "create_pr", "private", "token")
                       if key in kwargs}
        super().save_pretrained(save_directory, *args, push_to_hub=False, **kwargs)
        if not is_main_process:
            return
        settings = output_settings(self.config, with_head=self._has_classifier_head)
        folder = Path(save_directory)
        index = folder / "model.safetensors.index.json"
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() else []
        for name in shards or (["model.safetensors"] if (folder / "model.safetensors").is_file() else []):
            seal_weights(str(folder / name), settings)
        write_model_card(folder)
        attach_to_calling_trainer(folder)
        if push_to_hub:
            repo_id = hub_options.pop("repo_id", folder.name)
            self.push_to_hub(repo_id, **hub_options)

    def push_to_hub(self, repo_id: str, *, commit_message=None, commit_description=None, private=None, token=None,
                    revision=None, create_pr=False, max_shard_size="50GB", tags=None, **card_options):
        """Upload the folder `save_pretrained` writes (model, code, pipelines, sealed weights, the NeurIPT card) to
        the Hub repository `repo_id`, keeping what the repository already holds: its feature extractor and the card's
        publishing options. transformers' own `push_to_hub` would replace the card with its template.
        `card_options`: `datasets`, `license`, `base_model`, `dataset_name` for the card."""
        from .card_neuript import push_folder

        return push_folder(
            self, repo_id, commit_message=commit_message or "Upload NeurIPT model",
            commit_description=commit_description, private=private, token=token, revision=revision,
            create_pr=create_pr, save_options={"max_shard_size": max_shard_size}, tags=tags, **card_options,
        )


def _without_load_report(record) -> bool:
    """Logging filter: drop transformers' per-key LOAD REPORT (`from_pretrained` reports in one line instead)."""
    return "LOAD REPORT" not in record.getMessage()


def summarize_keys(keys: list) -> str:
    """A few parameter names as they are; many as `module.* (n tensors)` per top-level module."""
    if len(keys) <= 6:
        return str(list(keys)) if keys else ""
    counts = {}
    for key in keys:
        counts[key.split(".")[0]] = counts.get(key.split(".")[0], 0) + 1
    return ", ".join(f"{module}.* ({count} tensors)" for module, count in sorted(counts.items()))


def info_num_labels(mismatched) -> str:
    """The saved head's output count, read from a mismatched `classifier.*` bias or weight."""
    for key, saved, _ in mismatched:
        if key.endswith("bias") or key.endswith("weight"):
            return str(tuple(saved)[0])
    return "another number of"


# ======================================================================================================================
# The encoder
# ======================================================================================================================


class NeurIPTModel(NeurIPTPreTrainedModel):
    """The NeurIPT encoder: embeddings → `num_hidden_layers` two-stage-attention layers with segment merging and PMoE.

    Works with any montage: channels are identified only by the 3-D positions passed in `channel_positions`.
    """

    def __init__(self, config: NeurIPTConfig):
        super().__init__(config)
        self.embeddings = NeurIPTEmbeddings(config)
        self.electrode_embedding = NeurIPTElectrodePositionEmbedding(config)
        self.merges = nn.ModuleList(
            [NeurIPTSegmentMerging(config, m) if m > 1 else nn.Identity() for m in config.merge_factors]
        )
        self.layers = nn.ModuleList([NeurIPTTwoStageLayer(config, i) for i in range(config.num_hidden_layers)])
        self.gradient_checkpointing = False
        self.post_init()

    # ------------------------------------------------------------------------------------------------------------------
    def validate_inputs(self, input_values, channel_positions, channel_mask, time_mask):
        """Check shapes, dtypes and values; return `channel_positions` as `(B, C, 3)` and `channel_mask` as bool.
        Every failure is a `ValueError` that says what was expected and how to fix it."""
        if not isinstance(input_values, torch.Tensor):
            raise ValueError(f"input_values must be a torch.Tensor (batch, channels, time), got {type(input_values)}.")
        if input_values.dim() != 3:
            hint = " Add a batch axis with input_values[None]." if input_values.dim() == 2 else ""
            raise ValueError(
                f"input_values must have shape (batch, channels, time), got {tuple(input_values.shape)}.{hint}"
            )
        batch, channels, time = input_values.shape
        if batch == 0 or channels == 0 or time == 0:
            raise ValueError(f"input_values is empty: shape {tuple(input_values.shape)}.")
        if not input_values.is_floating_point():
            raise ValueError(f"input_values must be floating point, got {input_values.dtype}.")
        if time % self.config.patch_size:
            raise ValueError(
                f"The time axis ({time} samples) must be a multiple of patch_size={self.config.patch_size}; "
                f"crop the window (the model never pads time for you)."
            )
        if channel_positions is None:
            raise ValueError(
                "channel_positions is required: (batch, channels, 3) electrode positions in metres (MNE head frame). "
                "NeurIPTFeatureExtractor returns them from channel names."
            )
        if not isinstance(channel_positions, torch.Tensor):
            channel_positions = torch.as_tensor(channel_positions)
        if channel_positions.dim() == 2:
            channel_positions = batched_positions(channel_positions, batch)
        if channel_positions.dim() != 3 or channel_positions.shape[-1] != 3:
            raise ValueError(
                f"channel_positions must have shape (batch, channels, 3) or (channels, 3), "
                f"got {tuple(channel_positions.shape)}."
            )
        if tuple(channel_positions.shape[:2]) != (batch, channels):
            raise ValueError(
                f"channel_positions has {tuple(channel_positions.shape[:2])} (batch, channels) but input_values has "
                f"({batch}, {channels}): give one position per channel."
            )
        if channel_mask is not None:
            if tuple(channel_mask.shape) != (batch, channels):
                raise ValueError(
                    f"channel_mask must have shape (batch, channels) = ({batch}, {channels}), "
                    f"got {tuple(channel_mask.shape)}."
                )
            channel_mask = channel_mask.bool()
        if time_mask is not None and tuple(time_mask.shape) != (batch, channels, time):
            raise ValueError(
                f"time_mask must have the shape of input_values {(batch, channels, time)}, got {tuple(time_mask.shape)}."
            )
        if not torch.compiler.is_compiling():
            real = torch.ones(batch, channels, dtype=torch.bool, device=input_values.device)
            if channel_mask is not None:
                real = channel_mask.to(input_values.device)
                if not bool(real.any(dim=1).all()):
                    raise ValueError("channel_mask marks every channel of some sample as padding.")
            values = input_values.detach()
            peak = torch.maximum(values.amax(dim=-1), -values.amin(dim=-1))  # (B, C); NaN propagates
            finite = torch.isfinite(peak) | ~real
            if not bool(finite.all()):
                bad = (~finite).nonzero().tolist()[:5]
                raise ValueError(
                    f"input_values contains NaN or inf at (sample, channel) {bad}: interpolate or drop those channels "
                    f"before calling the model."
                )
            too_large = (peak > MAX_INPUT_MAGNITUDE) & real
            if bool(too_large.any()):
                bad = too_large.nonzero().tolist()[:5]
                raise ValueError(
                    f"input_values reach {float(peak[too_large].max()):.3g} at (sample, channel) {bad}, beyond the "
                    f"model's range of ±{MAX_INPUT_MAGNITUDE:.0e}: the model takes NeurIPTFeatureExtractor's output "
                    "(A-law-companded µV, about ±20; plain µV with alaw_A=None), not raw volts x 1e6 or counts. Run "
                    "the recording through the feature extractor (check its `units`)."
                )
            low, high = self.config.position_bounds
            positions = channel_positions.to(input_values.device)
            outside = (((positions < low) | (positions > high)).any(-1) & real) | (~torch.isfinite(positions).all(-1) & real)
            if bool(outside.any()):
                bad = outside.nonzero().tolist()[:5]
                raise ValueError(
                    f"channel_positions at (sample, channel) {bad} lie outside the head frame {self.config.position_bounds} "
                    f"metres on some axis (or are not finite). Positions are metres in MNE's head frame, not mm or cm."
                )
        return channel_positions, channel_mask

    def forward(
        self,
        input_values: torch.Tensor,
        channel_positions: torch.Tensor,
        channel_mask: Optional[torch.Tensor] = None,
        time_mask: Optional[torch.Tensor] = None,
        mask_replacement: Optional[torch.Tensor] = None,
        output_hidden_states: Optional[bool] = None,
        output_attentions: Optional[bool] = None,
        output_router_logits: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        **kwargs,
    ) -> NeurIPTModelOutput:
        r"""
        Args:
            input_values (`torch.FloatTensor` of shape `(batch, channels, time)`):
                Preprocessed EEG (the feature extractor's output: µV, filtered, 64 Hz, A-law companded).
            channel_positions (`torch.FloatTensor` of shape `(batch, channels, 3)` or `(channels, 3)`):
                Electrode position of every channel in metres, MNE head frame (bipolar channel: the midpoint).
            channel_mask (`torch.LongTensor` or `torch.BoolTensor` of shape `(batch, channels)`, *optional*):
                1 for real channels, 0 for padding. Padded channels never change the outputs of real channels.
            time_mask (`torch.BoolTensor` of shape `(batch, channels, time)`, *optional*):
                True for masked points (masked pretraining). Their tokens are hidden from attention as keys, at every
                scale where all points of a merged token are masked, and their embeddings are replaced as
                `mask_replacement` says. With `patch_size > 1` a token is masked when any of its points is.
            mask_replacement (`torch.LongTensor` of shape `(batch, channels, time // patch_size)`, *optional*):
                What replaces each masked token: 0 mask token, 1 unchanged, `k ≥ 2` random embedding `k - 2`.
        """
        output_hidden_states = output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_router_logits = bool(output_router_logits)
        channel_positions, channel_mask = self.validate_inputs(input_values, channel_positions, channel_mask, time_mask)
        batch, channels, time = input_values.shape
        if channel_mask is not None:  # padding may hold anything (NaN, inf): never let it reach a real channel
            padded = ~channel_mask.to(input_values.device)
            input_values = input_values.masked_fill(padded[..., None], 0)
            channel_positions = channel_positions.to(input_values.device).masked_fill(padded[..., None], 0)

        token_mask = None
        if time_mask is not None:
            patch = self.config.patch_size
            token_mask = time_mask.bool().view(batch, channels, time // patch, patch).any(dim=-1)
        hidden_states = self.embeddings(input_values, token_mask, mask_replacement)  # (B, C, L, D)
        electrode_embeddings = self.electrode_embedding(
            channel_positions.to(hidden_states.device), None if channel_mask is None else channel_mask.to(hidden_states.device)
        )

        all_hidden_states = (hidden_states,) if output_hidden_states else None
        all_token_masks = (token_mask,) if token_mask is not None else None
        all_attentions = () if output_attentions else None
        all_router_logits = () if output_router_logits else None
        aux_losses = []
        for layer_idx, (merge, layer) in enumerate(zip(self.merges, self.layers)):
            factor = self.config.merge_factors[layer_idx]
            if factor > 1:
                hidden_states = merge(hidden_states)
                if token_mask is not None:
                    token_mask = merge_token_mask(token_mask, factor)
            length = hidden_states.shape[2]
            if token_mask is not None and self.config.masked_attention == "queries":
                time_keys, channel_keys = attention_query_masks(channel_mask, token_mask, (batch, channels, length))
            else:
                time_keys, channel_keys = attention_key_masks(channel_mask, token_mask, (batch, channels, length))
            real_tokens = None if channel_mask is None else channel_mask[:, :, None].expand(batch, channels, length)
            hidden_states, router_logits, aux_loss, weights = layer(
                hidden_states,
                electrode_embeddings if layer_idx == 0 else None,
                time_keys,
                channel_keys,
                real_tokens,
                output_attentions,
            )
            aux_losses.append(aux_loss)
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            if all_token_masks is not None:
                all_token_masks += (token_mask,)
            if output_attentions:
                all_attentions += (weights,)
            if output_router_logits:
                all_router_logits += tuple(r for r in router_logits if r is not None)

        aux_loss_per_layer = torch.stack(aux_losses)
        output = NeurIPTModelOutput(
            last_hidden_state=hidden_states,
            aux_loss=aux_loss_per_layer.sum(),
            aux_loss_per_layer=aux_loss_per_layer,
            hidden_states=all_hidden_states,
            attentions=all_attentions,
            router_logits=all_router_logits,
            token_masks=all_token_masks,
        )
        return output if self._returns_dict(return_dict) else output.to_tuple()


# ======================================================================================================================
# Pretraining: Amplitude-Aware Masked Pretraining (AAMP)
# ======================================================================================================================


@dataclass
class NeurIPTForPretrainingOutput(ModelOutput):
    """
    Output of [`NeurIPTForPretraining`].

    Args:
        loss (`torch.FloatTensor` of shape `()`): `reconstruction_loss + router_aux_loss_coef · aux_loss`.
        reconstruction_loss (`torch.FloatTensor` of shape `()`): ℓp error on the masked points of real channels.
        aux_loss (`torch.FloatTensor` of shape `()`): the encoder's summed MoE auxiliary loss.
        reconstruction (`torch.FloatTensor` of shape `(batch, channels, time)`): the decoder's prediction of every point.
        mask (`torch.BoolTensor` of shape `(batch, channels, time)`): True for the points that were masked.
        hidden_states, router_logits: as in [`NeurIPTModelOutput`].
    """

    loss: Optional[torch.FloatTensor] = None
    reconstruction_loss: Optional[torch.FloatTensor] = None
    aux_loss: Optional[torch.FloatTensor] = None
    reconstruction: Optional[torch.FloatTensor] = None
    mask: Optional[torch.BoolTensor] = None
    hidden_states: Optional[tuple[torch.FloatTensor, ...]] = None
    router_logits: Optional[tuple[torch.FloatTensor, ...]] = None


class AmplitudeAwareMasking(nn.Module):
    """AAMP mask generator (paper §2.1, Eq. 4).

    For every sample and channel: rank the T values (signed, ties broken by time order), draw ξ ~ U(0, 1) and mask the
    block of `n = round(T · P)` consecutive ranks centred on rank ξ·T, shifted to stay inside [0, T). The masked points
    are therefore one *amplitude band* of the channel, scattered in time, which neighbours cannot interpolate. P is
    drawn per sample from `config.mask_ratios`. With `config.mask_strategy = "random"` the ranks are a random
    permutation instead, giving uniform random masking with the same ratio (the paper's ablation).

    Masked tokens are then replaced following BERT's rule (`config.mask_replace_probs`): mask token / an embedding
    drawn from the fixed random set S / unchanged.

    In the encoder, masked tokens are hidden from attention *as keys* (the paper: "setting the attention scores of the
    masked set to zero"), at every merged scale where all merged points are masked. The released code builds its mask
    from the *query* index instead (masked queries see only themselves, unmasked queries see every key, masked ones
    included); we follow the paper's text, under which no token can read a masked value through attention.
    """

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.strategy = config.mask_strategy
        self.patch_size = config.patch_size
        self.num_random_embeddings = config.num_random_embeddings
        self.register_buffer("mask_ratios", torch.tensor(config.mask_ratios, dtype=torch.float32), persistent=False)
        self.register_buffer(
            "replace_cumprobs", torch.tensor(config.mask_replace_probs, dtype=torch.float32).cumsum(0), persistent=False
        )

    def forward(
        self, input_values: torch.Tensor, generator: Optional[torch.Generator] = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            input_values: `(batch, channels, time)`.
            generator: optional `torch.Generator` for reproducible masks.
        Returns:
            time_mask `(batch, channels, time)` bool (True = masked) and mask_replacement
            `(batch, channels, time // patch_size)` long (0 mask token, 1 unchanged, k ≥ 2 random embedding k − 2).
        """
        batch, channels, time = input_values.shape
        device = input_values.device
        ratio_index = torch.randint(len(self.mask_ratios), (batch,), generator=generator, device="cpu").to(device)
        num_masked = torch.round(self.mask_ratios[ratio_index] * time).long().clamp(1, time - 1)  # (B,)
        if self.strategy == "amplitude":
            order = torch.argsort(input_values.detach(), dim=-1, stable=True)
        else:
            order = torch.argsort(torch.rand(batch, channels, time, generator=generator).to(device), dim=-1)
        ranks = torch.argsort(order, dim=-1)  # rank of every point in its channel, (B, C, T)
        centre = torch.rand(batch, channels, generator=generator).to(device) * time  # ξ·T
        half = num_masked[:, None].to(torch.float32) / 2
        start = torch.round(centre - half).long()
        start = torch.minimum(start.clamp(min=0), (time - num_masked)[:, None])  # shift inside [0, T - n]
        stop = start + num_masked[:, None]
        time_mask = (ranks >= start[..., None]) & (ranks < stop[..., None])

        num_tokens = time // self.patch_size
        draw = torch.rand(batch, channels, num_tokens, generator=generator).to(device)
        random_index = torch.randint(
            self.num_random_embeddings, (batch, channels, num_tokens), generator=generator
        ).to(device)
        mask_replacement = torch.where(
            draw < self.replace_cumprobs[0],
            torch.zeros_like(random_index),
            torch.where(draw < self.replace_cumprobs[1], random_index + 2, torch.ones_like(random_index)),
        )
        return time_mask, mask_replacement


class NeurIPTCrossAttention(nn.Module):
    """Cross-attention of decoder tokens (queries) to encoder tokens (keys/values) of the same channel."""

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.config = config
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.is_causal = False
        self.q_proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.kv_proj = nn.Linear(config.hidden_size, 2 * config.hidden_size)
        self.o_proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor, encoder_states: torch.Tensor) -> torch.Tensor:
        """`(N, Lq, D)` queries, `(N, Lk, D)` keys/values → `(N, Lq, D)`."""
        n, q_len, _ = hidden_states.shape
        query = self.q_proj(hidden_states).view(n, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        key, value = split_heads(self.kv_proj(encoder_states), 2, self.num_heads)
        attention_interface: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
            self.config._attn_implementation, eager_attention_forward
        )
        attn_output, _ = attention_interface(
            self,
            query,
            key,
            value,
            None,
            dropout=0.0 if not self.training else self.config.attention_dropout,
            scaling=self.scaling,
            is_causal=False,
        )
        return self.o_proj(attn_output.reshape(n, q_len, -1))


class NeurIPTDecoderLayer(NeurIPTCheckpointingLayer):
    """One AAMP decoder layer (official `DecoderLayer`): a dense two-stage self-attention over the full-resolution
    query grid, a pre-LN cross-attention to the encoder representation of the same scale (per channel), a SwiGLU, and
    a linear prediction of every point (`prediction`, applied by `NeurIPTDecoder`). The predictions of all decoder
    layers are summed. With gradient checkpointing the layer (without its prediction) is one checkpoint;
    `enable_block_checkpointing` makes each of its four blocks (time stage, channel stage, cross-attention, MLP) a
    checkpoint nested inside it. The prediction stays outside: every layer's prediction feeds the loss directly, so a
    prediction inside the checkpoint would make the backward pass recompute all decoder layers at once.

    `config.decoder_residual = "normalized"` and `config.decoder_encoder_norm` reproduce the official layer, whose
    cross-attention and MLP add their outputs to the normalised stream and whose keys/values are normalised too."""

    def __init__(self, config: NeurIPTConfig, layer_idx: int):
        super().__init__()
        self.normalized_residual = config.decoder_residual == "normalized"
        self.self_attention = NeurIPTTwoStageLayer(config, layer_idx, num_experts=0)  # the decoder is dense
        self.cross_attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        if config.decoder_encoder_norm:
            self.cross_attention_encoder_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.cross_attention = NeurIPTCrossAttention(config)
        self.mlp_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = NeurIPTMLP(config, config.intermediate_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.prediction = nn.Linear(config.hidden_size, config.patch_size)

    def forward(self, hidden_states, encoder_states, channel_keys, encoder_token_mask=None, mask_token=None):
        """
        Args:
            hidden_states: `(B, C, L, D)` decoder tokens.
            encoder_states: `(B, C, L_i, D)` encoder representation this layer reads.
            channel_keys: `(B·L, C)` bool or `None`, see `attention_key_masks`.
            encoder_token_mask: `(B, C, L_i)` bool, True where the encoder token is hidden (AAMP mask) and is replaced
                by `mask_token` `(D,)` — done here, inside the layer's checkpoint, so that the replaced copy is not
                kept for the backward pass (the encoder representation itself is kept anyway).
        Returns:
            `(B, C, L, D)`.
        """
        batch, channels, length, dim = hidden_states.shape
        # The dense two-stage self-attention, as two blocks of this layer (not a checkpointed layer of its own).
        attention = self.self_attention
        hidden_states = run_block(self, attention.time_stage, hidden_states, None, None, False)[0]
        hidden_states = run_block(self, attention.channel_stage, hidden_states, None, channel_keys, None, False)[0]
        flat = hidden_states.view(batch * channels, length, dim)
        flat = run_block(self, self.cross_attention_block, flat, encoder_states, encoder_token_mask, mask_token)
        flat = run_block(self, self.mlp_block, flat)
        return flat.view(batch, channels, length, dim)

    def cross_attention_block(self, hidden_states, encoder_states, encoder_token_mask, mask_token):
        """`x += Drop(CrossAttn(LN(x), encoder))` per channel: `(B·C, L, D)`, encoder `(B, C, L_i, D)` →
        `(B·C, L, D)`."""
        if encoder_token_mask is not None:
            encoder_states = torch.where(
                encoder_token_mask.unsqueeze(-1), mask_token.to(encoder_states.dtype), encoder_states
            )
        encoder_flat = encoder_states.reshape(hidden_states.shape[0], encoder_states.shape[2], -1)
        if hasattr(self, "cross_attention_encoder_norm"):
            encoder_flat = self.cross_attention_encoder_norm(encoder_flat)
        normed = self.cross_attention_norm(hidden_states)
        if self.normalized_residual:  # the official layer: the normalised copy becomes the residual stream
            hidden_states = normed
        cross_output = self.cross_attention(normed, encoder_flat)
        return dropout_add(hidden_states, cross_output, self.dropout.p, self.training)

    def mlp_block(self, hidden_states):
        """`x += Drop(SwiGLU(LN(x)))` (`"normalized"`: `x = LN(x); x += SwiGLU(x)`, without dropout as in the
        official layer): `(B·C, L, D)` → `(B·C, L, D)`."""
        normed = self.mlp_norm(hidden_states)
        if self.normalized_residual:
            return normed + self.mlp(normed)
        return dropout_add(hidden_states, self.mlp(normed), self.dropout.p, self.training)


class NeurIPTDecoder(nn.Module):
    """Reconstruction decoder: `config.decoder_layers` layers; layer `i` reads encoder representation
    `min(i, num_hidden_layers)` (0 = embedding output), whose hidden tokens are replaced by a learned mask token."""

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.num_representations = config.num_hidden_layers + 1
        self.hidden_size = config.hidden_size
        self.mask_token = nn.Parameter(torch.zeros(config.hidden_size))
        self.electrode_embedding = NeurIPTElectrodePositionEmbedding(config)
        self.layers = nn.ModuleList([NeurIPTDecoderLayer(config, i) for i in range(config.decoder_layers)])

    def forward(self, encoder_hidden_states, token_masks, channel_positions, channel_mask, num_tokens):
        """Returns the summed prediction `(B, C, num_tokens, patch_size)`."""
        first = encoder_hidden_states[0]
        batch, channels = first.shape[:2]
        time_index = torch.arange(num_tokens, device=first.device)
        queries = sinusoidal_encoding(time_index, self.hidden_size)[None, None] + self.electrode_embedding(
            channel_positions, channel_mask
        )[:, :, None]
        hidden_states = queries.to(first.dtype).expand(batch, channels, num_tokens, self.hidden_size)
        _, channel_keys = attention_key_masks(channel_mask, None, (batch, channels, num_tokens))
        prediction = 0
        for i, layer in enumerate(self.layers):
            index = min(i, self.num_representations - 1)
            token_mask = None if token_masks is None else token_masks[index]
            hidden_states = layer(hidden_states, encoder_hidden_states[index], channel_keys, token_mask, self.mask_token)
            # The D → patch_size prediction in the hidden states' own dtype: no low-precision copy of them kept.
            prediction = prediction + linear_in_input_dtype(layer.prediction, hidden_states)
        return prediction


class NeurIPTForPretraining(NeurIPTPreTrainedModel):
    """NeurIPT with the AAMP objective: mask an amplitude band of every channel, encode, reconstruct with a
    cross-attention decoder, ℓp loss on the masked points plus the MoE auxiliary loss."""

    _head_prefixes = ("decoder.",)

    def __init__(self, config: NeurIPTConfig):
        super().__init__(config)
        self.neuript = NeurIPTModel(config)
        self.masking = AmplitudeAwareMasking(config)
        self.decoder = NeurIPTDecoder(config)
        self.post_init()

    def _init_weights(self, module):
        super()._init_weights(module)
        if isinstance(module, NeurIPTDecoder):
            init.normal_(module.mask_token, std=self.config.initializer_range)

    def forward(
        self,
        input_values: torch.Tensor,
        channel_positions: torch.Tensor,
        channel_mask: Optional[torch.Tensor] = None,
        time_mask: Optional[torch.Tensor] = None,
        mask_replacement: Optional[torch.Tensor] = None,
        return_loss: bool = True,
        output_hidden_states: Optional[bool] = None,
        output_router_logits: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        **kwargs,
    ) -> NeurIPTForPretrainingOutput:
        r"""
        Args:
            input_values, channel_positions, channel_mask: as in [`NeurIPTModel`].
            time_mask (`torch.BoolTensor` of shape `(batch, channels, time)`, *optional*):
                Points to mask; drawn by `AmplitudeAwareMasking` when not given.
            mask_replacement (`torch.LongTensor`, *optional*): see [`NeurIPTModel`]; drawn with the mask when not given.
            return_loss (`bool`, defaults to `True`): compute the loss (lets `Trainer.evaluate` report `eval_loss`).
        """
        if time_mask is None:
            if not isinstance(input_values, torch.Tensor) or input_values.dim() != 3:
                self.neuript.validate_inputs(input_values, channel_positions, channel_mask, None)
            if input_values.shape[-1] < 2:
                raise ValueError(
                    f"AAMP masks part of every channel's time axis and scores it against the rest, so it needs at "
                    f"least 2 time points per window, got {input_values.shape[-1]}."
                )
            time_mask, drawn_replacement = self.masking(input_values)
            mask_replacement = drawn_replacement if mask_replacement is None else mask_replacement
        outputs = self.neuript(
            input_values,
            channel_positions,
            channel_mask=channel_mask,
            time_mask=time_mask,
            mask_replacement=mask_replacement,
            output_hidden_states=True,
            output_router_logits=output_router_logits,
            return_dict=True,
        )
        batch, channels, time = input_values.shape
        positions = batched_positions(channel_positions, batch)
        if channel_mask is not None:  # padded channels may sit anywhere, NaN included
            positions = positions.masked_fill(~channel_mask.bool().to(positions.device)[..., None], 0)
        prediction = self.decoder(
            outputs.hidden_states,
            outputs.token_masks,
            positions.to(input_values.device),
            None if channel_mask is None else channel_mask.bool(),
            time // self.config.patch_size,
        )
        reconstruction = prediction.reshape(batch, channels, time)

        loss = reconstruction_loss = None
        if return_loss:
            scored = time_mask.bool()
            if channel_mask is not None:
                scored = scored & channel_mask.bool()[:, :, None]
            # Mean over the scored points as a masked sum: boolean indexing's data-dependent shape would break the
            # graph under torch.compile; `where`, not a product, because unscored points (padded channels) may be NaN.
            error = (reconstruction.float() - input_values.float()).abs()
            p = self.config.reconstruction_loss_p
            count = scored.sum().clamp(min=1).to(torch.float32)
            mean = torch.where(scored, error if p == 1 else error.pow(p), 0.0).sum() / count
            reconstruction_loss = mean if p == 1 else mean.pow(1.0 / p)
            loss = reconstruction_loss + self.config.router_aux_loss_coef * outputs.aux_loss
        output = NeurIPTForPretrainingOutput(
            loss=loss,
            reconstruction_loss=reconstruction_loss,
            aux_loss=outputs.aux_loss,
            reconstruction=reconstruction,
            mask=time_mask.bool(),
            hidden_states=outputs.hidden_states if output_hidden_states else None,
            router_logits=outputs.router_logits,
        )
        return output if self._returns_dict(return_dict) else output.to_tuple()


# ======================================================================================================================
# Classification: Intra-Inter Lobe Pooling (IILP)
# ======================================================================================================================


@dataclass
class NeurIPTSequenceClassifierOutput(ModelOutput):
    """
    Output of [`NeurIPTForSequenceClassification`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, with `labels`): task loss + `router_aux_loss_coef · aux_loss`.
        logits (`torch.FloatTensor` of shape `(batch, num_labels)`).
        aux_loss (`torch.FloatTensor` of shape `()`).
        pooled_output (`torch.FloatTensor` of shape `(batch, representations · groups · hidden_size)`): IILP features.
        hidden_states, router_logits: as in [`NeurIPTModelOutput`].
    """

    loss: Optional[torch.FloatTensor] = None
    logits: Optional[torch.FloatTensor] = None
    aux_loss: Optional[torch.FloatTensor] = None
    pooled_output: Optional[torch.FloatTensor] = None
    hidden_states: Optional[tuple[torch.FloatTensor, ...]] = None
    router_logits: Optional[tuple[torch.FloatTensor, ...]] = None


class IntraInterLobePooling(nn.Module):
    """IILP (paper Eqs. 11–14): for each pooled representation, mean over time, mean over the channels of each lobe
    group (intra-lobe), concatenate the groups (inter-lobe), then concatenate the representations.

    Groups come from the channel positions (`lobe_membership`), so any montage works; groups may overlap; a group with
    no channel in a recording contributes zeros (and `group_present` says so). With `config.lobe_groups` the groups
    are explicit lists of positions instead (the official code's hand-written lists, converted): a channel belongs to
    every group listing a position within `LEARNED_POSITION_TOLERANCE` of its own.

    With `config.pooling_time_bins = k` (not the paper's head) the mean over time becomes a mean over each of `k`
    equal time segments, so the features keep when a response happens: `(B, R · G · k · D)`.
    """

    def __init__(self, config: NeurIPTConfig):
        super().__init__()
        self.scheme = config.lobe_grouping
        self.num_representations = config.num_pooled_representations
        self.time_bins = config.pooling_time_bins
        self.group_table = None
        if config.lobe_groups is not None:
            # Plain arrays, not buffers: they follow from the config, and models built on "meta" keep no buffer values.
            self.group_table = np.asarray([xyz for group in config.lobe_groups for xyz in group.values()], np.float64)
            self.group_of_entry = np.repeat(np.arange(len(config.lobe_groups)), [len(g) for g in config.lobe_groups])
            self.num_groups = len(config.lobe_groups)
        else:
            self.num_groups = len(LOBE_GROUP_NAMES[config.lobe_grouping])

    def membership(self, channel_positions: torch.Tensor, channel_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """`(B, C, 3)` positions (and a `(B, C)` mask of real channels) → `(B, G, C)` float, 1 where channel c is in
        group g. Raises `ValueError` when `config.lobe_groups` is set and a real channel is in none of its groups."""
        if self.group_table is None:
            return lobe_membership(channel_positions, self.scheme, channel_mask)
        positions = channel_positions.detach().to(torch.float64 if channel_positions.device.type != "mps" else torch.float32)
        table = torch.as_tensor(self.group_table, dtype=positions.dtype, device=positions.device)
        close = torch.cdist(positions, table[None].expand(len(positions), -1, -1)) <= LEARNED_POSITION_TOLERANCE
        entry_group = F.one_hot(torch.as_tensor(self.group_of_entry, device=positions.device), self.num_groups)
        membership = (close.to(torch.float32) @ entry_group.to(torch.float32)).transpose(1, 2) > 0  # (B, G, C)
        real = torch.ones_like(membership[:, 0]) if channel_mask is None else channel_mask.to(membership.device).bool()
        membership = membership & real[:, None]
        if not torch.compiler.is_compiling():
            orphans = (real & ~membership.any(dim=1)).nonzero().tolist()
            if orphans:
                raise ValueError(
                    f"{len(orphans)} channel(s) at (sample, channel) {orphans[:5]} are in none of config.lobe_groups "
                    f"(no listed position within {LEARNED_POSITION_TOLERANCE * 1000:.0f} mm). The groups were written "
                    f"for one montage ({len(self.group_table)} listed positions); feed that "
                    f"montage, or set lobe_groups=None to group any montage by position rules (lobe_grouping)."
                )
        return membership.to(torch.float32)

    def forward(self, hidden_states, channel_positions, channel_mask=None):
        """
        Args:
            hidden_states: tuple of `(B, C, L_l, D)`, the embedding output first.
            channel_positions: `(B, C, 3)`; channel_mask: `(B, C)` or `None`.
        Returns:
            `(B, R · G · D)` with R pooled representations and G groups.
        """
        membership = self.membership(channel_positions, channel_mask).to(hidden_states[0].dtype)  # (B, G, C)
        counts = membership.sum(dim=-1, keepdim=True).clamp(min=1.0)
        # The embedding output plus the last `num_representations - 1` layer outputs, in depth order (the official head
        # pools the same ones as embedding output, last layer, the one before, ...; the conversion reorders its weights).
        selected = (hidden_states[0],) + tuple(hidden_states[len(hidden_states) - self.num_representations + 1 :])
        if self.time_bins is not None:
            return self.pool_time_bins(selected, membership, counts)
        pooled = [torch.bmm(membership, h.mean(dim=2)) / counts for h in selected]  # each (B, G, D)
        return torch.cat([p.flatten(1) for p in pooled], dim=-1)

    def pool_time_bins(self, selected, membership, counts):
        """The time-keeping variant: `(B, R · G · k · D)` from representations `(B, C, L_r, D)`."""
        pooled = []
        for h in selected:
            batch, channels, length, width = h.shape
            segments = F.adaptive_avg_pool1d(h.permute(0, 1, 3, 2).reshape(batch, channels * width, length), self.time_bins)
            segments = segments.view(batch, channels, width, self.time_bins).permute(0, 1, 3, 2)  # (B, C, k, D)
            grouped = torch.bmm(membership, segments.reshape(batch, channels, -1)) / counts  # (B, G, k · D)
            pooled.append(grouped.flatten(1))
        return torch.cat(pooled, dim=-1)


class NeurIPTForSequenceClassification(NeurIPTPreTrainedModel):
    """NeurIPT encoder + IILP + a linear (or MLP) classifier. `problem_type` single-label (cross-entropy or the
    paper's logit-adjusted balanced BCE), multi-label (BCE) or regression (MSE)."""

    _head_prefixes = ("classifier.",)
    _has_classifier_head = True
    # `Trainer(..., compute_metrics=model.compute_metrics)`: balanced accuracy, Cohen's kappa, weighted F1, ROC AUC
    # from the logits (numpy only, so it travels with the checkpoint's code).
    compute_metrics = staticmethod(eeg_classification_metrics)

    def __init__(self, config: NeurIPTConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.neuript = NeurIPTModel(config)
        self.pooling = IntraInterLobePooling(config)
        features = config.num_pooled_representations * self.pooling.num_groups * config.hidden_size
        features *= config.pooling_time_bins or 1
        self.dropout = nn.Dropout(config.classifier_dropout)
        if config.classifier_head == "mlp":
            self.classifier = nn.Sequential(
                nn.Linear(features, config.hidden_size), nn.GELU(), nn.Linear(config.hidden_size, config.num_labels)
            )
        else:
            self.classifier = nn.Linear(features, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor,
        channel_positions: torch.Tensor,
        channel_mask: Optional[torch.Tensor] = None,
        labels: Optional[torch.Tensor] = None,
        output_hidden_states: Optional[bool] = None,
        output_router_logits: Optional[bool] = None,
        return_dict: Optional[bool] = None,
        **kwargs,
    ) -> NeurIPTSequenceClassifierOutput:
        r"""
        Args:
            input_values, channel_positions, channel_mask: as in [`NeurIPTModel`].
            labels (`torch.LongTensor` of shape `(batch,)` or `torch.FloatTensor` of shape `(batch, num_labels)`):
                class indices (single-label), multi-hot targets (multi-label) or regression targets.
        """
        misnamed = [name for name in ("label", "label_ids") if name in kwargs]
        if misnamed:  # `**kwargs` would swallow them, and the model would train on nothing
            raise ValueError(f"Got {misnamed[0]}=; the classifier's argument is labels= (rename the column or key).")
        outputs = self.neuript(
            input_values,
            channel_positions,
            channel_mask=channel_mask,
            output_hidden_states=True,
            output_router_logits=output_router_logits,
            return_dict=True,
        )
        positions = batched_positions(channel_positions, input_values.shape[0])
        if channel_mask is not None:  # padded channels may sit anywhere, NaN included
            positions = positions.masked_fill(~channel_mask.bool().to(positions.device)[..., None], 0)
        pooled = self.pooling(outputs.hidden_states, positions.to(input_values.device), channel_mask)
        logits = self.classifier(self.dropout(pooled))

        loss = None
        if labels is not None:
            loss = self.task_loss(logits, labels.to(logits.device)) + self.config.router_aux_loss_coef * outputs.aux_loss
        output = NeurIPTSequenceClassifierOutput(
            loss=loss,
            logits=logits,
            aux_loss=outputs.aux_loss,
            pooled_output=pooled,
            hidden_states=outputs.hidden_states if output_hidden_states else None,
            router_logits=outputs.router_logits,
        )
        return output if self._returns_dict(return_dict) else output.to_tuple()

    def task_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss for `config.problem_type` (inferred from the labels' dtype when unset, as transformers does)."""
        config = self.config
        if config.problem_type is None:
            if self.num_labels == 1:
                config.problem_type = "regression"
            elif labels.dtype in (torch.long, torch.int):
                config.problem_type = "single_label_classification"
            else:
                config.problem_type = "multi_label_classification"
        if config.problem_type == "regression":
            return F.mse_loss(logits.squeeze(-1).float(), labels.float().view(-1) if self.num_labels == 1 else labels.float())
        if config.problem_type == "multi_label_classification":
            return F.binary_cross_entropy_with_logits(logits.float(), labels.float())
        labels = labels.view(-1).long()
        if config.balanced_bce_k is None:
            return F.cross_entropy(logits.float(), labels, label_smoothing=config.label_smoothing)
        return balanced_bce_loss(logits.float(), labels, config.class_priors, config.balanced_bce_k, config.label_smoothing)


def balanced_bce_loss(logits, labels, class_priors, k, label_smoothing=0.0):
    """Logit-adjusted balanced BCE (paper App. C.4, after LiVT): add `K · log(π / (1 − π))` to the logits during
    training, one-vs-all BCE against (smoothed) one-hot targets, times the number of classes as in the official code."""
    num_classes = logits.shape[-1]
    priors = torch.as_tensor(class_priors, dtype=logits.dtype, device=logits.device).clamp(1e-6, 1 - 1e-6)
    if priors.numel() != num_classes:
        raise ValueError(f"class_priors has {priors.numel()} entries but the classifier has {num_classes} outputs.")
    adjusted = logits + k * (priors.log() - (1 - priors).log())
    targets = F.one_hot(labels, num_classes).to(logits.dtype)
    if label_smoothing > 0:
        targets = targets * (1 - label_smoothing) + label_smoothing / num_classes
    return F.binary_cross_entropy_with_logits(adjusted, targets) * num_classes


# ======================================================================================================================
# Parameter accounting
# ======================================================================================================================


def count_parameters(model: nn.Module, active_only: bool = False) -> int:
    """Parameters of `model`; with `active_only=True`, those one token uses: each PMoE counts only
    `top_k` of its routed experts (plus its router and shared expert), and the fixed random-embedding set is not a
    parameter anyway. The paper reports 73.5 M active parameters for its classifier (73.3 M encoder + head)."""
    total = sum(p.numel() for p in model.parameters())
    if not active_only:
        return total
    for module in model.modules():
        if isinstance(module, NeurIPTProgressiveMoE):
            per_expert = sum(p[0].numel() for p in module.experts.parameters())
            total -= per_expert * (module.num_experts - module.router.top_k)
    return total


__all__ = [
    "AmplitudeAwareMasking",
    "IntraInterLobePooling",
    "NeurIPTForPretraining",
    "NeurIPTForPretrainingOutput",
    "NeurIPTForSequenceClassification",
    "NeurIPTSequenceClassifierOutput",
    "NeurIPTModel",
    "NeurIPTModelOutput",
    "NeurIPTPreTrainedModel",
    "count_parameters",
]
