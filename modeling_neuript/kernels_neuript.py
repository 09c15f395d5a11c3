# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""Fast kernels of NeurIPT: the pieces `modeling_neuript.py` calls by name where a hand-written backward or a grouped
matmul is faster than autograd's version of the same expression.

Every function here computes exactly what its plain expression (given in its docstring) computes — the same values
in the forward pass and the same gradients — so the model file reads as the math and this file holds the speed:

- `split_heads`: a fused QKV / KV projection → per-head views (`view` → `permute` → `unbind`);
- `swiglu`: `SiLU(gate) · up` of a fused `[gate; up]` projection;
- `dropout_add`: `residual + Dropout_p(branch)`;
- `linear_in_input_dtype`: a small `Linear` outside autocast, so no low-precision copy of its input is kept;
- `sort_slots`, `gather_slots`, `combine_slots`: the routing slots of a mixture of experts grouped by expert and
  summed back onto their tokens;
- `grouped_experts_forward`: every expert of a `NeurIPTExperts` in two grouped matmuls (GPUs), registered with
  transformers as the experts implementation `"neuript_grouped_mm"` by `register_experts_kernel()` — called when a
  NeurIPT model is built, never at import.

Part of the Hub bundle: imports only torch and transformers. Timings of each kernel against its plain expression are
in docs/benchmarks.md.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS

# ======================================================================================================================
# Attention heads
# ======================================================================================================================


class _SplitHeadsFunction(torch.autograd.Function):
    """`(N, L, count·heads·head_dim)` → `count` views `(N, heads, L, head_dim)` of one fused projection (Q, K, V or
    K, V). Autograd's version (`view` → `permute` → `unbind`) stacks the incoming gradients into a head-major buffer
    in its backward and then copies that buffer back into the projection's layout: two transposing passes. The
    attention kernels already return each gradient in token-major `(N, L, heads, head_dim)` memory, so this backward
    copies each one straight into its slice of the projection's gradient: one pass of contiguous rows."""

    @staticmethod
    def forward(ctx, projection: torch.Tensor, count: int, num_heads: int) -> tuple[torch.Tensor, ...]:
        ctx.set_materialize_grads(False)  # a part without gradient arrives as None: zero its slice, allocate nothing
        ctx.shape = projection.shape
        return _head_views(projection, count, num_heads)

    @staticmethod
    def backward(ctx, *grads: Optional[torch.Tensor]):
        grad = next(g for g in grads if g is not None).new_empty(ctx.shape)
        slices = grad.view(*ctx.shape[:2], len(grads), -1).unbind(2)  # each (N, L, heads·head_dim)
        for part, target in zip(grads, slices):
            if part is None:  # e.g. a key or value outside the graph of the loss
                target.zero_()
            else:
                part = part.transpose(1, 2)  # (N, L, heads, head_dim)
                target.view(part.shape).copy_(part)
        return grad, None, None


def _head_views(projection: torch.Tensor, count: int, num_heads: int) -> tuple[torch.Tensor, ...]:
    n, length, width = projection.shape
    return projection.view(n, length, count, num_heads, width // (count * num_heads)).permute(2, 0, 3, 1, 4).unbind(0)


def split_heads(projection: torch.Tensor, count: int, num_heads: int) -> tuple[torch.Tensor, ...]:
    """`(N, L, count·heads·head_dim)` fused projection → `count` tensors `(N, heads, L, head_dim)` (views).

    Plain expression: `projection.view(N, L, count, heads, head_dim).permute(2, 0, 3, 1, 4).unbind(0)`."""
    if torch.is_grad_enabled() and projection.requires_grad and not torch.compiler.is_compiling():
        return _SplitHeadsFunction.apply(projection, count, num_heads)
    return _head_views(projection, count, num_heads)


# ======================================================================================================================
# Feed-forward pieces
# ======================================================================================================================


class _SwiGLUFunction(torch.autograd.Function):
    """`SiLU(gate) · up` of a fused `[gate; up]` projection. Autograd's version saves `SiLU(gate)` as well and
    concatenates the two input gradients in its backward (a copy of the 2·I-wide gradient); this one saves only the
    projection and writes both gradients straight into one buffer."""

    @staticmethod
    def forward(ctx, gate_up: torch.Tensor) -> torch.Tensor:
        gate, up = gate_up.chunk(2, dim=-1)
        ctx.save_for_backward(gate_up)
        return F.silu(gate) * up

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (gate_up,) = ctx.saved_tensors
        gate, up = gate_up.chunk(2, dim=-1)
        grad_gate_up = torch.empty_like(gate_up)
        grad_gate, grad_up = grad_gate_up.chunk(2, dim=-1)
        torch.ops.aten.silu_backward.grad_input(grad_output * up, gate, grad_input=grad_gate)
        torch.mul(grad_output, F.silu(gate), out=grad_up)
        return grad_gate_up


def swiglu(gate_up: torch.Tensor) -> torch.Tensor:
    """`(..., 2·I)` → `(..., I)`. Plain expression: `gate, up = gate_up.chunk(2, -1); F.silu(gate) * up`."""
    if torch.is_grad_enabled() and gate_up.requires_grad and not torch.compiler.is_compiling():
        return _SwiGLUFunction.apply(gate_up)
    gate, up = gate_up.chunk(2, dim=-1)
    if torch.is_grad_enabled() and gate_up.requires_grad:  # under torch.compile: inductor fuses this anyway
        return F.silu(gate) * up
    return F.silu(gate).mul_(up)  # inference: one buffer, no copy


def dropout_add(residual: torch.Tensor, branch: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """`residual + Dropout_p(branch)` (inverted dropout, as `nn.Dropout`). A no-op dropout costs nothing; on CPU the
    scaled mask is applied with one `addcmul` instead of a multiply and an add (the same values: the mask holds
    only 0 and 1/(1-p)); elsewhere the fused native dropout kernel is used."""
    if not training or p == 0.0:
        return residual + branch
    if branch.device.type != "cpu" or torch.compiler.is_compiling():
        return residual + F.dropout(branch, p, training=True)
    mask = torch.empty_like(branch).bernoulli_(1.0 - p).div_(1.0 - p)
    return torch.addcmul(residual, branch, mask)


def linear_in_input_dtype(linear: torch.nn.Linear, hidden_states: torch.Tensor) -> torch.Tensor:
    """`linear(hidden_states)` computed in the hidden states' own dtype, outside autocast. Under bf16 autocast a
    `Linear` keeps a bf16 copy of its input for the backward pass; this keeps the input itself (which the caller keeps
    anyway), for small projections whose float32 cost is negligible (the AAMP decoder's D → patch_size prediction)."""
    with torch.autocast(hidden_states.device.type, enabled=False):
        return F.linear(hidden_states, linear.weight.to(hidden_states.dtype), linear.bias.to(hidden_states.dtype))


# ======================================================================================================================
# Mixture-of-experts routing slots
# ======================================================================================================================


def sort_slots(top_k_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The routing slots `(tokens, k)` flattened and ordered by expert (stable): `(expert of each slot (tokens·k,),
    order: sorted slot -> slot, inverse: slot -> sorted slot)`."""
    flat_expert = top_k_index.reshape(-1)
    order = torch.argsort(flat_expert, stable=True)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    return flat_expert, order, inverse


class _SlotGather(torch.autograd.Function):
    """`x[order // k]`: every token once per routing slot, in expert-sorted slot order. Its backward sums the k slot
    gradients of each token with a permutation gather and a reshape-sum, instead of `index_add_`'s serial scatter;
    `_SlotCombine` is its adjoint."""

    @staticmethod
    def forward(ctx, hidden_states, order, inverse, top_k):
        ctx.save_for_backward(order, inverse)
        ctx.top_k = top_k
        return hidden_states.index_select(0, torch.div(order, top_k, rounding_mode="floor"))

    @staticmethod
    def backward(ctx, grad_output):
        order, inverse = ctx.saved_tensors
        return _sum_slots(grad_output, inverse, ctx.top_k), None, None, None


class _SlotCombine(torch.autograd.Function):
    """`Σ_slots` of expert-sorted slot outputs back onto their tokens `(tokens·k, D)` → `(tokens, D)`, summing each
    token's k slots in slot order (deterministic, the same order as a `(tokens, k, D).sum(1)`)."""

    @staticmethod
    def forward(ctx, slot_outputs, order, inverse, top_k):
        ctx.save_for_backward(order, inverse)
        ctx.top_k = top_k
        return _sum_slots(slot_outputs, inverse, top_k)

    @staticmethod
    def backward(ctx, grad_output):
        order, inverse = ctx.saved_tensors
        return grad_output.index_select(0, torch.div(order, ctx.top_k, rounding_mode="floor")), None, None, None


def _sum_slots(sorted_slots: torch.Tensor, inverse: torch.Tensor, top_k: int) -> torch.Tensor:
    """Expert-sorted `(tokens·k, D)` → slot order → `(tokens, D)` sum over each token's k slots."""
    slots = sorted_slots.index_select(0, inverse)
    return slots.view(-1, top_k, slots.shape[-1]).sum(dim=1)


def gather_slots(hidden_states: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor, top_k: int) -> torch.Tensor:
    """`(tokens, D)` → `(tokens·k, D)`, one row per routing slot in expert-sorted order.
    Plain expression: `hidden_states[order // top_k]`."""
    return _SlotGather.apply(hidden_states, order, inverse, top_k)


def combine_slots(slot_outputs: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor, top_k: int) -> torch.Tensor:
    """Expert-sorted `(tokens·k, D)` → `(tokens, D)`, each token's k slots summed.
    Plain expression: `slot_outputs[inverse].view(tokens, top_k, D).sum(1)`."""
    return _SlotCombine.apply(slot_outputs, order, inverse, top_k)


# ======================================================================================================================
# Grouped experts (`experts_implementation="neuript_grouped_mm"`)
# ======================================================================================================================

# torch ≥ 2.10 names it `torch.nn.functional.grouped_mm`; 2.8–2.9 only have the private `torch._grouped_mm`.
_grouped_mm = getattr(F, "grouped_mm", None) or getattr(torch, "_grouped_mm", None)

EXPERTS_KERNEL = "neuript_grouped_mm"


def neuript_grouped_mm_experts_forward(experts, hidden_states, top_k_index, top_k_weights) -> torch.Tensor:
    """`experts_implementation="neuript_grouped_mm"`, the NeurIPT default: on GPUs all experts in two grouped matmuls
    in the autocast dtype (`grouped_experts_forward`); on CPU, where a loop of dense matmuls is faster than torch's
    CPU grouped matmul at a handful of experts, the eager loop (`experts.eager_forward`). Under `torch.compile` the
    path compiles without graph breaks: grouped matmuls in bfloat16 (the only dtype inductor lowers them in), else
    transformers' `"grouped_mm"`, whose per-expert loop is one opaque custom op. Same arguments and result as
    `NeurIPTExperts.forward`.

    Why not transformers' `"grouped_mm"` everywhere: grouped matmuls are not autocast-aware, and under mixed precision
    the expert weights stay float32 (the master weights), so it runs them in float32 — and under `torch.compile`
    through its fallback loop, with host syncs and graph breaks (docs/benchmarks.md has the measurements).
    """
    device_type = hidden_states.device.type
    dtype = torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else None
    dtype = dtype or experts.gate_up_proj.dtype
    if torch.compiler.is_compiling():
        if dtype != torch.bfloat16:
            return ALL_EXPERTS_FUNCTIONS["grouped_mm"](experts, hidden_states, top_k_index, top_k_weights)
    elif device_type == "cpu":
        return experts.eager_forward(hidden_states, top_k_index, top_k_weights)
    return grouped_experts_forward(experts, hidden_states, top_k_index, top_k_weights, dtype)


def grouped_experts_forward(experts, hidden_states, top_k_index, top_k_weights, dtype: torch.dtype) -> torch.Tensor:
    """Every expert's tokens in two grouped matmuls computed in `dtype` (tokens and weights cast first, as autocast
    does for a `Linear`), with no host synchronisation and no Python loop over experts."""
    top_k = top_k_index.shape[1]
    flat_expert, order, inverse = sort_slots(top_k_index)
    sorted_expert = flat_expert.index_select(0, order)
    # End offset of each expert's block of sorted slots, on the device (`bincount` would sync with the host, and a
    # scatter is not deterministic on GPUs): a (slots, E) comparison, negligible next to the matmuls.
    expert_ids = torch.arange(experts.num_experts, device=flat_expert.device)
    offsets = (flat_expert[:, None] == expert_ids).sum(0).cumsum(0).to(torch.int32)
    grouped_input = gather_slots(hidden_states, order, inverse, top_k).to(dtype)  # (tokens·k, D)
    gate_up = _grouped_mm(grouped_input, experts.gate_up_proj.to(dtype).transpose(-2, -1), offs=offsets)
    gate_up = gate_up + experts.gate_up_proj_bias.to(dtype).index_select(0, sorted_expert)
    hidden = swiglu(gate_up)
    output = _grouped_mm(hidden, experts.down_proj.to(dtype).transpose(-2, -1), offs=offsets)
    output = output + experts.down_proj_bias.to(dtype).index_select(0, sorted_expert)
    slot_weights = top_k_weights.reshape(-1).index_select(0, order).unsqueeze(-1)
    return combine_slots(output * slot_weights.to(dtype), order, inverse, top_k)


def register_experts_kernel() -> Optional[str]:
    """Make `"neuript_grouped_mm"` a transformers experts implementation (idempotent); returns its name, or `None`
    where this torch has no grouped matmul. Called when a NeurIPT model is built (its default experts
    implementation), so importing the bundle changes nothing in transformers."""
    if _grouped_mm is None:
        return None
    if ALL_EXPERTS_FUNCTIONS.get(EXPERTS_KERNEL) is not neuript_grouped_mm_experts_forward:
        ALL_EXPERTS_FUNCTIONS.register(EXPERTS_KERNEL, neuript_grouped_mm_experts_forward)
    return EXPERTS_KERNEL


__all__: list[str] = [
    "combine_slots",
    "dropout_add",
    "gather_slots",
    "linear_in_input_dtype",
    "grouped_experts_forward",
    "neuript_grouped_mm_experts_forward",
    "register_experts_kernel",
    "sort_slots",
    "split_heads",
    "swiglu",
]
