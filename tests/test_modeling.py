"""Contract tests of the NeurIPT core: configuration, encoder, PMoE, HF-native saving and loading."""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

from modeling_neuript import NeurIPTConfig, NeurIPTForPretraining, NeurIPTForSequenceClassification, NeurIPTModel
from modeling_neuript.modeling_neuript import NeurIPTProgressiveMoE, count_parameters
from modeling_neuript.training.memory import disable_activation_checkpointing, enable_activation_checkpointing
from helpers import tiny_config

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "configuration"



def random_inputs(batch=2, channels=6, time=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(batch, channels, time, generator=generator)
    positions = (torch.rand(batch, channels, 3, generator=generator) - 0.5) * 0.16
    return values, positions


# ----------------------------------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------------------------------


def test_config_defaults_are_the_papers():
    config = NeurIPTConfig()
    assert config.model_type == "neuript"
    assert (config.sampling_rate, config.window_seconds, config.patch_size) == (64, 4.0, 1)
    assert (config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.num_attention_heads) == (
        768, 768, 6, 8)
    assert config.merge_factors == [1, 4, 1, 2, 1, 2]
    assert config.num_experts_per_layer == [0, 0, 2, 4, 4, 6]
    assert (config.expert_intermediate_size, config.shared_expert_intermediate_size) == (512, 768)
    assert (config.routed_fraction, config.router_jitter_noise) == (0.5, 0.001)
    assert (config.importance_loss_weight, config.router_aux_loss_coef) == (0.008, 0.8)
    assert config.position_grid_size == 50 and config.hidden_dropout_prob == 0.1
    assert config.decoder_layers == 7
    assert [config.experts_per_token(e) for e in (2, 4, 6)] == [1, 2, 3]
    assert config.window_length == 256


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"merge_factors": [1, 4, 1]}, "merge_factors has 3 entries but num_hidden_layers is 6"),
        ({"num_experts_per_layer": [0, 0, 2]}, "num_experts_per_layer has 3 entries"),
        ({"hidden_size": 100, "num_attention_heads": 8}, "must be divisible by num_attention_heads"),
        ({"merge_factors": [2, 4, 1, 2, 1, 2]}, "merge_factors[0] must be 1"),
        ({"routed_fraction": 0.0}, "routed_fraction must be in (0, 1]"),
        ({"position_encoding": "rotary"}, "position_encoding must be 'grid', 'continuous' or 'learned'"),
        ({"mask_replace_probs": [0.5, 0.1, 0.1]}, "summing to 1"),
        ({"lobe_grouping": "lobes"}, "lobe_grouping must be one of"),
        ({"num_hidden_layers": 0}, "num_hidden_layers must be >= 1"),
    ],
)
def test_invalid_config_raises_with_the_fix(overrides, message):
    with pytest.raises(ValueError) as error:
        NeurIPTConfig(**overrides)
    assert message in str(error.value)


@pytest.mark.parametrize("name", ["neuript-paper", "neuript-small", "neuript-tiny"])
def test_presets_load_and_validate(name):
    config = AutoConfig.from_pretrained(PRESETS / f"{name}.json")
    assert isinstance(config, NeurIPTConfig)
    assert len(config.merge_factors) == config.num_hidden_layers


def test_small_preset_is_the_papers_ablation_size():
    config = NeurIPTConfig.from_json_file(PRESETS / "neuript-small.json")
    assert (config.hidden_size, config.expert_intermediate_size, config.shared_expert_intermediate_size) == (256, 128, 256)


# ----------------------------------------------------------------------------------------------------------------------
# Parameter counts (dossier §1.5: 92.21 M encoder with all experts, 73.31 M active)
# ----------------------------------------------------------------------------------------------------------------------


def test_paper_preset_parameter_counts_match_the_paper():
    config = NeurIPTConfig.from_json_file(PRESETS / "neuript-paper.json")
    with torch.device("meta"):
        model = NeurIPTModel(config)
    total, active = count_parameters(model), count_parameters(model, active_only=True)
    assert total == model.num_parameters()
    assert abs(total / 92.21e6 - 1) < 0.01, total
    assert abs(active / 73.31e6 - 1) < 0.01, active


# ----------------------------------------------------------------------------------------------------------------------
# Forward contract
# ----------------------------------------------------------------------------------------------------------------------


def test_output_layout_and_hidden_states():
    config = tiny_config()
    model = NeurIPTModel(config).eval()
    values, positions = random_inputs(batch=2, channels=5, time=64)
    out = model(values, positions, output_hidden_states=True, output_router_logits=True)
    # 64 tokens → merges [1,4,1,2,1,2] → 64, 16, 16, 8, 8, 4
    assert out.last_hidden_state.shape == (2, 5, 4, config.hidden_size)
    assert [h.shape[2] for h in out.hidden_states] == [64, 64, 16, 16, 8, 8, 4]
    assert len(out.hidden_states) == config.num_hidden_layers + 1
    # two MoE modules per layer with experts: layers 3..6 with 2, 4, 4, 6 experts
    expected = [(2, 5, 16, 2), (2, 5, 16, 2), (2, 5, 8, 4), (2, 5, 8, 4), (2, 5, 8, 4), (2, 5, 8, 4),
                (2, 5, 4, 6), (2, 5, 4, 6)]
    assert [tuple(r.shape) for r in out.router_logits] == expected


def test_lengths_that_do_not_divide_are_padded_by_repeating_the_last_token():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs(time=70)
    out = model(values, positions, output_hidden_states=True)
    assert [h.shape[2] for h in out.hidden_states] == [70, 70, 18, 18, 9, 9, 5]


def test_aux_loss_is_zero_without_experts_and_positive_and_differentiable_with_them():
    config = tiny_config()
    model = NeurIPTModel(config).train()
    values, positions = random_inputs()
    out = model(values, positions)
    per_layer = out.aux_loss_per_layer
    assert per_layer.shape == (config.num_hidden_layers,)
    for layer, experts in enumerate(config.num_experts_per_layer):
        if experts == 0:
            assert per_layer[layer].item() == 0.0
        else:
            assert per_layer[layer].item() > 0.0
    out.aux_loss.backward()
    router = model.layers[2].time_feed_forward.moe.router.weight.weight
    assert router.grad is not None and router.grad.abs().sum() > 0


def test_eval_mode_is_deterministic():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs()
    first = model(values, positions).last_hidden_state
    second = model(values, positions).last_hidden_state
    assert torch.equal(first, second)


def test_channel_permutation_equivariance():
    """Permuting channels together with their positions permutes the outputs the same way (atol 1e-5)."""
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs(batch=2, channels=7)
    permutation = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    out = model(values, positions).last_hidden_state
    permuted = model(values[:, permutation], positions[:, permutation]).last_hidden_state
    torch.testing.assert_close(permuted, out[:, permutation], atol=1e-5, rtol=1e-4)


def test_padded_channels_do_not_change_real_channels():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs(batch=1, channels=5)
    reference = model(values, positions, output_hidden_states=True)
    padded_values = torch.cat([values, 1e3 * torch.randn(1, 3, values.shape[2])], dim=1)
    padded_positions = torch.cat([positions, torch.zeros(1, 3, 3)], dim=1)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0, 0]])
    padded = model(padded_values, padded_positions, channel_mask=mask, output_hidden_states=True)
    for ref, pad in zip(reference.hidden_states, padded.hidden_states):
        torch.testing.assert_close(pad[:, :5], ref, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(padded.aux_loss, reference.aux_loss, atol=1e-6, rtol=1e-4)


def test_batch_of_different_montages_equals_one_by_one():
    model = NeurIPTModel(tiny_config()).eval()
    a_values, a_positions = random_inputs(batch=1, channels=4, seed=1)
    b_values, b_positions = random_inputs(batch=1, channels=6, seed=2)
    values = torch.zeros(2, 6, a_values.shape[2])
    values[0, :4], values[1] = a_values[0], b_values[0]
    positions = torch.zeros(2, 6, 3)
    positions[0, :4], positions[1] = a_positions[0], b_positions[0]
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1] * 6])
    batched = model(values, positions, channel_mask=mask).last_hidden_state
    torch.testing.assert_close(batched[0, :4], model(a_values, a_positions).last_hidden_state[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(batched[1], model(b_values, b_positions).last_hidden_state[0], atol=1e-5, rtol=1e-4)


def test_masked_points_are_hidden_from_attention():
    """Changing the value of a masked point changes nothing except through its own token's query path: the outputs
    of the other channels' tokens stay put when masked tokens are replaced by the mask token."""
    model = NeurIPTModel(tiny_config(num_experts_per_layer=[0] * 6)).eval()
    values, positions = random_inputs(batch=1, channels=4, time=32)
    time_mask = torch.zeros(1, 4, 32, dtype=torch.bool)
    time_mask[0, 1, ::2] = True
    out = model(values, positions, time_mask=time_mask, output_hidden_states=True)
    changed = values.clone()
    changed[time_mask] = 50.0
    out2 = model(changed, positions, time_mask=time_mask, output_hidden_states=True)
    torch.testing.assert_close(out.last_hidden_state, out2.last_hidden_state)
    assert out.token_masks[0].shape == (1, 4, 32) and out.token_masks[0].sum() == 16


def test_masked_tokens_are_hidden_as_keys():
    """With masked tokens left unchanged (the BERT 10 % case), a masked point's value reaches only its own token:
    after the first layer no other token has moved."""
    model = NeurIPTModel(tiny_config(num_experts_per_layer=[0] * 6)).eval()
    values, positions = random_inputs(batch=1, channels=4, time=32)
    time_mask = torch.zeros(1, 4, 32, dtype=torch.bool)
    time_mask[0, 1, ::2] = True
    keep = torch.ones(1, 4, 32, dtype=torch.long)  # 1 = unchanged
    out = model(values, positions, time_mask=time_mask, mask_replacement=keep, output_hidden_states=True)
    changed = values.clone()
    changed[0, 1, 4] += 10.0
    out2 = model(changed, positions, time_mask=time_mask, mask_replacement=keep, output_hidden_states=True)
    moved = (out.hidden_states[1] - out2.hidden_states[1]).abs().amax(-1) > 1e-6
    assert moved[0, 1, 4] and moved.sum() == 1
    unmasked = model(values, positions, output_hidden_states=True).hidden_states[1]
    unmasked2 = model(changed, positions, output_hidden_states=True).hidden_states[1]
    assert ((unmasked - unmasked2).abs().amax(-1) > 1e-6).sum() > 1  # without the mask the change spreads


def test_grid_and_continuous_position_encodings_differ_only_off_grid():
    values, positions = random_inputs()
    grid = NeurIPTModel(tiny_config()).eval()
    continuous = NeurIPTModel(tiny_config(position_encoding="continuous")).eval()
    continuous.load_state_dict(grid.state_dict())
    on_grid = torch.full_like(positions, -0.15) + 0.30 / 49 * 10  # exactly grid step 10
    torch.testing.assert_close(grid(values, on_grid).last_hidden_state, continuous(values, on_grid).last_hidden_state)
    assert not torch.allclose(grid(values, positions).last_hidden_state, continuous(values, positions).last_hidden_state)


def test_patches_larger_than_one_point():
    config = tiny_config(patch_size=4)
    model = NeurIPTModel(config).eval()
    values, positions = random_inputs(time=64)
    assert model(values, positions).last_hidden_state.shape == (2, 6, 1, config.hidden_size)
    with pytest.raises(ValueError, match="multiple of patch_size=4"):
        model(values[..., :62], positions)


def test_eager_and_sdpa_attention_agree_with_padding():
    config = tiny_config()
    model = NeurIPTModel(config).eval()
    values, positions = random_inputs(batch=2, channels=6)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1] * 6])
    sdpa = model(values, positions, channel_mask=mask).last_hidden_state
    model.set_attn_implementation("eager")
    eager = model(values, positions, channel_mask=mask, output_attentions=True)
    torch.testing.assert_close(eager.last_hidden_state, sdpa, atol=1e-5, rtol=1e-4)
    time_weights, channel_weights = eager.attentions[0]
    assert time_weights.shape == (12, config.num_attention_heads, 64, 64)
    assert channel_weights[:64, :, :, 4:].abs().max() < 1e-6  # padded channels get no attention


def test_grouped_experts_match_the_eager_reference():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs()
    model.set_experts_implementation("eager")
    eager = model(values, positions).last_hidden_state
    model.set_experts_implementation("grouped_mm")
    grouped = model(values, positions).last_hidden_state
    torch.testing.assert_close(grouped, eager, atol=1e-5, rtol=1e-4)


def test_moe_is_exactly_shared_plus_weighted_topk_experts():
    config = tiny_config()
    moe = NeurIPTProgressiveMoE(config, num_experts=4).eval()
    for parameter in moe.parameters():
        torch.nn.init.normal_(parameter, std=0.2)
    tokens = torch.randn(50, config.hidden_size)
    out, logits, aux = moe(tokens)
    probs = logits.softmax(-1)
    top_w, top_i = probs.topk(2, dim=-1)
    expected = moe.shared_expert(tokens)
    experts = moe.experts
    for t in range(tokens.shape[0]):
        for w, e in zip(top_w[t], top_i[t]):
            gate, up = torch.nn.functional.linear(tokens[t], experts.gate_up_proj[e], experts.gate_up_proj_bias[e]).chunk(2)
            expected[t] += w * torch.nn.functional.linear(torch.nn.functional.silu(gate) * up, experts.down_proj[e],
                                                          experts.down_proj_bias[e])
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-4)
    assert aux.item() > 0


def test_capacity_factor_drops_overflow_tokens_only_when_set():
    config = tiny_config()
    moe = NeurIPTProgressiveMoE(config, num_experts=2).eval()
    for parameter in moe.parameters():  # standalone modules are initialised by the model's post_init, not here
        torch.nn.init.normal_(parameter, std=0.2)
    with torch.no_grad():
        moe.router.weight.weight.zero_()
        moe.router.weight.bias.copy_(torch.tensor([5.0, 0.0]))  # every token prefers expert 0
    tokens = torch.randn(40, config.hidden_size)
    routed_all = moe(tokens)[0] - moe.shared_expert(tokens)
    assert (routed_all.abs().sum(-1) > 0).all()
    moe.capacity_factor = 1.0  # capacity ceil(1.0 · 40 · 1 / 2) = 20 tokens for expert 0
    routed_capped = moe(tokens)[0] - moe.shared_expert(tokens)
    kept = routed_capped.abs().sum(-1) > 1e-7
    assert kept[:20].all() and not kept[20:].any()


def test_router_noise_only_in_training():
    config = tiny_config(router_jitter_noise=0.5)
    moe = NeurIPTProgressiveMoE(config, num_experts=4)
    for parameter in moe.parameters():
        torch.nn.init.normal_(parameter, std=0.2)
    tokens = torch.randn(10, config.hidden_size)
    moe.eval()
    assert torch.equal(moe(tokens)[1], moe(tokens)[1])
    moe.train()
    assert not torch.equal(moe(tokens)[1], moe(tokens)[1])


# ----------------------------------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda v, p: (v[0], p), "Add a batch axis"),
        (lambda v, p: (v, p[:, :4]), "give one position per channel"),
        (lambda v, p: (v, p[..., :2]), "channel_positions must have shape (batch, channels, 3)"),
        (lambda v, p: (v.index_put((torch.tensor(0), torch.tensor(1), torch.tensor(3)), torch.tensor(float("nan"))), p),
         "NaN or inf at (sample, channel) [[0, 1]]"),
        (lambda v, p: (v, p * 1000), "not mm or cm"),
        (lambda v, p: (v.long(), p), "must be floating point"),
        (lambda v, p: (v, None), "channel_positions is required"),
    ],
)
def test_bad_input_names_the_problem(make, message):
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = make(*random_inputs())
    with pytest.raises(ValueError) as error:
        model(values, positions)
    assert message in str(error.value)


def test_bad_channel_mask_shape():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs()
    with pytest.raises(ValueError, match=r"channel_mask must have shape \(batch, channels\)"):
        model(values, positions, channel_mask=torch.ones(2, 3))


# ----------------------------------------------------------------------------------------------------------------------
# Training features
# ----------------------------------------------------------------------------------------------------------------------


def test_gradient_checkpointing_gives_the_same_gradients():
    config = tiny_config(hidden_dropout_prob=0.0, router_jitter_noise=0.0)
    model = NeurIPTModel(config).train()
    values, positions = random_inputs()

    def gradients():
        model.zero_grad()
        out = model(values, positions)
        (out.last_hidden_state.pow(2).mean() + out.aux_loss).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = gradients()
    enable_activation_checkpointing(model)
    assert all(layer.gradient_checkpointing for layer in model.layers)
    checkpointed = gradients()
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], atol=1e-6, rtol=1e-4)


def test_pretraining_checkpointing_covers_the_decoder_same_gradients_fraction_of_the_memory():
    """Checkpointing the AAMP model checkpoints each decoder layer as a whole (its self-attention not again), gives
    the gradients of the plain step, and keeps a small fraction of the activations (the paper preset's batch 60 fits
    24 GiB only this way; benchmarks/bench_memory.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_memory import saved_activation_bytes

    config = tiny_config(hidden_dropout_prob=0.0, router_jitter_noise=0.0, num_labels=2)
    model = NeurIPTForPretraining(config).train()
    values, positions = random_inputs()
    masks = model.masking(values, generator=torch.Generator().manual_seed(0))

    def step():
        return model(values, positions, time_mask=masks[0], mask_replacement=masks[1]).loss

    def gradients():
        model.zero_grad()
        step().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain, plain_bytes = gradients(), saved_activation_bytes(model, step)
    enable_activation_checkpointing(model)
    assert all(layer.gradient_checkpointing for layer in model.decoder.layers)
    # A decoder layer is one checkpoint: its self-attention runs as two blocks of it, never as a layer of its own.
    nested = []
    for layer in model.decoder.layers:
        layer.self_attention.register_forward_pre_hook(lambda module, args: nested.append(module))
    checkpointed, checkpointed_bytes = gradients(), saved_activation_bytes(model, step)
    assert nested == []
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], atol=1e-6, rtol=1e-4)
    assert checkpointed_bytes < 0.25 * plain_bytes


def test_block_checkpointing_same_gradients_with_dropout_lower_backward_peak():
    """`enable_block_checkpointing()` nests a checkpoint per block inside the layer checkpoints of the full-resolution
    layers (every decoder layer, the encoder layers before the first merge): the gradients equal the plain step's with
    dropout and router jitter on (each checkpoint replays its RNG state), and the live activations at the backward
    peak (benchmarks/bench_memory.py's count) fall below layer checkpointing's."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_memory import live_activation_peak

    config = tiny_config(hidden_dropout_prob=0.1)
    model = NeurIPTForPretraining(config).train()
    values, positions = random_inputs(time=128)
    masks = model.masking(values, generator=torch.Generator().manual_seed(0))

    def step():
        torch.manual_seed(1)
        return model(values, positions, time_mask=masks[0], mask_replacement=masks[1]).loss

    def gradients():
        model.zero_grad()
        step().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    with pytest.raises(ValueError, match="gradient_checkpointing_enable"):
        model.enable_block_checkpointing()
    plain = gradients()
    enable_activation_checkpointing(model)
    layer_peak = live_activation_peak(model, step)[1]
    model.enable_block_checkpointing()
    full_resolution = [math.prod(config.merge_factors[: i + 1]) == 1 for i in range(config.num_hidden_layers)]
    assert [layer.checkpoint_blocks for layer in model.neuript.layers] == full_resolution
    assert all(layer.checkpoint_blocks for layer in model.decoder.layers)
    blocks = gradients()
    block_peak = live_activation_peak(model, step)[1]
    assert plain.keys() == blocks.keys()
    for name in plain:
        torch.testing.assert_close(blocks[name], plain[name], atol=1e-6, rtol=1e-4)
    assert block_peak < 0.8 * layer_peak, (block_peak, layer_peak)
    disable_activation_checkpointing(model)
    assert not any(getattr(module, "checkpoint_blocks", False) for module in model.modules())


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_block_checkpoints_use_the_checkpoint_options_the_user_gave(use_reentrant):
    """Block checkpoints go through the checkpoint function `activation_checkpointing_enable(
    activation_checkpointing_kwargs=...)` configured (so e.g. `preserve_rng_state` or transformers' offload reach the
    blocks too), non-reentrant even where the user's layer checkpoints are reentrant, and the step still gives the
    plain step's gradients."""
    model = NeurIPTForPretraining(tiny_config()).train()
    values, positions = random_inputs(time=64)
    masks = model.masking(values, generator=torch.Generator().manual_seed(0))

    def gradients():
        model.zero_grad()
        torch.manual_seed(1)  # the same dropout and router-jitter draws in every step
        model(values, positions, time_mask=masks[0], mask_replacement=masks[1]).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    plain = gradients()
    enable_activation_checkpointing(model, checkpoint_kwargs={"use_reentrant": use_reentrant})
    model.enable_block_checkpointing()
    calls = []
    for layer in model.decoder.layers:
        for module in (layer, layer.self_attention):
            configured = module._gradient_checkpointing_func

            def counting(function, *args, _configured=configured, **kwargs):
                calls.append((getattr(function, "__name__", type(function).__name__), kwargs.get("use_reentrant")))
                return _configured(function, *args, **kwargs)

            module._gradient_checkpointing_func = counting
    blocks = gradients()
    block_calls = [call for call in calls if call[0].endswith(("_stage", "_block"))]
    layers = len(model.decoder.layers)
    # forward and recomputation: 4 blocks per decoder layer; the layer checkpoint itself keeps the user's choice
    assert len(block_calls) == (4 * layers if use_reentrant else 2 * 4 * layers)
    assert {reentrant for _, reentrant in block_calls} == {False}
    assert plain.keys() == blocks.keys()
    for name in plain:
        torch.testing.assert_close(blocks[name], plain[name], atol=1e-6, rtol=1e-4)


def test_default_experts_compute_in_the_autocast_dtype():
    """The default experts implementation runs the grouped matmuls in the autocast dtype (transformers' grouped_mm
    would run the float32 master weights in float32) and agrees with the eager experts under autocast."""
    from modeling_neuript.kernels_neuript import grouped_experts_forward

    model = NeurIPTModel(tiny_config(router_jitter_noise=0.0)).eval()
    assert model.config._experts_implementation == "neuript_grouped_mm"
    experts = next(m for m in model.modules() if type(m).__name__ == "NeurIPTExperts")
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randn(40, model.config.hidden_size, generator=generator)
    index = torch.randint(experts.num_experts, (40, 1), generator=generator)
    weights = torch.rand(40, 1, generator=generator)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        grouped = grouped_experts_forward(experts, tokens, index, weights, torch.get_autocast_dtype("cpu"))
        default = experts(tokens, index, weights)
        model.set_experts_implementation("eager")
        eager = experts(tokens, index, weights)
    assert grouped.dtype == default.dtype == torch.bfloat16
    torch.testing.assert_close(grouped.float(), eager.float(), atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(default.float(), eager.float(), atol=2e-2, rtol=2e-2)


def test_bf16_weights_and_bf16_autocast_run_and_stay_close():
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs()
    reference = model(values, positions).last_hidden_state
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = model(values, positions).last_hidden_state
    bf16 = model.to(torch.bfloat16)(values.bfloat16(), positions).last_hidden_state
    assert bf16.dtype == torch.bfloat16
    for out in (autocast, bf16):
        assert torch.isfinite(out).all()
        assert (out.float() - reference).abs().mean() < 0.1 * reference.abs().mean()


# ----------------------------------------------------------------------------------------------------------------------
# Saving and loading
# ----------------------------------------------------------------------------------------------------------------------


def test_save_pretrained_then_automodel_gives_identical_outputs(tmp_path):
    model = NeurIPTModel(tiny_config()).eval()
    values, positions = random_inputs()
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert set(saved["auto_map"]) == {
        "AutoConfig", "AutoModel", "AutoModelForPreTraining", "AutoModelForSequenceClassification"}
    for name in ("model.safetensors", "configuration_neuript.py", "modeling_neuript.py", "electrodes_neuript.py"):
        assert (tmp_path / name).exists(), name
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(loaded) is NeurIPTModel
    torch.testing.assert_close(loaded(values, positions).last_hidden_state, model(values, positions).last_hidden_state,
                               atol=0, rtol=0)
    on_disk = load_file(tmp_path / "model.safetensors")
    state = loaded.state_dict()
    assert on_disk.keys() == state.keys()
    for key, tensor in on_disk.items():
        assert torch.equal(state[key], tensor), f"{key} was re-initialised on load"


def test_pretraining_checkpoint_opens_as_encoder_and_classifier(tmp_path):
    pretrained = NeurIPTForPretraining(tiny_config())
    pretrained.save_pretrained(tmp_path)
    encoder = AutoModel.from_pretrained(tmp_path)
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    assert type(classifier) is NeurIPTForSequenceClassification
    source = pretrained.neuript.state_dict()
    for key, tensor in encoder.state_dict().items():
        assert torch.equal(tensor, source[key]), key
    for key, tensor in classifier.neuript.state_dict().items():
        assert torch.equal(tensor, source[key]), key


BLOCKED_LOAD = textwrap.dedent(
    """
    import json, sys
    sys.modules["modeling_neuript"] = None   # any import of our package now fails
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, AutoModelForSequenceClassification
    ckpt, reference = sys.argv[1], sys.argv[2]
    data = torch.load(reference, weights_only=True)
    model = AutoModel.from_pretrained(ckpt, trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    out = model(data["values"], data["positions"]).last_hidden_state
    assert torch.equal(out, data["expected"]), (out - data["expected"]).abs().max()
    on_disk = load_file(ckpt + "/model.safetensors")
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in on_disk.items())
    classifier = AutoModelForSequenceClassification.from_pretrained(ckpt, trust_remote_code=True, num_labels=2)
    pretraining = AutoModelForPreTraining.from_pretrained(ckpt, trust_remote_code=True)
    print("OK", type(classifier).__name__, type(pretraining).__name__)
    """
)


def test_checkpoint_loads_with_remote_code_where_the_package_cannot_be_imported(tmp_path):
    checkpoint = tmp_path / "ckpt"
    model = NeurIPTModel(tiny_config()).eval()
    model.save_pretrained(checkpoint)
    values, positions = random_inputs()
    with torch.no_grad():
        expected = model(values, positions).last_hidden_state
    torch.save({"values": values, "positions": positions, "expected": expected}, tmp_path / "reference.pt")
    script = tmp_path / "load.py"
    script.write_text(BLOCKED_LOAD)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules"), "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, str(script), str(checkpoint), str(tmp_path / "reference.pt")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK NeurIPTForSequenceClassification NeurIPTForPretraining" in result.stdout


# ----------------------------------------------------------------------------------------------------------------------
# Damaged checkpoints are refused, never loaded with a random backbone
# ----------------------------------------------------------------------------------------------------------------------


def test_truncated_weights_file_is_a_clear_error(tmp_path):
    NeurIPTModel(tiny_config()).save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        NeurIPTModel.from_pretrained(tmp_path)


def test_missing_backbone_weight_is_refused_and_named(tmp_path):
    from safetensors.torch import save_file

    NeurIPTForPretraining(tiny_config()).save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    del weights["neuript.layers.3.channel_feed_forward.moe.router.weight.weight"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    for cls in (NeurIPTModel, NeurIPTForSequenceClassification, NeurIPTForPretraining):
        with pytest.raises(ValueError, match=r"lacks 1 backbone weight.*layers\.3\.channel_feed_forward\.moe\.router"):
            cls.from_pretrained(tmp_path)


def test_config_that_does_not_match_the_weights_is_refused(tmp_path):
    NeurIPTModel(tiny_config()).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["expert_intermediate_size"] = 40
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises((ValueError, RuntimeError), match="(?i)size|shape|match"):
        NeurIPTModel.from_pretrained(tmp_path)


def test_new_head_weights_are_allowed_and_reported(tmp_path):
    NeurIPTForPretraining(tiny_config()).save_pretrained(tmp_path)
    _, info = NeurIPTForSequenceClassification.from_pretrained(tmp_path, num_labels=2, output_loading_info=True)
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]


def test_enable_activation_checkpointing_uses_transformers_current_name():
    """`training.memory.enable_activation_checkpointing` (what `neuript pretrain --gradient_checkpointing` and the
    benchmarks call) sets layer and block checkpointing without transformers' deprecation warning for the old name."""
    import warnings

    model = NeurIPTForPretraining(tiny_config()).train()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        enable_activation_checkpointing(model, blocks=True)
    assert all(layer.gradient_checkpointing and layer.checkpoint_blocks for layer in model.decoder.layers)
    enable_activation_checkpointing(model, blocks=False)
    assert not any(getattr(module, "checkpoint_blocks", False) for module in model.modules())
