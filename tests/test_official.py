"""Our port against the authors' code: converted checkpoints give their outputs, and our defaults differ from their
behaviour by the amounts docs/faithfulness.md quotes.

The authors' model code (MIT) is a read-only reference outside the repository, imported through
benchmarks/official_reference.py; the tests that need it are skipped, with the reason, where it is absent. Random
weights, eval mode, fp32; SMALL models at 2 × 20 channels × 64 samples (classification) and 1 × 20 × 32 (pretraining).
The tests of the compatibility settings themselves run everywhere.
"""

import re
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import REPO, tiny_config

sys.path.insert(0, str(REPO / "benchmarks"))
import official_reference as reference  # noqa: E402

from modeling_neuript.interop.official import (  # noqa: E402
    convert_official_checkpoint,
    convert_official_state_dict,
    load_official_state_dict,
    official_electrode_positions,
    official_grid_positions,
    parse_channel_names,
)
from modeling_neuript.modeling_neuript import (  # noqa: E402
    NeurIPTForSequenceClassification,
    NeurIPTProgressiveMoE,
    attention_query_masks,
    count_parameters,
    montage_grid_coordinates,
    pad_to_multiple,
)

TOLERANCE = 1e-5  # relative to the output's scale (`reference.relative_difference`)

needs_official = pytest.mark.skipif(bool(reference.official_or_skip_reason()), reason=str(reference.official_or_skip_reason()))


@pytest.fixture(scope="module")
def classify_pair():
    return reference.converted_pair("SMALL", "classify", channel_names="double_banana", **reference.CLASSIFY_SIZE)


@pytest.fixture(scope="module")
def pretrain_pair():
    return reference.converted_pair("SMALL", "pretrain", channel_names="double_banana", **reference.PRETRAIN_SIZE)


@pytest.fixture(scope="module")
def classify_outputs(classify_pair):
    return reference.official_outputs(classify_pair), reference.our_outputs(classify_pair.ours, classify_pair)


@pytest.fixture(scope="module")
def pretrain_outputs(pretrain_pair):
    return reference.official_outputs(pretrain_pair), reference.our_outputs(pretrain_pair.ours, pretrain_pair)


def assert_close(expected, actual, what):
    difference = reference.relative_difference(expected, actual)
    assert difference < TOLERANCE, f"{what}: relative difference {difference:.3g}"


# ----------------------------------------------------------------------------------------------------------------------
# Output for output
# ----------------------------------------------------------------------------------------------------------------------


@needs_official
def test_converted_classifier_gives_the_authors_logits_and_every_encoder_level(classify_pair, classify_outputs):
    """Logits and the seven representations (embedding output + six layers). Level 0 includes the temporal encoding in
    both: the authors' first block adds it in place to the tensor kept as level 0, and our embedding adds it."""
    theirs, ours = classify_outputs
    assert not classify_pair.report.new and not classify_pair.report.unused
    assert_close(theirs["logits"], ours["logits"], "logits")
    assert len(theirs["hidden_states"]) == len(ours["hidden_states"]) == 7
    for level, (expected, actual) in enumerate(zip(theirs["hidden_states"], ours["hidden_states"])):
        assert expected.shape == actual.shape
        assert_close(expected, actual, f"encoder level {level}")


@needs_official
def test_converted_classifier_gives_the_authors_auxiliary_loss(classify_outputs):
    """The authors' MoE computes its auxiliary loss in training only: theirs in train mode without dropout or router
    noise (its logits unchanged) against ours."""
    theirs, ours = classify_outputs
    assert float(theirs["aux_loss"]) > 0
    assert_close(theirs["aux_loss"], ours["aux_loss"], "auxiliary loss")
    assert_close(theirs["train_logits"], ours["logits"], "train-mode logits")


@needs_official
def test_converted_pretraining_model_reconstructs_as_the_authors_given_the_same_mask(pretrain_pair, pretrain_outputs):
    """Reconstruction of the masked points, every encoder level, the auxiliary loss and the AAMP loss (ℓ1 on the
    masked points + 0.8 × auxiliary, the authors' training objective)."""
    theirs, ours = pretrain_outputs
    assert_close(theirs["prediction"], ours["prediction"], "reconstruction of the masked points")
    for level, (expected, actual) in enumerate(zip(theirs["hidden_states"], ours["hidden_states"])):
        assert_close(expected, actual, f"encoder level {level}")
    assert_close(theirs["aux_loss"], ours["aux_loss"], "auxiliary loss")
    assert_close(theirs["train_prediction"], ours["prediction"], "train-mode reconstruction")
    target = pretrain_pair.x[pretrain_pair.time_mask.transpose(1, 2)].view_as(theirs["prediction"])
    their_loss = torch.nn.functional.l1_loss(theirs["prediction"], target) + 0.8 * theirs["aux_loss"]
    assert_close(their_loss, ours["loss"], "AAMP loss")


# ----------------------------------------------------------------------------------------------------------------------
# The command and the files it writes
# ----------------------------------------------------------------------------------------------------------------------


@needs_official
def test_convert_official_command_writes_a_checkpoint_that_loads_without_new_or_unused_weights(
    classify_pair, classify_outputs, tmp_path
):
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    from modeling_neuript import cli

    checkpoint = tmp_path / "stage2.pth"
    torch.save({"epoch": 7, "state_dict": classify_pair.official.state_dict()}, checkpoint)
    output = tmp_path / "converted"
    assert cli.main(["convert-official", str(checkpoint), "--output_dir", str(output), "--preset", "neuript-small",
                     "--task", "classification", "--channel_names", "double_banana"]) == 0

    model, info = AutoModelForSequenceClassification.from_pretrained(output, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert (output / "model.safetensors").is_file()
    logits = reference.our_outputs(model.eval(), classify_pair)["logits"]
    assert_close(classify_outputs[0]["logits"], logits, "logits of the saved checkpoint")

    # The feature extractor re-references a monopolar recording to the authors' channels at the authors' positions.
    extractor = AutoFeatureExtractor.from_pretrained(output)
    electrodes = sorted({e for pair in parse_channel_names("double_banana")[1] for e in pair.split("-")})
    recording = np.random.default_rng(0).normal(scale=2e-5, size=(len(electrodes), 256 * 12))
    features = extractor(recording, channel_names=electrodes, sampling_rate=256)
    assert features["input_values"].shape[1:] == (20, 64)  # 1 s windows: the checkpoint's temporal encoding length
    assert torch.equal(features["channel_positions"][0], classify_pair.positions)

    card = (output / "README.md").read_text()
    assert "## Provenance" in card and "Zitao Fang" in card and "sha256" in card
    assert '"mapped"' in (output / "conversion.json").read_text()


@needs_official
def test_converted_pretraining_checkpoint_loads_and_reconstructs_as_the_authors(pretrain_pair, pretrain_outputs, tmp_path):
    from transformers import AutoModelForPreTraining

    checkpoint = tmp_path / "stage1.pth"
    torch.save(pretrain_pair.official.state_dict(), checkpoint)
    report = convert_official_checkpoint(checkpoint, tmp_path / "converted", preset="neuript-small", task="pretraining",
                                         channel_names="double_banana")
    assert len(report.verified) == 6 * 2 + 7 * 2 + 1  # the PE buffers of 13 layers, and dec_in
    model, info = AutoModelForPreTraining.from_pretrained(tmp_path / "converted", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    prediction = reference.our_outputs(model.eval(), pretrain_pair)["prediction"]
    assert_close(pretrain_outputs[0]["prediction"], prediction, "reconstruction of the saved checkpoint")


@needs_official
def test_a_converted_checkpoint_becomes_a_classifier_for_a_new_label_set(classify_pair, classify_outputs, pretrain_pair, tmp_path):
    """From the authors' classifier with another number of classes, and from their pretraining model through
    `from_pretrained(num_labels=...)`: the backbone converted, the head new."""
    model, report, _ = convert_official_state_dict(
        classify_pair.official.state_dict(), preset="neuript-small", channel_names="double_banana", num_labels=3
    )
    assert report.new == ["classifier.weight", "classifier.bias"]
    assert set(report.unused) == {"classification_head.classification_layer.weight", "classification_head.classification_layer.bias"}
    hidden_states = reference.our_outputs(model, classify_pair)["hidden_states"]
    for expected, actual in zip(classify_outputs[0]["hidden_states"], hidden_states):
        assert_close(expected, actual, "encoder of the new-label classifier")

    convert_official_checkpoint(
        _saved(pretrain_pair.official.state_dict(), tmp_path / "stage1.pth"), tmp_path / "pretrained",
        preset="neuript-small", task="pretraining", channel_names="double_banana",
    )
    classifier, info = NeurIPTForSequenceClassification.from_pretrained(
        tmp_path / "pretrained", num_labels=3, output_loading_info=True
    )
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]
    assert info["unexpected_keys"] and all(key.startswith("decoder.") for key in info["unexpected_keys"])
    for name, tensor in pretrain_pair.ours.neuript.state_dict().items():
        assert torch.equal(classifier.neuript.state_dict()[name], tensor), name
    logits = classifier.eval()(torch.randn(2, 20, 32), pretrain_pair.positions).logits
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()


def _saved(state_dict, path):
    torch.save(state_dict, path)
    return path


@needs_official
def test_paper_size_converts_completely_and_gives_the_authors_logits():
    """The paper's classifier (92 M parameters): every tensor mapped, our count = theirs + the mask token (ours is a
    parameter of the encoder; theirs is the zeroed input), one forward on a 1 × 20 × 32 window."""
    pair = reference.converted_pair("PAPER", "classify", batch=1, samples=32, channel_names="double_banana")
    official_parameters = sum(p.numel() for p in pair.official.parameters())
    assert official_parameters == 92_373_286
    assert count_parameters(pair.ours) == official_parameters + pair.ours.config.hidden_size
    assert not pair.report.new and not pair.report.unused and not pair.report.config_changes
    with torch.no_grad():
        expected, _ = pair.official(pair.x)
    assert_close(expected, reference.our_outputs(pair.ours, pair)["logits"], "paper-size logits")


# ----------------------------------------------------------------------------------------------------------------------
# What the converter refuses
# ----------------------------------------------------------------------------------------------------------------------


@needs_official
def test_conversion_names_every_tensor_it_cannot_place_and_every_channel_that_sits_elsewhere(classify_pair):
    state_dict = classify_pair.official.state_dict()
    with pytest.raises(ValueError, match="no place in the converted model.*extra_tensor"):
        convert_official_state_dict({**state_dict, "extra_tensor": torch.zeros(3)}, preset="neuript-small")
    incomplete = {k: v for k, v in state_dict.items() if not k.endswith("encode_blocks.3.encode_layers.0.norm2.weight")}
    with pytest.raises(ValueError, match="lacks.*encode_blocks.3.encode_layers.0.norm2.weight"):
        convert_official_state_dict(incomplete, preset="neuript-small")
    # The recorded Fp1-F3 at its true place is not where the authors' encoding put it.
    names = ",".join(parse_channel_names("double_banana")[1]).replace("Fp2-F3", "Fp1-F3")
    with pytest.raises(ValueError, match=r"Fp1-F3: checkpoint grid \(\d+, \d+, \d+\), these names"):
        convert_official_state_dict(state_dict, preset="neuript-small", channel_names=names)
    _, report, _ = convert_official_state_dict(state_dict, preset="neuript-small", channel_names=names, verify_montage=False)
    assert report.unverified and all("Fp1-F3" in why for _, why in report.unverified)
    with pytest.raises(ValueError, match="has no decoder"):
        convert_official_state_dict(state_dict, task="pretraining", preset="neuript-small")
    # Checkpoints saved without the positional buffers (some fine-tuning code drops them) convert unchecked, same outputs.
    without_buffers = {k: v for k, v in state_dict.items() if "_PE." not in k}
    model, report, _ = convert_official_state_dict(without_buffers, preset="neuript-small")
    assert not report.verified and any("no electrode-encoding buffers" in note for note in report.notes)
    assert_close(reference.our_outputs(classify_pair.ours, classify_pair)["logits"],
                 reference.our_outputs(model, classify_pair)["logits"], "logits without the buffers")
    # The authors' index lists belong to their montage in their order, not to any 20 channels.
    reordered = parse_channel_names("double_banana")[1][::-1]
    with pytest.raises(ValueError, match="lobe lists known here index their 20-channel double banana"):
        convert_official_state_dict(state_dict, preset="neuript-small", channel_names=reordered)


def test_reading_unwraps_training_dicts_and_refuses_pickled_objects(tmp_path):
    """`torch.load(weights_only=True)` only: a DDP-prefixed state dict inside a training dict is found; a file that
    needs arbitrary unpickling is refused without running it."""
    tensor = torch.arange(6.0).view(6, 1)
    torch.save({"epoch": 3, "optimizer": {}, "model": {"module.enc_value_embedding.linear.weight": tensor}}, tmp_path / "a.pth")
    assert list(load_official_state_dict(tmp_path / "a.pth")) == ["enc_value_embedding.linear.weight"]
    torch.save({"weights": _Opaque()}, tmp_path / "b.pth")
    with pytest.raises(ValueError, match="weights_only=True"):
        load_official_state_dict(tmp_path / "b.pth")
    torch.save({"epoch": 3}, tmp_path / "c.pth")
    with pytest.raises(ValueError, match="holds no state dict"):
        load_official_state_dict(tmp_path / "c.pth")


class _Opaque:
    pass


# ----------------------------------------------------------------------------------------------------------------------
# Our defaults against the authors' behaviour: the numbers docs/faithfulness.md quotes
# ----------------------------------------------------------------------------------------------------------------------


def quoted_effects() -> dict:
    """`{effect name: value}` from the measurement table of docs/faithfulness.md (rows ending `| name | value |`)."""
    text = (REPO / "docs" / "faithfulness.md").read_text()
    return {name: float(value) for name, value in re.findall(r"\| `([a-z0-9_]+)` \| ([0-9.e-]+) \|\s*$", text, re.M)}


@needs_official
def test_our_defaults_differ_from_the_authors_by_what_the_faithfulness_notes_quote(classify_pair, pretrain_pair):
    measured = reference.default_effects(classify_pair, pretrain_pair)
    quoted = quoted_effects()
    assert set(quoted) == set(measured), set(quoted) ^ set(measured)
    for name, value in measured.items():
        if quoted[name] == 0:
            assert value < TOLERANCE, (name, value)
        else:
            assert abs(value - quoted[name]) <= 0.05 * quoted[name], (name, value, quoted[name])
    # every compatibility setting matters somewhere (the functional lobe rules agree with the authors' lists)
    assert all(value > 1e-3 for name, value in measured.items() if name != "lobe_groups_functional"), measured


# ----------------------------------------------------------------------------------------------------------------------
# The compatibility settings themselves (no reference code needed)
# ----------------------------------------------------------------------------------------------------------------------


def test_montage_quantisation_gives_the_authors_integer_grid_for_the_double_banana():
    positions = official_electrode_positions(parse_channel_names("double_banana")[1])
    grid = montage_grid_coordinates(torch.tensor(positions)[None], 50)[0].round().long().numpy()
    assert np.array_equal(grid, official_grid_positions(positions))
    assert grid.min() == 0 and grid.max() == 49


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    st.lists(st.tuples(*[st.floats(-0.1, 0.1)] * 3), min_size=2, max_size=12, unique=True),
    st.tuples(*[st.floats(-0.02, 0.02)] * 3),
    st.floats(0.5, 1.5),
)
def test_montage_quantisation_ignores_where_the_montage_sits_and_its_size(points, shift, scale):
    """Shifting or scaling the whole montage leaves the montage-relative grid unchanged (unlike the head frame's), and
    padded channels do not take part."""
    positions = torch.tensor(points, dtype=torch.float64)[None]
    if float((positions - positions.amin(1, keepdim=True)).max()) < 1e-3:
        return
    grid = montage_grid_coordinates(positions, 50)
    moved = montage_grid_coordinates(positions * scale + torch.tensor(shift, dtype=torch.float64), 50)
    assert torch.allclose(grid, moved, atol=1e-6)
    padded = torch.cat([positions, torch.full((1, 1, 3), 0.5, dtype=torch.float64)], dim=1)
    mask = torch.ones(1, padded.shape[1], dtype=torch.bool)
    mask[0, -1] = False
    assert torch.allclose(montage_grid_coordinates(padded, 50, mask)[:, :-1], grid)


def test_query_masks_let_masked_tokens_see_only_themselves_and_visible_ones_see_all():
    token_mask = torch.tensor([[[False, True, False, True]]])  # (B=1, C=1, L=4)
    time_mask, channel_mask = attention_query_masks(None, token_mask, (1, 1, 4))
    assert time_mask[0].tolist() == [[True] * 4, [False, True, False, False], [True] * 4, [False, False, False, True]]
    assert channel_mask.shape == (4, 1, 1) and channel_mask.all()
    masked = torch.zeros(1, 2, 3, dtype=torch.bool)
    padded = attention_query_masks(torch.tensor([[1, 0]]), masked, (1, 2, 3))[1]
    assert padded[0].tolist() == [[True, False], [True, False]]  # a padded channel is hidden as a key
    masked[0, 1] = True
    padded = attention_query_masks(torch.tensor([[1, 0]]), masked, (1, 2, 3))[1]
    assert padded[0].tolist() == [[True, False], [True, True]]  # a masked padded query, left with no key, sees all


def test_official_capacity_keeps_the_first_tokens_divided_by_experts_in_token_order():
    config = tiny_config(num_experts_per_layer=[4] * 2 + [0] * (tiny_config().num_hidden_layers - 2),
                         expert_capacity_factor=1.0, expert_capacity_rule="tokens")
    moe = NeurIPTProgressiveMoE(config, 4)
    index = torch.tensor([[0, 1], [0, 2], [0, 1], [0, 3], [1, 0], [2, 3], [0, 1], [3, 2], [0, 1]])  # 9 tokens, k=2
    weights = torch.full(index.shape, 0.25)
    kept = moe._apply_capacity(index, weights) > 0
    # capacity 9 // 4 = 2 per expert: expert 0 keeps tokens 0 and 1, expert 1 tokens 0 and 2, ...
    for expert in range(4):
        tokens = [t for t in range(9) for s in range(2) if index[t, s] == expert and kept[t, s]]
        everyone = [t for t in range(9) for s in range(2) if index[t, s] == expert]
        assert tokens == everyone[:2], (expert, tokens)


def test_repeat_tail_padding_appends_the_last_tokens_as_the_authors_merge_does():
    tokens = torch.arange(5.0).view(1, 1, 5, 1)
    assert pad_to_multiple(tokens, 4, dim=2, mode="repeat_tail").flatten().tolist() == [0, 1, 2, 3, 4, 2, 3, 4]
    assert pad_to_multiple(tokens, 4, dim=2).flatten().tolist() == [0, 1, 2, 3, 4, 4, 4, 4]


def test_explicit_lobe_groups_follow_channels_in_any_order_and_refuse_unlisted_ones():
    positions = torch.tensor(official_electrode_positions(["Fp1", "Fp2", "O1", "O2"]), dtype=torch.float32)
    groups = [
        {"Fp1": positions[0].tolist(), "Fp2": positions[1].tolist()},
        {"O1": positions[2].tolist(), "Fp1": positions[0].tolist(), "O2": positions[3].tolist()},
    ]
    model = NeurIPTForSequenceClassification(tiny_config(lobe_groups=groups, num_labels=2)).eval()
    x = torch.randn(1, 4, 64)
    order = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        pooled = model(x, positions).pooled_output
        shuffled = model(x[:, order], positions[order]).pooled_output
        membership = model.pooling.membership(positions[None])
    assert membership[0].tolist() == [[1, 1, 0, 0], [1, 0, 1, 1]]
    assert torch.allclose(pooled, shuffled, atol=1e-6)
    with pytest.raises(ValueError, match="none of config.lobe_groups"):
        model(x, positions + torch.tensor([0.0, 0.0, 0.01]))
