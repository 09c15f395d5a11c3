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
