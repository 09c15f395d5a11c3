"""The model option behind `neuript reproduce positions` (learned per-channel position embeddings) and the CI-sized
runs of the `experts`, `pooling` and `positions` experiments."""

import tempfile

import pytest
import torch
from helpers import tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling_neuript import NeurIPTConfig, NeurIPTForPretraining, NeurIPTForSequenceClassification, NeurIPTModel
from modeling_neuript.electrodes_neuript import resolve_channel_positions

VOCABULARY = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "C3", "Cz", "C4", "P3", "Pz", "P4", "O1", "O2"]


def positions_of(names) -> torch.Tensor:
    return torch.tensor(resolve_channel_positions(names)[0], dtype=torch.float32)


def learned_model(**overrides) -> NeurIPTModel:
    torch.manual_seed(0)
    return NeurIPTModel(tiny_config(position_encoding="learned", channel_vocabulary=VOCABULARY, **overrides)).eval()


# ----------------------------------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"position_encoding": "learned"}, "position_encoding='learned' needs channel_vocabulary"),
        ({"position_encoding": "learned", "channel_vocabulary": ["Cz", "C3", "cz"]}, "more than once: ['CZ']"),
        ({"channel_vocabulary": ["Cz"]}, "only apply to position_encoding='learned'"),
        ({"unknown_channel_embedding": True}, "only apply to position_encoding='learned'"),
        ({"position_encoding": "learned", "channel_vocabulary": {"X": [0.0, 0.1]}}, "three numbers"),
        ({"position_encoding": "rotary"}, "position_encoding must be 'grid', 'continuous' or 'learned'"),
    ],
)
def test_learned_position_config_is_validated(overrides, message):
    with pytest.raises(ValueError) as error:
        NeurIPTConfig(**overrides)
    assert message in str(error.value)


def test_vocabulary_with_two_names_for_one_electrode_is_refused():
    # T3 is the old name of T7: one position, which a position lookup cannot split into two embeddings.
    with pytest.raises(ValueError, match="'T7' and 'T3' \\(both T7\\)"):
        NeurIPTModel(tiny_config(position_encoding="learned", channel_vocabulary=["T7", "Cz", "T3"]))
    close = {"a": [0.0, 0.0, 0.1], "b": [0.0015, 0.0, 0.1], "c": [0.05, 0.0, 0.08]}
    with pytest.raises(ValueError, match=r"same position.*\('a', 'b'\)"):
        NeurIPTModel(tiny_config(position_encoding="learned", channel_vocabulary=close))


def test_vocabulary_with_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="No electrode position for 1 channel"):
        NeurIPTModel(tiny_config(position_encoding="learned", channel_vocabulary=["Cz", "Nowhere"]))


def test_learned_config_round_trips_through_json(tmp_path):
    config = tiny_config(position_encoding="learned", channel_vocabulary=VOCABULARY, unknown_channel_embedding=True)
    config.to_json_file(tmp_path / "config.json")
    loaded = NeurIPTConfig.from_json_file(tmp_path / "config.json")
    assert (loaded.channel_vocabulary, loaded.unknown_channel_embedding) == (VOCABULARY, True)
    assert NeurIPTConfig.from_json_file(tmp_path / "config.json").position_encoding == "learned"


# ----------------------------------------------------------------------------------------------------------------------
# The learned lookup
# ----------------------------------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(VOCABULARY))), st.integers(1, len(VOCABULARY)))
def test_each_channel_gets_the_row_of_its_vocabulary_entry(order, count):
    model = learned_model()
    chosen = [VOCABULARY[i] for i in order[:count]]
    table = model.electrode_embedding.channel_embeddings
    encoded = model.electrode_embedding(positions_of(chosen)[None])
    assert encoded.shape == (1, count, table.shape[1])
    torch.testing.assert_close(encoded[0], table[list(order[:count])].float(), rtol=0, atol=0)


def test_learned_embedding_has_one_row_per_channel_and_a_sinusoid_like_scale():
    model = learned_model()
    table = model.electrode_embedding.channel_embeddings
    assert table.shape == (len(VOCABULARY), 48)
    assert 0.6 < table.std().item() < 0.8  # init std 1/sqrt(2), the RMS of a sinusoidal entry
    with_unknown = learned_model(unknown_channel_embedding=True).electrode_embedding.channel_embeddings
    assert with_unknown.shape == (len(VOCABULARY) + 1, 48)


def test_channel_within_a_millimetre_matches_and_farther_does_not():
    model = learned_model()
    cz = positions_of(["Cz"])
    moved = cz + torch.tensor([0.0009, 0.0, 0.0])
    row = VOCABULARY.index("Cz")
    torch.testing.assert_close(
        model.electrode_embedding(moved[None])[0, 0], model.electrode_embedding.channel_embeddings[row]
    )
    with pytest.raises(ValueError, match="not in the learned channel vocabulary"):
        model.electrode_embedding((cz + torch.tensor([0.002, 0.0, 0.0]))[None])


def test_unseen_channel_is_an_error_naming_the_fix():
    model = learned_model()
    names = ["Cz", "T7", "O1", "PO8"]
    values = torch.randn(1, 4, 64)
    with pytest.raises(ValueError) as error:
        model(values, positions_of(names))
    text = str(error.value)
    assert "2 channel(s) at (sample, channel) [[0, 1], [0, 3]]" in text and "unknown_channel_embedding=True" in text


def test_unseen_channels_share_the_unknown_row_when_allowed():
    model = learned_model(unknown_channel_embedding=True)
    names = ["Cz", "T7", "O1", "PO8"]
    table = model.electrode_embedding.channel_embeddings
    encoded = model.electrode_embedding(positions_of(names)[None])[0]
    torch.testing.assert_close(encoded[0], table[VOCABULARY.index("Cz")])
    torch.testing.assert_close(encoded[2], table[VOCABULARY.index("O1")])
    torch.testing.assert_close(encoded[1], table[-1])
    torch.testing.assert_close(encoded[3], table[-1])


def test_padded_channel_at_an_unknown_position_is_not_an_error():
    model = learned_model()
    positions = positions_of(["Cz", "O1", "C3"])[None].repeat(2, 1, 1)
    positions[1, 2] = 0.0  # padding slot of the second sample: not a vocabulary position
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    values = torch.randn(2, 3, 64)
    out = model(values, positions, channel_mask=mask).last_hidden_state
    alone = model(values[1:, :2], positions[1:, :2]).last_hidden_state
    torch.testing.assert_close(out[1, :2], alone[0], atol=1e-5, rtol=1e-5)


def test_training_moves_only_the_rows_of_the_channels_seen():
    config = tiny_config(position_encoding="learned", channel_vocabulary=VOCABULARY, hidden_dropout_prob=0.0)
    model = NeurIPTForPretraining(config)
    names = ["F3", "C4", "O2"]
    model(torch.randn(2, 3, 64), positions_of(names)).loss.backward()
    # The encoder's table and the decoder's own table (the decoder queries carry positions too).
    for table in (model.neuript.electrode_embedding.channel_embeddings, model.decoder.electrode_embedding.channel_embeddings):
        used = table.grad.abs().sum(-1) > 0
        assert used.nonzero().flatten().tolist() == sorted(VOCABULARY.index(n) for n in names)


def test_learned_checkpoint_reloads_with_its_vocabulary():
    names = ["Fz", "C3", "C4", "Pz", "O1"]
    config = tiny_config(position_encoding="learned", channel_vocabulary=VOCABULARY, unknown_channel_embedding=True)
    torch.manual_seed(0)
    pretrained = NeurIPTForPretraining(config).eval()
    values, positions = torch.randn(2, 5, 64), positions_of(names)
    with tempfile.TemporaryDirectory() as folder:
        pretrained.save_pretrained(folder)
        classifier = NeurIPTForSequenceClassification.from_pretrained(folder, num_labels=2).eval()
    torch.testing.assert_close(
        classifier.neuript(values, positions).last_hidden_state, pretrained.neuript(values, positions).last_hidden_state
    )
    assert classifier.config.channel_vocabulary == VOCABULARY


def test_grid_models_are_unchanged_by_the_option():
    # A sinusoidal model has no learned table, and its encoding is Eq. 1 on the 50-step grid, mask or no mask.
    from modeling_neuript.modeling_neuript import electrode_axis_dims, sinusoidal_encoding

    grid = NeurIPTModel(tiny_config()).eval()
    assert not any("channel_embeddings" in name for name, _ in grid.named_parameters())
    positions = positions_of(["Cz", "O1", "T8"])[None]
    steps = ((positions + 0.15) / 0.30 * 49).round()
    expected = torch.cat([sinusoidal_encoding(steps[..., a], d) for a, d in enumerate(electrode_axis_dims(48))], -1)
    torch.testing.assert_close(grid.electrode_embedding(positions), expected)
    torch.testing.assert_close(grid.electrode_embedding(positions, torch.tensor([[1, 1, 0]])), expected)


# ----------------------------------------------------------------------------------------------------------------------
# neuript reproduce experts / pooling / positions
# ----------------------------------------------------------------------------------------------------------------------


def test_expert_arms_match_the_progressive_active_parameters():
    from modeling_neuript.experiments import experts
    from modeling_neuript.modeling_neuript import count_parameters
    from modeling_neuript.training.factory import resolve_config

    recipe = {"model": "neuript-tiny", "config_overrides": {}, "arms": ["progressive", "none", "uniform", "shrinking"]}
    arms = experts.matched_arms(recipe)
    assert [arms[n]["experts"] for n in recipe["arms"]] == [[0, 0, 2, 4, 4, 6], [0] * 6, [4] * 6, [6, 4, 4, 4, 0, 0]]
    target = arms["progressive"]["active_parameters"]
    for name, arm in arms.items():
        # Recount independently from the overrides: the recorded numbers are the model's.
        model = NeurIPTModel(resolve_config("neuript-tiny", **arm["overrides"]))
        assert (count_parameters(model), count_parameters(model, active_only=True)) == (
            arm["parameters"], arm["active_parameters"])
        assert abs(arm["active_parameters"] - target) / target < 0.03, (name, arm)
        assert all(v % 4 == 0 for k, v in arm["overrides"].items() if k.endswith("intermediate_size"))
    assert arms["none"]["parameters"] == arms["none"]["active_parameters"]  # dense: every parameter is active
    assert arms["uniform"]["parameters"] > arms["uniform"]["active_parameters"]  # 2 of 4 experts idle per token
    assert arms["none"]["overrides"]["intermediate_size"] > 48  # the dense model is widened to match


def test_pooling_arithmetic_equals_the_models_iilp_for_every_scheme(face13_raw):
    from modeling_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.experiments.pooling import SCHEMES, pool

    raw = face13_raw.copy().pick(["A1", "A15", "A28", "B7", "B26", "C7", "C21", "D7", "D19", "D28", "B11", "D31"])
    raw.crop(0, 20)
    features = NeurIPTFeatureExtractor(window_seconds=2.0)(raw, return_tensors="pt")
    values, positions = features["input_values"][:3], features["channel_positions"][:3]
    for _, scheme in SCHEMES:
        torch.manual_seed(0)
        model = NeurIPTForSequenceClassification(tiny_config(lobe_grouping=scheme, num_labels=2)).eval()
        with torch.no_grad():
            expected = model(values, positions).pooled_output
            hidden = model.neuript(values, positions, output_hidden_states=True).hidden_states
        means = torch.stack([h.mean(dim=2) for h in hidden], dim=1).numpy()  # all 7 representations are pooled
        torch.testing.assert_close(torch.from_numpy(pool(means, positions.numpy(), scheme)), expected,
                                   rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, load_or_skip):
    """The three experiments at the quick size, once, sharing a prepared-data cache."""
    from modeling_neuript.data.sources import load_face13
    from modeling_neuript.experiments.reproduce import ReproduceArguments, run_experiment

    load_or_skip(load_face13, "s01", preload=False)
    cache, out = tmp_path_factory.mktemp("reproduce-b-cache"), tmp_path_factory.mktemp("reproduce-b-results")
    runs = {}

    def get(name):
        if name not in runs:
            args = ReproduceArguments(experiment=name, quick=True, seeds=[0], output_dir=str(out), cache_dir=str(cache))
            runs[name] = (run_experiment(args), out)
        return runs[name]

    return get


@pytest.mark.slow
def test_quick_experts_run_trains_every_arm(quick_runs):
    result, out = quick_runs("experts")
    rows = [r for r in result["rows"] if not r.get("baseline")]  # the experiment's own rows (baselines follow them)
    assert [r["method"] for r in rows] == ["progressive", "none", "uniform"]
    assert len({r["active_parameters"] for r in rows}) > 1 or len(rows) == 1
    active = [r["active_parameters"] for r in rows]
    assert max(active) - min(active) <= 0.06 * active[0]  # hidden 16 at the quick size: widths step by 4
    # the face/house trials among the last 20 % of s01's trials in time (the manifest's within:s01 test set)
    assert all(0.0 <= r["balanced_accuracy"] <= 1.0 and 140 <= r["test_windows"] <= 176 for r in rows)
    assert len({r["test_windows"] for r in rows}) == 1
    assert (out / "experts.png").stat().st_size > 1000 and "| progressive |" in (out / "experts.md").read_text()


@pytest.mark.slow
def test_quick_pooling_run_probes_every_scheme_on_both_encoders(quick_runs):
    result, out = quick_runs("pooling")
    rows = [r for r in result["rows"] if not r.get("baseline")]  # the experiment's own rows (baselines follow them)
    schemes = {"none", "hemisphere", "coronal", "sagittal", "functional"}
    for encoder in ("random init", "AAMP-pretrained"):
        assert {r["scheme"] for r in rows if r["encoder"] == encoder} == schemes
    # Feature width = representations × groups × hidden (hidden 16 at the quick size, 7 representations).
    groups = {"none": 1, "hemisphere": 2, "coronal": 5, "sagittal": 5, "functional": 5}
    assert all(r["features"] == 7 * groups[r["scheme"]] * 16 for r in rows)
    sizes = result["settings"]["group_sizes"]
    sites = len(result["settings"]["sites"])
    assert sum(sizes["hemisphere"].values()) >= sites and sizes["none"] == {"all": sites}
    assert "IILP (functional lobes)" in (out / "pooling.md").read_text()
    # Schemes that form the same channel groups on this montage give the same features, hence the same scores.
    same = [tuple(pair) for pair in result["settings"]["same_partitions"]]
    assert ("coronal", "functional") in same  # C3, C4 | O1, O2 at the quick size
    for a, b in same:
        for encoder in ("random init", "AAMP-pretrained"):
            # Equal up to the solver's tolerance (the columns come in another order).
            score = {r["scheme"]: r["roc_auc"] for r in rows if r["encoder"] == encoder}
            assert score[a] == pytest.approx(score[b], abs=0.01)


@pytest.mark.slow
def test_quick_positions_run_transfers_to_an_unseen_montage(quick_runs):
    result, out = quick_runs("positions")
    settings = result["settings"]
    # One cap electrode per site and subject (a subject's bad electrode moves the pick: the union may be larger).
    assert len(settings["montage_A"]) >= len(settings["sites"]) and len(settings["montage_B"]) >= len(settings["transfer_sites"])
    assert not set(settings["montage_A"]) & set(settings["montage_B"])
    assert set(settings["vocabulary"]) == set(settings["montage_A"])
    rows = [r for r in result["rows"] if not r.get("baseline")]  # the experiment's own rows (baselines follow them)
    probes = {(r["arm"], r["encoder"], r["montage"]) for r in rows if r["part"] == "cross-montage probe"}
    assert len(probes) == 2 * 2 * 2
    assert {r["arm"] for r in rows if r["part"] == "fine-tuned from scratch"} == {
        "3-D sinusoidal (grid)", "learned per channel"}
    assert "Montage B (never seen in pretraining)" in (out / "positions.md").read_text()


def test_pretraining_model_reloads_with_its_mask_ratios(tmp_path):
    # Config-derived non-persistent buffers must survive from_pretrained (built on the "meta" device): the same
    # generator then draws the same masks as the model that was saved.
    config = tiny_config(mask_ratios=[0.25, 0.5], mask_replace_probs=[0.6, 0.3, 0.1])
    model = NeurIPTForPretraining(config)
    model.save_pretrained(tmp_path)
    loaded = NeurIPTForPretraining.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded.masking.mask_ratios, torch.tensor([0.25, 0.5]))
    torch.testing.assert_close(loaded.masking.replace_cumprobs, torch.tensor([0.6, 0.9, 1.0]))
    values = torch.randn(3, 4, 64)
    drawn = [m.masking(values, torch.Generator().manual_seed(7)) for m in (model, loaded)]
    assert torch.equal(drawn[0][0], drawn[1][0]) and torch.equal(drawn[0][1], drawn[1][1])
