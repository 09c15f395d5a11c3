"""The fast paths compute the reference math: every performance change of the encoder is pinned here against a
straightforward implementation written in this file (same weights), with the tolerance it is allowed.

Tolerances: float32 paths that only reorder work agree to 1e-5 (absolute, on O(1) activations); bf16 autocast
agrees with float32 to 5 % of the output scale; `torch.compile` agrees with eager to 1e-4.
No timing is asserted here: speed is measured by `benchmarks/`.
"""

import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from modeling_neuript import NeurIPTForSequenceClassification, NeurIPTModel
from modeling_neuript.modeling_neuript import (
    NeurIPTProgressiveMoE,
    progressive_moe_aux_loss,
    NeurIPTTwoStageLayer,
    dropout_add,
    split_heads,
    swiglu,
)
from modeling_neuript.kernels_neuript import grouped_experts_forward
from helpers import tiny_config

PRESETS = Path(__file__).resolve().parents[1] / "configuration"



def randomise(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Non-trivial weights everywhere (biases and LayerNorm affine included), so no path hides behind zeros/ones."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1 + (parameter.dim() == 1) * 0.0)
    return module


# ----------------------------------------------------------------------------------------------------------------------
# Reference math, written plainly
# ----------------------------------------------------------------------------------------------------------------------


def reference_attention(module, x, key_mask=None):
    """Multi-head self-attention over axis 1 of `(N, L, D)`, explicit softmax."""
    n, length, dim = x.shape
    heads = module.num_heads
    qkv = F.linear(x, module.qkv_proj.weight, module.qkv_proj.bias)
    q, k, v = qkv.split(dim, dim=-1)
    q, k, v = (t.reshape(n, length, heads, dim // heads).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) / math.sqrt(dim // heads)
    if key_mask is not None:
        scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, length, dim)
    return F.linear(out, module.o_proj.weight, module.o_proj.bias)


def reference_swiglu_mlp(x, gate_up_weight, gate_up_bias, down_weight, down_bias):
    gate, up = F.linear(x, gate_up_weight, gate_up_bias).chunk(2, dim=-1)
    return F.linear(F.silu(gate) * up, down_weight, down_bias)


def reference_moe(moe: NeurIPTProgressiveMoE, x):
    """Shared expert + Σ_{e in top-k} p_e · expert_e(x), token by token over the routing slots (no sorting)."""
    flat = x.reshape(-1, x.shape[-1])
    probs = F.softmax(F.linear(flat, moe.router.weight.weight, moe.router.weight.bias), dim=-1)
    top_p, top_i = probs.topk(moe.router.top_k, dim=-1)
    shared = moe.shared_expert
    out = reference_swiglu_mlp(flat, shared.gate_up_proj.weight, shared.gate_up_proj.bias, shared.down_proj.weight,
                               shared.down_proj.bias)
    experts = moe.experts
    for slot in range(top_i.shape[1]):
        for e in range(experts.num_experts):
            rows = top_i[:, slot] == e
            if rows.any():
                y = reference_swiglu_mlp(flat[rows], experts.gate_up_proj[e], experts.gate_up_proj_bias[e],
                                         experts.down_proj[e], experts.down_proj_bias[e])
                out[rows] = out[rows] + top_p[rows, slot, None] * y
    return out.view(x.shape)


def reference_feed_forward(ff, x):
    if ff.num_experts > 0:
        return reference_moe(ff.moe, x)
    mlp = ff.mlp
    return reference_swiglu_mlp(x, mlp.gate_up_proj.weight, mlp.gate_up_proj.bias, mlp.down_proj.weight,
                                mlp.down_proj.bias)


def reference_two_stage_layer(layer: NeurIPTTwoStageLayer, x, electrode=None, channel_keys=None):
    """Eval-mode two-stage layer on `(B, C, L, D)` with explicit permutes."""
    b, c, length, d = x.shape
    h = x.reshape(b * c, length, d)
    h = h + reference_attention(layer.time_attention, layer.time_attention_norm(h))
    h = h + reference_feed_forward(layer.time_feed_forward, layer.time_feed_forward_norm(h))
    h = h.reshape(b, c, length, d).permute(0, 2, 1, 3)
    if electrode is not None:
        h = h + electrode[:, None]
    h = h.reshape(b * length, c, d)
    h = h + reference_attention(layer.channel_attention, layer.channel_attention_norm(h), channel_keys)
    h = h + reference_feed_forward(layer.channel_feed_forward, layer.channel_feed_forward_norm(h))
    return h.reshape(b, length, c, d).permute(0, 2, 1, 3)


# ----------------------------------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer_idx", [0, 3])  # dense layer with the electrode embedding; PMoE layer with 4 experts
@pytest.mark.parametrize("with_channel_mask", [False, True])
def test_two_stage_layer_matches_reference_math(layer_idx, with_channel_mask):
    config = tiny_config()
    config._experts_implementation = "eager"
    layer = randomise(NeurIPTTwoStageLayer(config, layer_idx)).eval()
    generator = torch.Generator().manual_seed(1)
    b, c, length, d = 2, 5, 12, config.hidden_size
    x = torch.randn(b, c, length, d, generator=generator)
    electrode = torch.randn(b, c, d, generator=generator) if layer_idx == 0 else None
    channel_keys = None
    if with_channel_mask:
        channel_keys = torch.ones(b * length, c, dtype=torch.bool)
        channel_keys[:length, -2:] = False  # the first sample has two padded channels
    with torch.no_grad():
        out, _, _, _ = layer(x, electrode, None, channel_keys, None, False)
        expected = reference_two_stage_layer(layer, x, electrode, channel_keys)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_swiglu_forward_and_gradient_match_autograd():
    generator = torch.Generator().manual_seed(2)
    gate_up = torch.randn(7, 3, 10, generator=generator, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(swiglu, (gate_up,))
    reference_input = gate_up.detach().clone().requires_grad_(True)
    gate, up = reference_input.chunk(2, dim=-1)
    reference = F.silu(gate) * up
    out = swiglu(gate_up)
    grad = torch.randn(out.shape, generator=generator, dtype=torch.float64)
    out.backward(grad)
    reference.backward(grad)
    torch.testing.assert_close(out, reference)
    torch.testing.assert_close(gate_up.grad, reference_input.grad)
    with torch.no_grad():  # the in-place inference path
        torch.testing.assert_close(swiglu(gate_up), reference)


@pytest.mark.parametrize("count, used", [(3, (0, 1, 2)), (2, (0, 1)), (3, (0, 2))])
def test_split_heads_gradient_is_autograds(count, used):
    """The fused projection's split into heads (one copy pass in its backward) gives autograd's `view` → `permute` →
    `unbind` values and gradient, bit for bit, with the attention kernel's token-major gradients and with heads that
    receive no gradient (a zero slice)."""
    generator = torch.Generator().manual_seed(3)
    projection = torch.randn(6, 11, count * 4 * 8, generator=generator, requires_grad=True)
    reference_input = projection.detach().clone().requires_grad_(True)
    parts = split_heads(projection, count, 4)
    reference = reference_input.view(6, 11, count, 4, 8).permute(2, 0, 3, 1, 4).unbind(0)
    assert [part.shape for part in parts] == [(6, 4, 11, 8)] * count
    for part, expected in zip(parts, reference):
        assert torch.equal(part, expected)

    weight = torch.randn(6, 4, 11, 8, generator=generator)

    def loss(tensors):
        if len(used) < count:  # a part left out of the graph: its slice of the gradient is zero
            return sum(tensors[i].pow(2).sum() * (i + 1) for i in used)
        query, key, value = tensors if count == 3 else (tensors[0], *tensors)
        return (F.scaled_dot_product_attention(query, key, value) * weight).sum()

    loss(parts).backward()
    loss(reference).backward()
    assert torch.equal(projection.grad, reference_input.grad)
    with torch.no_grad():  # inference: plain views
        assert all(torch.equal(a, b) for a, b in zip(split_heads(projection, count, 4), reference))


def test_dropout_add_is_residual_plus_dropout():
    x, y = torch.randn(300, 16), torch.randn(300, 16, requires_grad=True)
    torch.manual_seed(3)
    expected = x + F.dropout(y, 0.1, training=True)
    torch.manual_seed(3)
    out = dropout_add(x, y, 0.1, training=True)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-6)  # same mask (same RNG draws), fused add
    out.sum().backward()
    kept = expected != x
    assert torch.allclose(y.grad[kept], torch.full_like(y.grad[kept], 1 / 0.9))
    assert torch.equal(dropout_add(x, y, 0.1, training=False), x + y)
    assert torch.equal(dropout_add(x, y, 0.0, training=True), x + y)


@pytest.mark.parametrize("num_experts", [2, 4, 6])
def test_experts_implementations_agree_with_reference(num_experts):
    """eager (sort-by-expert loop), transformers' grouped_mm and ours (the default) give the reference PMoE output and
    the same gradients."""
    config = tiny_config(router_jitter_noise=0.0)
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(3, 4, 9, config.hidden_size, generator=generator)
    results = {}
    for implementation in ("eager", "grouped_mm", "neuript_grouped_mm"):
        config._experts_implementation = implementation
        moe = randomise(NeurIPTProgressiveMoE(config, num_experts), seed=5)
        moe.experts.config._experts_implementation = implementation
        inputs = x.clone().requires_grad_(True)
        out, _, aux = moe(inputs)
        (out.square().sum() + aux).backward()
        results[implementation] = (out.detach(), inputs.grad, moe.experts.gate_up_proj.grad, moe.experts.down_proj.grad)
        with torch.no_grad():
            torch.testing.assert_close(out, reference_moe(moe, x), atol=1e-5, rtol=1e-5)
    # The GPU path of the default implementation (on CPU it runs the eager loop), called directly.
    moe = randomise(NeurIPTProgressiveMoE(config, num_experts), seed=5)
    inputs = x.clone().requires_grad_(True)
    flat = inputs.reshape(-1, config.hidden_size)
    router_logits, top_k_weights, top_k_index = moe.router(flat)
    routed = grouped_experts_forward(moe.experts, flat, top_k_index, top_k_weights, torch.float32)
    out = (moe.shared_expert(flat) + routed).view_as(inputs)
    aux = progressive_moe_aux_loss(router_logits, top_k_index, None, moe.importance_weight, moe.load_balance_form)
    (out.square().sum() + aux).backward()
    results["grouped"] = (out.detach(), inputs.grad, moe.experts.gate_up_proj.grad, moe.experts.down_proj.grad)
    for other in ("grouped_mm", "neuript_grouped_mm", "grouped"):
        for a, b in zip(results["eager"], results[other]):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_training_step_gradients_match_unfused_reference():
    """With dropout off, the fused SwiGLU / dropout-add / slot-gather backward give the gradients of the plain math."""
    config = tiny_config(hidden_dropout_prob=0.0, router_jitter_noise=0.0)
    config._experts_implementation = "eager"
    layer = randomise(NeurIPTTwoStageLayer(config, 5), seed=6).train()
    x = torch.randn(2, 3, 8, config.hidden_size, generator=torch.Generator().manual_seed(7))
    inputs = x.clone().requires_grad_(True)
    out, _, _, _ = layer(inputs, None, None, None, None, False)
    out.square().sum().backward()
    fast = [inputs.grad] + [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    reference_inputs = x.clone().requires_grad_(True)
    reference_two_stage_layer(layer, reference_inputs).square().sum().backward()
    slow = [reference_inputs.grad] + [p.grad for p in layer.parameters()]
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def _classifier_and_inputs(seed=0):
    config = tiny_config(num_labels=3)
    torch.manual_seed(seed)
    model = NeurIPTForSequenceClassification(config).eval()
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(2, 6, 64, generator=generator)
    positions = (torch.rand(2, 6, 3, generator=generator) - 0.5) * 0.16
    return model, values, positions


def test_bf16_autocast_is_close_to_float32():
    model, values, positions = _classifier_and_inputs()
    with torch.no_grad():
        reference = model(values, positions, output_hidden_states=True).hidden_states[-1]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(values, positions, output_hidden_states=True).hidden_states[-1]
    assert low.dtype in (torch.bfloat16, torch.float32)
    error = (low.float() - reference).abs().max() / reference.abs().max()
    assert error < 0.05, f"bf16 autocast deviates by {error:.3f} of the output scale"


def test_torch_compile_matches_eager():
    """`torch.compile` of the encoder gives the eager outputs (1e-4); skipped where inductor cannot build kernels."""
    config = tiny_config(num_hidden_layers=2, merge_factors=[1, 2], num_experts_per_layer=[0, 2])
    config._experts_implementation = "eager"
    torch.manual_seed(0)
    model = NeurIPTModel(config).eval()
    generator = torch.Generator().manual_seed(1)
    values = torch.randn(1, 4, 32, generator=generator)
    positions = (torch.rand(1, 4, 3, generator=generator) - 0.5) * 0.16
    with torch.no_grad():
        expected = model(values, positions).last_hidden_state
        try:
            compiled = torch.compile(model, dynamic=False, fullgraph=False)
            out = compiled(values, positions).last_hidden_state
        except Exception as error:  # no C++ compiler, unsupported platform, ...
            pytest.skip(f"torch.compile unavailable here: {type(error).__name__}: {str(error)[:200]}")
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "bf16-autocast"])
def test_training_forwards_trace_as_one_graph(autocast):
    """Under `torch.compile` the whole training forward of both heads, MoE and the AAMP loss included, is one graph:
    no graph breaks, no host syncs (dynamo's `explain`; no kernels are built). A break here cost the GPU run its
    compiled speed (H200: recompiles and the per-expert fallback loop)."""
    from modeling_neuript import NeurIPTForPretraining

    generator = torch.Generator().manual_seed(0)
    values = torch.randn(2, 6, 64, generator=generator)
    positions = (torch.rand(2, 6, 3, generator=generator) - 0.5) * 0.16
    for cls, kwargs in [(NeurIPTForSequenceClassification, {"labels": torch.tensor([0, 1])}),
                        (NeurIPTForPretraining, {})]:
        model = cls(tiny_config(num_labels=2)).train()
        torch._dynamo.reset()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            explanation = torch._dynamo.explain(model)(values, positions, **kwargs)
        assert explanation.graph_break_count == 0, [str(r.reason)[:300] for r in explanation.break_reasons]
        assert explanation.graph_count == 1
    torch._dynamo.reset()


# Run in a fresh process: in the test process, earlier in-process training (with the setting on) leaves large free
# chunks in the heap, which a later 200 MB allocation reuses without page faults whatever the setting.
KEEP_FREED_MEMORY_PROBE = """
import json, resource, torch
from modeling_neuript.training.memory import keep_freed_memory

def faults_of_second_allocation():
    torch.ones(50_000_000)  # allocated, touched, freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(50_000_000)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

default = [keep_freed_memory(False), faults_of_second_allocation()]
kept = [keep_freed_memory(True), faults_of_second_allocation(), faults_of_second_allocation()]
print(json.dumps({"default": default, "kept": kept}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc setting")
def test_keep_freed_memory_stops_large_allocations_from_page_faulting_again():
    """With glibc's defaults a freed 200 MB tensor is unmapped and its next allocation page-faults every page back in
    (a third of the GEMM time on 2 cores); with `keep_freed_memory()` the second allocation reuses the pages."""
    import json
    import subprocess

    result = subprocess.run([sys.executable, "-c", KEEP_FREED_MEMORY_PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    (took_default, faults_default), (took_kept, _first_round, faults_kept) = measured["default"], measured["kept"]
    assert took_default and took_kept
    assert faults_default > 0  # ~48,800 with 4 KiB pages, fewer with transparent huge pages
    assert faults_kept <= 0.05 * faults_default  # the first round after switching may still grow the heap


class _Parsed(Exception):
    pass


def test_every_gpu_sh_step_is_accepted_by_its_script(monkeypatch):
    """`benchmarks/gpu.sh` runs only where a GPU is lent, minutes at a time: each of its steps must get past its
    script's argument parser here (a typo in a flag would otherwise cost a GPU session its run)."""
    import argparse
    import importlib.util
    import re
    import shlex

    repo = Path(__file__).resolve().parents[1]
    joined = re.sub(r"\\\n\s*", " ", (repo / "benchmarks" / "gpu.sh").read_text())  # backslash continuations
    steps = [
        (match.group(1), shlex.split(match.group(2).split(";")[0]))
        for match in re.finditer(r"\brun \d+ (benchmarks/\S+\.py)([^\n]*)", joined)
    ]
    assert len(steps) >= 8, steps
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    for script, argv in steps:
        path, argv = repo / script, argv + ["--record"]  # `run` adds --record
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with pytest.raises(_Parsed):
            module.main(argv)
