"""The authors' NeurIPT code beside ours: load it, build its models, convert them, and measure where we differ.

Shared by tests/test_official.py (outputs equal within 1e-5; the effect of each of our defaults) and
benchmarks/bench_official.py (timings of both models in one run). Nothing of the authors' code is copied here: it is
imported from its own folder, through the timing harness that builds its models the way its training code does.

Where the code is looked for:

* the authors' code: `$NEURIPT_OFFICIAL_ROOT`, else `../shared/reference/official_neuript` next to the checkout;
* the harness: `$NEURIPT_BENCH_OFFICIAL`, else `../shared/tools/bench_official.py` next to the checkout.

Both are outside the repository (read-only references); `official_or_skip_reason()` says why they cannot be used.
"""

import contextlib
import copy
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_ROOT = Path(os.environ.get("NEURIPT_OFFICIAL_ROOT", REPO.parent / "shared" / "reference" / "official_neuript"))
HARNESS = Path(os.environ.get("NEURIPT_BENCH_OFFICIAL", REPO.parent / "shared" / "tools" / "bench_official.py"))

_LOADED = {}


def official_or_skip_reason() -> Optional[str]:
    """`None` when the authors' code can be imported, else the reason it cannot (for `pytest.skip`)."""
    if not (OFFICIAL_ROOT / "cross_models" / "stage_2_model.py").is_file():
        return f"the authors' NeurIPT code is not at {OFFICIAL_ROOT} (set NEURIPT_OFFICIAL_ROOT)"
    if not HARNESS.is_file():
        return f"the harness that builds the authors' models is not at {HARNESS} (set NEURIPT_BENCH_OFFICIAL)"
    if importlib.util.find_spec("einops") is None:
        return "the authors' code needs einops: pip install -e .[dev]"
    return None


def load_official():
    """`(harness module, authors' code namespace)`, imported once per process."""
    if "official" not in _LOADED:
        reason = official_or_skip_reason()
        if reason:
            raise RuntimeError(reason)
        spec = importlib.util.spec_from_file_location("bench_official_harness", HARNESS)
        harness = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(harness)
        _LOADED["official"] = (harness, harness._import_official(OFFICIAL_ROOT, "auto"))
    return _LOADED["official"]


@contextlib.contextmanager
def window_length(harness, samples: int):
    """Build the harness's models for windows of `samples` points (its module constants, restored afterwards)."""
    saved = harness.T_CLASSIFY, harness.T_PRETRAIN
    harness.T_CLASSIFY = harness.T_PRETRAIN = samples
    try:
        yield
    finally:
        harness.T_CLASSIFY, harness.T_PRETRAIN = saved


def build_official(size: str, kind: str, batch: int, samples: int, seed: int = 0):
    """The authors' `SMALL`/`PAPER` model, `classify` (TUEV montage, Functional head, 6 classes) or `pretrain`, with
    random weights from `seed`, in eval mode. Returns `(model, args)`."""
    harness, official = load_official()
    torch.manual_seed(seed)
    with window_length(harness, samples), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # mne >= 1.13 on every 'standard_1020' the authors' layers load
        model, args = harness.build_model(official, size, kind, batch)
    return model.eval(), args


def without_training_noise(model):
    """Train mode (the authors' MoE computes its auxiliary loss only there) without dropout or router noise, so that
    the forward pass is deterministic and comparable with ours."""
    _, official = load_official()
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "dropout") and isinstance(module.dropout, float):  # the authors' attention dropout
            module.dropout = 0.0
        if isinstance(module, official.pse.MoE):
            module.noise_std = 0.0
    return model


def signal(batch: int, samples: int, channels: int = 20, seed: int = 1) -> torch.Tensor:
    """The harness's smooth random test signal `(batch, samples, channels)` (the authors' layout)."""
    harness, _ = load_official()
    return harness.make_signal(batch, samples, channels, torch.Generator().manual_seed(seed))


def masks_for(full_mask: torch.Tensor, merge_factors) -> list:
    """Per encoder block, the token mask at that block's scale, by our rule (a merged token is hidden when all its
    points are): the authors' model takes these as inputs (`mask_info`); their generator is not public."""
    from modeling_neuript.modeling_neuript import merge_token_mask

    masks, current = [], full_mask
    for factor in merge_factors:
        current = merge_token_mask(current, factor)
        masks.append(current.contiguous())
    return masks


def amplitude_mask(x: torch.Tensor, seed: int = 2) -> torch.Tensor:
    """A `(batch, channels, samples)` AAMP mask of half of every channel (the harness's reconstruction)."""
    harness, _ = load_official()
    full, _ = harness.aamp_mask(x, [1], torch.Generator().manual_seed(seed))
    return full.contiguous()


def relative_difference(reference: torch.Tensor, other: torch.Tensor) -> float:
    """`max |reference - other| / max |reference|`: the error relative to the output's scale."""
    reference, other = reference.detach().double(), other.detach().double()
    return float((reference - other).abs().max() / reference.abs().max().clamp_min(1e-30))


# ----------------------------------------------------------------------------------------------------------------------
# Converted pairs
# ----------------------------------------------------------------------------------------------------------------------


@dataclass
class Pair:
    """The authors' model and our conversion of it, with the inputs both see."""

    official: torch.nn.Module
    ours: torch.nn.Module
    report: object
    positions: torch.Tensor  # (channels, 3), the positions the authors' code uses
    x: torch.Tensor  # (batch, samples, channels), the authors' layout
    args: object
    time_mask: Optional[torch.Tensor] = None  # (batch, channels, samples), pretraining

    @property
    def input_values(self) -> torch.Tensor:
        return self.x.transpose(1, 2).contiguous()  # (batch, channels, samples), ours


def converted_pair(size: str, kind: str, batch: int = 2, samples: int = 64, seed: int = 0, **conversion) -> Pair:
    """Build the authors' model, convert its state dict with our converter, and draw the inputs."""
    from modeling_neuript.interop.official import convert_official_state_dict

    official, args = build_official(size, kind, batch, samples, seed)
    task = "classification" if kind == "classify" else "pretraining"
    preset = "neuript-small" if size == "SMALL" else "neuript-paper"
    ours, report, positions = convert_official_state_dict(official.state_dict(), task=task, preset=preset, **conversion)
    x = signal(batch, samples, seed=seed + 1)
    pair = Pair(official, ours, report, torch.tensor(list(positions.values()), dtype=torch.float32), x, args)
    if kind == "pretrain":
        pair.time_mask = amplitude_mask(x, seed=seed + 2)
    return pair


def official_outputs(pair: Pair) -> dict:
    """The authors' outputs: `logits` or `prediction` (masked points, their gather order), `hidden_states` (every
    encoder level) and `aux_loss` (train mode without noise, where their MoE computes it)."""
    model = pair.official
    with torch.no_grad():
        if pair.time_mask is None:
            logits, _ = model(pair.x)
            hidden_states, _ = model.encoder(model.enc_value_embedding(pair.x))
            outputs = {"logits": logits, "hidden_states": hidden_states}
        else:
            masks = masks_for(pair.time_mask, pair.args.merge_layers)
            x_in = pair.x.masked_fill(pair.time_mask.transpose(1, 2), 0.0)  # the authors' masked input: zeros
            prediction, _ = model(x_in, masks, list(masks))
            hidden_states, _ = model.encoder(model.enc_value_embedding(x_in), masks)
            outputs = {"prediction": prediction, "hidden_states": hidden_states, "masks": masks}
        noiseless = without_training_noise(copy.deepcopy(model))
        if pair.time_mask is None:
            outputs["train_logits"], outputs["aux_loss"] = noiseless(pair.x)
        else:
            outputs["train_prediction"], outputs["aux_loss"] = noiseless(x_in, masks, list(masks))
    return outputs


def our_outputs(model, pair: Pair, positions: Optional[torch.Tensor] = None, input_values=None) -> dict:
    """Our model's outputs on the pair's inputs, in the authors' layout (`prediction` gathered like theirs)."""
    positions = pair.positions if positions is None else positions
    input_values = pair.input_values if input_values is None else input_values
    with torch.no_grad():
        if pair.time_mask is None:
            out = model(input_values, positions, output_hidden_states=True)
            return {"logits": out.logits, "hidden_states": out.hidden_states, "aux_loss": out.aux_loss}
        out = model(input_values, positions, time_mask=pair.time_mask, output_hidden_states=True)
        batch, channels = input_values.shape[:2]
        gathered = out.reconstruction.transpose(1, 2)[pair.time_mask.transpose(1, 2)].view(batch, -1, channels)
        return {"prediction": gathered, "hidden_states": out.hidden_states, "aux_loss": out.aux_loss,
                "reconstruction_loss": out.reconstruction_loss, "loss": out.loss}


# ----------------------------------------------------------------------------------------------------------------------
# The effect of our defaults
# ----------------------------------------------------------------------------------------------------------------------


def with_settings(model, **settings):
    """A copy of a converted model with config settings changed (same weights; a setting that removes parameters
    drops them)."""
    config = copy.deepcopy(model.config)
    for key, value in settings.items():
        setattr(config, key, value)
    config.validate_neuript()
    other = type(model)(config).eval()
    missing, unexpected = other.load_state_dict(model.state_dict(), strict=False)
    if missing:
        raise ValueError(f"settings {settings} need tensors the converted model lacks: {missing[:3]}")
    return other


def our_double_banana_positions() -> torch.Tensor:
    """Our default positions for the double banana (colin27 10-05 template, MNE head frame, Fp1-F3 as recorded)."""
    from modeling_neuript.electrodes_neuript import DOUBLE_BANANA_PAIRS, resolve_channel_positions

    return torch.tensor(resolve_channel_positions(DOUBLE_BANANA_PAIRS)[0], dtype=torch.float32)


def rule_groups(pair: Pair, scheme: str) -> list:
    """Our position rules' lobe groups for the double banana (decided on our positions), written as `lobe_groups` over
    the pair's positions, so that the converted head runs with them."""
    from modeling_neuript.electrodes_neuript import lobe_membership
    from modeling_neuript.interop.official import parse_channel_names

    names = parse_channel_names("double_banana")[0]
    membership = lobe_membership(our_double_banana_positions(), scheme)  # (G, C)
    return [{names[c]: pair.positions[c].tolist() for c in np.flatnonzero(row.numpy())} for row in membership]


def authors_groups_at(positions: torch.Tensor, scheme: str = "functional") -> list:
    """The authors' lobe lists for the double banana as `lobe_groups` over other positions of the same channels."""
    from modeling_neuript.interop.official import OFFICIAL_LOBE_GROUPS_20, parse_channel_names

    names = parse_channel_names("double_banana")[0]
    return [{names[c]: positions[c].tolist() for c in group} for group in OFFICIAL_LOBE_GROUPS_20[scheme]]


def capacity_drop_fraction(model, pair: Pair) -> float:
    """Fraction of the routing slots the authors' capacity `tokens // E` drops, over all MoE modules, on the pair."""
    from modeling_neuript.modeling_neuript import NeurIPTProgressiveMoE

    dropped = total = 0
    handles = []

    def count(module, inputs, output):
        nonlocal dropped, total
        flat = inputs[0].reshape(-1, inputs[0].shape[-1])
        _, weights, index = module.router(flat)
        kept = module._apply_capacity(index, weights)
        dropped += int(((kept == 0) & (weights > 0)).sum())
        total += weights.numel()

    for module in model.modules():
        if isinstance(module, NeurIPTProgressiveMoE):
            handles.append(module.register_forward_hook(count))
    try:
        our_outputs(model, pair)
    finally:
        for handle in handles:
            handle.remove()
    return dropped / max(total, 1)


# The sizes the tests and docs/faithfulness.md use: small enough for CI, every merge and every expert layer exercised.
CLASSIFY_SIZE = dict(batch=2, samples=64)
PRETRAIN_SIZE = dict(batch=1, samples=32)


def standard_pairs(seed: int = 0) -> tuple[Pair, Pair]:
    """The converted SMALL classifier and pretraining model at the standard sizes, double-banana channels."""
    return (
        converted_pair("SMALL", "classify", seed=seed, channel_names="double_banana", **CLASSIFY_SIZE),
        converted_pair("SMALL", "pretrain", seed=seed, channel_names="double_banana", **PRETRAIN_SIZE),
    )


def default_effects(pair: Pair, pretraining: Pair) -> dict:
    """How far each of our defaults moves the converted SMALL models' outputs from the authors' behaviour: relative
    differences (`relative_difference`) of the classification logits or of the reconstruction of the masked points,
    with a compatibility setting switched back to our default, one at a time, then all together. Same weights
    (random), same inputs (`standard_pairs`)."""
    effects = {}
    reference = our_outputs(pair.ours, pair)["logits"]

    def logits_with(positions=None, **settings):
        model = with_settings(pair.ours, **settings) if settings else pair.ours
        return relative_difference(reference, our_outputs(model, pair, positions=positions)["logits"])

    effects["position_quantization"] = logits_with(position_quantization="head")
    ours = our_double_banana_positions()
    effects["our_positions"] = logits_with(
        positions=ours, position_quantization="head", lobe_groups=authors_groups_at(ours)
    )
    effects["expert_capacity"] = logits_with(expert_capacity_factor=None)
    effects["expert_capacity_dropped_fraction"] = capacity_drop_fraction(pair.ours, pair)
    effects["lobe_groups_functional"] = logits_with(lobe_groups=rule_groups(pair, "functional"))
    effects["classifier_all_defaults"] = logits_with(
        positions=ours, position_quantization="head", expert_capacity_factor=None, lobe_groups=None,
        lobe_grouping="functional",
    )
    # merge padding matters only where a merge does not divide the length: 66 samples -> 66 / 4 pads to 68
    uneven = torch.cat([pair.input_values, pair.input_values[..., :2]], dim=-1)
    with torch.no_grad():
        tail = pair.ours(uneven, pair.positions).logits
        last = with_settings(pair.ours, merge_padding="repeat_last")(uneven, pair.positions).logits
    effects["merge_padding_66_samples"] = relative_difference(tail, last)

    reference = our_outputs(pretraining.ours, pretraining)["prediction"]

    def prediction_with(positions=None, **settings):
        model = with_settings(pretraining.ours, **settings)
        return relative_difference(reference, our_outputs(model, pretraining, positions=positions)["prediction"])

    effects["masked_attention"] = prediction_with(masked_attention="keys")
    effects["decoder_residual"] = prediction_with(decoder_residual="pre_norm")
    effects["decoder_encoder_norm"] = prediction_with(decoder_encoder_norm=False)
    effects["pretraining_position_quantization"] = prediction_with(position_quantization="head")
    effects["pretraining_expert_capacity"] = prediction_with(expert_capacity_factor=None)
    effects["pretraining_all_defaults"] = prediction_with(
        positions=our_double_banana_positions(), position_quantization="head", expert_capacity_factor=None,
        masked_attention="keys", decoder_residual="pre_norm", decoder_encoder_norm=False,
    )
    return effects


def agreement(pair: Pair) -> dict:
    """The largest relative difference between the authors' outputs and our conversion's, per output."""
    theirs, ours = official_outputs(pair), our_outputs(pair.ours, pair)
    key = "logits" if pair.time_mask is None else "prediction"
    levels = [relative_difference(a, b) for a, b in zip(theirs["hidden_states"], ours["hidden_states"])]
    return {key: relative_difference(theirs[key], ours[key]), "encoder levels (max)": max(levels),
            "auxiliary loss": relative_difference(theirs["aux_loss"], ours["aux_loss"])}


if __name__ == "__main__":  # print the numbers docs/faithfulness.md quotes
    if official_or_skip_reason():
        sys.exit(official_or_skip_reason())
    pairs = standard_pairs()
    for pair in pairs:
        for name, value in agreement(pair).items():
            print(f"{pair.args.data:8s} {name:32s} {value:.3g}")
    for name, value in default_effects(*pairs).items():
        print(f"{name:40s} {value:.4g}")
