"""LoRA through peft on real EEG (Face13 s01, face vs house): only adapters (and the new head) train; the merged model
predicts what the adapter model predicts."""

import copy

import numpy as np
import pytest
import torch
from helpers import tiny_config

from modeling_neuript import NeurIPTForSequenceClassification

pytest.importorskip("peft")

CHANNELS = ["A15", "A28", "B7", "B26", "C5", "C17", "D17", "D23"]


@pytest.fixture(scope="module")
def batch(face13_raw):
    from modeling_neuript.data.event_windows import event_windows

    windows = event_windows(face13_raw.copy().pick(CHANNELS), {"face-upright": "face", "house-upright": "house"},
                            tmin=-0.2, window_seconds=1.0)
    positions = torch.as_tensor(windows["channel_positions"])
    return {"input_values": torch.as_tensor(windows["input_values"][:48]),
            "channel_positions": positions[None].expand(48, -1, -1),
            "labels": torch.as_tensor(windows["labels"][:48])}


@pytest.fixture(scope="module")
def base_model():
    torch.manual_seed(0)
    return NeurIPTForSequenceClassification(tiny_config(num_labels=2)).eval()


def expert_modules(model):
    return [name for name, module in model.named_modules() if type(module).__name__ == "NeurIPTExperts"]


def test_adapters_sit_on_attention_and_expert_projections(base_model):
    from peft.tuners.lora.layer import Linear as LoraLinear
    from peft.tuners.lora.layer import ParamWrapper

    from modeling_neuript.interop.lora import add_lora

    model = add_lora(copy.deepcopy(base_model), r=4)
    linear = sorted(name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, LoraLinear))
    layers = base_model.config.num_hidden_layers
    moe = sum(2 for e in base_model.config.num_experts_per_layer if e > 0)  # time and channel stage
    # per layer and stage: qkv_proj, o_proj, and the dense MLP or the PMoE's shared expert (gate_up_proj, down_proj)
    assert linear.count("qkv_proj") == linear.count("o_proj") == 2 * layers
    assert linear.count("gate_up_proj") == linear.count("down_proj") == 2 * layers
    wrapped = [m.parameter_name for m in model.modules() if isinstance(m, ParamWrapper)]
    assert sorted(wrapped) == sorted(["gate_up_proj", "down_proj"] * moe) and len(expert_modules(base_model)) == moe
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert all(".lora_A." in n or ".lora_B." in n or "classifier.modules_to_save" in n for n in trainable)
    assert any("classifier.modules_to_save" in n for n in trainable)
    with pytest.raises(ValueError, match="lora_dropout must be 0"):
        add_lora(copy.deepcopy(base_model), r=4, lora_dropout=0.1)
    with pytest.raises(ValueError, match="r \\(the LoRA rank\\)"):
        add_lora(copy.deepcopy(base_model), r=0)


def test_only_adapters_train_and_merged_model_predicts_the_same(base_model, batch):
    from modeling_neuript.interop.lora import add_lora

    model = add_lora(copy.deepcopy(base_model), r=4)
    frozen_before = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    optimizer = torch.optim.AdamW(trainable.values(), lr=1e-2)
    model.train()
    for step in range(3):
        optimizer.zero_grad()
        loss = model(**batch).loss
        loss.backward()
        if step == 0:
            # gradients reach every adapter (the experts' included) and nothing frozen
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in trainable.items() if "lora_B" in n)
            assert all(p.grad is None for n, p in model.named_parameters() if not p.requires_grad)
        optimizer.step()
    model.eval()
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            assert torch.equal(parameter, frozen_before[name]), name  # the pretrained weights never move
    expert_b = [p for n, p in trainable.items() if "experts" in n and "lora_B" in n]
    assert expert_b and all(p.abs().sum() > 0 for p in expert_b)  # LoRA-B starts at 0; the experts' adapters trained

    inputs = {k: v for k, v in batch.items() if k != "labels"}
    with torch.no_grad():
        adapted = model(**inputs).logits
        with model.disable_adapter():
            without = model(**inputs).logits
        merged = model.merge_and_unload()
        merged_logits = merged(**inputs).logits
        base_logits = base_model(**inputs).logits
    assert type(merged) is NeurIPTForSequenceClassification
    assert not any("lora" in n for n, _ in merged.named_parameters())
    assert (adapted - without).abs().max() > 1e-3  # the adapters change the predictions ...
    torch.testing.assert_close(merged_logits, adapted, rtol=1e-4, atol=1e-5)  # ... and merging keeps them
    assert (merged_logits - base_logits).abs().max() > 1e-3
    # The merged weights differ from the base ones exactly where adapters were: the expert stacks included.
    base_state, merged_state = base_model.state_dict(), merged.state_dict()
    changed = {k for k in base_state if not torch.equal(base_state[k], merged_state[k])}
    assert any(k.endswith("experts.gate_up_proj") for k in changed) and any(k.endswith("qkv_proj.weight") for k in changed)
    assert not any("norm" in k or "router" in k or "embedding" in k for k in changed)
    np.testing.assert_array_equal(merged_logits.argmax(-1).numpy(), adapted.argmax(-1).numpy())
