"""Export a NeurIPT classifier for deployment: `torch.export` programs and ONNX files.

    from modeling_neuript.interop.onnx_export import export_onnx, export_program
    program = export_program(model)                    # torch.export.ExportedProgram, dynamic batch size
    export_onnx(model, "neuript.onnx")                 # ONNX opset 18, dynamic batch size, runs in onnxruntime

Both export the same function of three inputs, the feature extractor's outputs:

    input_values (batch, channels, time) float32, channel_positions (batch, channels, 3) float32,
    channel_mask (batch, channels) int64   →   logits (batch, num_labels) float32

The batch axis is dynamic; the channel axis is dynamic with `dynamic_channels=True` (slower to export); the time axis is
fixed to the window the model was exported with (pad channels, never time). Measured: onnxruntime (CPU) matches
PyTorch within 1e-4 absolute on the logits of real EEG windows (tests/test_export.py).

What the export changes, and why:

- The model's default mixture-of-experts dispatch (transformers' `grouped_mm`, or our eager loop) groups tokens by
  expert with data-dependent sizes: the eager loop reads the counts on the host, `grouped_mm` is a custom operator
  onnx does not know. For export the experts run as `"neuript_dense"`: every expert on every token, weighted by the
  router's top-k weights scattered into a dense `(tokens, experts)` matrix (zero for unselected experts). Same values
  up to float rounding, `experts / top_k` times the expert FLOPs, only standard operators. The model's own setting is
  restored afterwards.
- The model's input validation (NaN, positions outside the head cube) is skipped while tracing (it needs host reads);
  an exported program trusts its inputs, so validate them with the feature extractor.
- Only the logits are returned (no auxiliary loss or router logits: dead code, removed from the graph).

Not part of the Hub bundle; needs `onnx`, `onnxscript` and (to run the file) `onnxruntime` for ONNX.
"""

import contextlib
import os
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn
from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS

DEFAULT_OPSET = 18
INPUT_NAMES = ("input_values", "channel_positions", "channel_mask")


def dense_experts_forward(self, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor):
    """Experts implementation without data-dependent shapes (for export): `Σ_e w_e · expert_e(x)` over all experts.

    Args:
        hidden_states: `(tokens, hidden_size)`; top_k_index, top_k_weights: `(tokens, k)`.
    Returns:
        `(tokens, hidden_size)`.
    """
    routing = hidden_states.new_zeros(hidden_states.shape[0], self.num_experts)  # (tokens, E)
    routing = routing.scatter(1, top_k_index, top_k_weights.to(hidden_states.dtype))
    gate_up = torch.einsum("th,eoh->teo", hidden_states, self.gate_up_proj) + self.gate_up_proj_bias  # (T, E, 2I)
    gate, up = gate_up.chunk(2, dim=-1)
    expert_outputs = torch.einsum("tei,ehi->teh", F.silu(gate) * up, self.down_proj) + self.down_proj_bias  # (T, E, D)
    return torch.einsum("teh,te->th", expert_outputs, routing)


class NeurIPTLogits(nn.Module):
    """A classifier as a plain function of tensors, `(input_values, channel_positions, channel_mask) → logits`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_values: torch.Tensor, channel_positions: torch.Tensor, channel_mask: torch.Tensor):
        return self.model(input_values, channel_positions, channel_mask=channel_mask).logits


@contextlib.contextmanager
def export_mode(model):
    """Eval mode and the `"neuript_dense"` experts while exporting; the model's settings are restored afterwards."""
    training, implementation = model.training, model.config._experts_implementation
    model.eval()
    if ALL_EXPERTS_FUNCTIONS.get("neuript_dense") is not dense_experts_forward:  # registered when first exporting
        ALL_EXPERTS_FUNCTIONS.register("neuript_dense", dense_experts_forward)
    model.set_experts_implementation("neuript_dense")
    try:
        yield model
    finally:
        model.set_experts_implementation(implementation)
        model.train(training)


def example_inputs(model, batch: int = 2, channels: int = 8, time: Optional[int] = None):
    """Inputs of the right shapes and dtypes to trace with: `time` defaults to the config's window
    (`sampling_rate × window_seconds` samples); positions are a ring of real-looking electrode positions."""
    config = model.config
    time = config.window_length if time is None else int(time)
    angle = torch.linspace(0, 2 * torch.pi, channels + 1)[:channels]
    ring = torch.stack([0.07 * torch.cos(angle), 0.07 * torch.sin(angle), torch.full_like(angle, 0.06)], dim=-1)
    return (
        torch.zeros(batch, channels, time),
        ring[None].expand(batch, -1, -1).contiguous(),
        torch.ones(batch, channels, dtype=torch.long),
    )


def _check_classifier(model):
    if getattr(getattr(model, "config", None), "model_type", None) != "neuript" or not hasattr(model, "classifier"):
        raise ValueError(
            f"Export takes a NeurIPT classifier (NeurIPTForSequenceClassification), got {type(model).__name__}."
        )


def _dynamic_shapes(dynamic_batch: bool, dynamic_channels: bool):
    axes = {}
    if dynamic_batch:
        axes[0] = torch.export.Dim("batch", min=1, max=4096)
    if dynamic_channels:
        axes[1] = torch.export.Dim("channels", min=1, max=1024)
    if not axes:
        return None
    return {"input_values": dict(axes), "channel_positions": dict(axes), "channel_mask": dict(axes)}


def export_program(
    model,
    example: Optional[tuple] = None,
    dynamic_batch: bool = True,
    dynamic_channels: bool = False,
) -> torch.export.ExportedProgram:
    """
    `torch.export` a NeurIPT classifier as `(input_values, channel_positions, channel_mask) → logits`.

    Args:
        model: a `NeurIPTForSequenceClassification` (from this package or loaded with `trust_remote_code`).
        example: `(input_values, channel_positions, channel_mask)` to trace with; the time length of `input_values`
            is the one the program accepts. Default: `example_inputs(model)` (the config's window, 8 channels).
            Pass real feature-extractor outputs to export for your window length.
        dynamic_batch: let the batch size vary (default).
        dynamic_channels: let the channel count vary too (default off: the export takes longer).

    Returns:
        The `torch.export.ExportedProgram`; `program.module()(values, positions, mask)` runs it,
        `torch.export.save(program, "neuript.pt2")` stores it.
    """
    _check_classifier(model)
    example = example_inputs(model) if example is None else tuple(example)
    if len(example) != 3:
        raise ValueError("example must be (input_values, channel_positions, channel_mask).")
    values, positions, mask = example
    example = (values.float(), positions.float(), mask.long())
    with export_mode(model):
        return torch.export.export(
            NeurIPTLogits(model), example, dynamic_shapes=_dynamic_shapes(dynamic_batch, dynamic_channels), strict=False
        )


def export_onnx(
    model,
    path: Union[str, os.PathLike],
    opset: int = DEFAULT_OPSET,
    example: Optional[tuple] = None,
    dynamic_batch: bool = True,
    dynamic_channels: bool = False,
    optimize: bool = True,
):
    """
    Write a NeurIPT classifier (or a program from `export_program`) as an ONNX file, through torch's dynamo exporter.

    Args:
        model: a `NeurIPTForSequenceClassification`, or an `ExportedProgram` from `export_program` (then `example`,
            `dynamic_batch` and `dynamic_channels` were fixed there).
        path: the `.onnx` file to write.
        opset: ONNX opset version (default 18; onnxruntime ≥ 1.14 runs it).
        example, dynamic_batch, dynamic_channels: as in `export_program`.
        optimize: let the exporter fold constants and fuse patterns (default).

    Returns:
        The `torch.onnx.ONNXProgram`. The file has inputs `input_values` float32 `(batch, channels, time)`,
        `channel_positions` float32 `(batch, channels, 3)`, `channel_mask` int64 `(batch, channels)` and the output
        `logits` float32 `(batch, num_labels)`.
    """
    program = (
        model
        if isinstance(model, torch.export.ExportedProgram)
        else export_program(model, example, dynamic_batch=dynamic_batch, dynamic_channels=dynamic_channels)
    )
    onnx_program = torch.onnx.export(
        program,
        f=None,
        opset_version=int(opset),
        input_names=list(INPUT_NAMES),
        output_names=["logits"],
        optimize=optimize,
        verbose=False,
    )
    onnx_program.save(os.fspath(path))
    return onnx_program


__all__ = ["DEFAULT_OPSET", "NeurIPTLogits", "dense_experts_forward", "example_inputs", "export_onnx", "export_program"]
