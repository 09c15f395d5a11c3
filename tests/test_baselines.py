"""The compact baselines every NeurIPT number stands beside: they learn real EEG, train on exactly the windows they
are given, refuse what they cannot train on, and are reproducible with a seed."""

import types

import numpy as np
import pytest

from modeling_neuript.training import baselines
from modeling_neuript.training.baselines import FAST_BASELINES, NetworkRecipe, Split, run_baselines


@pytest.fixture(scope="module")
def checker(face13_tiny_events):
    """Face13 s01, checkerboard left vs right (a lateralised visual response) at F3, F4, O1, O2: µV windows, labels
    and a time-ordered split."""
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import split_indices, task_labels

    dataset, extractor, manifest = load_prepared(face13_tiny_events)
    label_map, names = task_labels(manifest, "checker_left_vs_right")
    labels = np.array([label_map.get(int(l), -1) for l in dataset["label"]])
    train, validation, test = split_indices(dataset["subject"], dataset["window_start_seconds"], "within", 0.2, 0.15,
                                            labels=np.asarray(dataset["label"]), validation="stratified")
    inside = np.flatnonzero(labels >= 0)
    split = Split(*(np.intersect1d(part, inside) for part in (train, validation, test)))
    return baselines.microvolt_windows(dataset, extractor), labels, split, float(extractor.sampling_rate)


def test_fast_baselines_decode_a_lateralised_visual_response(checker):
    windows, labels, split, rate = checker
    assert windows.shape[1:] == (4, 64) and np.abs(windows).mean() > 1.0  # µV again, not A-law units
    rows = run_baselines(windows, labels, rate, split, seeds=[0, 1], methods=FAST_BASELINES)
    assert [r["method"] for r in rows] == [m for m in FAST_BASELINES for _ in range(2)]
    by_method = {r["method"]: r for r in rows}
    assert by_method["LogReg ERP waveform"]["balanced_accuracy"] > 0.8  # O1/O2 see which side flickers
    for method in FAST_BASELINES:  # deterministic given the split: one row per seed, the same numbers
        first, second = [r for r in rows if r["method"] == method]
        assert first["balanced_accuracy"] == second["balanced_accuracy"] and (first["seed"], second["seed"]) == (0, 1)


def test_networks_are_reproducible_with_a_seed_and_learn(checker):
    windows, labels, split, rate = checker
    recipe = NetworkRecipe(epochs=4)
    one = baselines.compact_network("EEGNet", windows, labels, split, rate, seed=3, recipe=recipe)
    two = baselines.compact_network("EEGNet", windows, labels, split, rate, seed=3, recipe=recipe)
    np.testing.assert_array_equal(one, two)
    assert one.shape == (len(split.test), 2) and np.allclose(one.sum(-1), 1, atol=1e-5)
    shallow = baselines.compact_network("ShallowFBCSPNet", windows, labels, split, rate, seed=0, recipe=recipe)
    assert baselines.scores(labels[split.test], shallow)["balanced_accuracy"] > 0.6


@pytest.mark.parametrize("samples", [32, 64, 256])
def test_networks_fit_trials_from_half_a_second(samples):
    import torch

    for name in baselines.NETWORKS:
        model = baselines.build_network(name, n_chans=5, n_times=samples, n_outputs=3, rate=64.0)
        assert model(torch.randn(2, 5, samples)).shape == (2, 3), (name, samples)


def test_a_split_they_cannot_learn_from_is_refused():
    windows = np.random.default_rng(0).normal(size=(12, 2, 32))
    labels = np.array([0, 1] * 6)
    split = Split(np.arange(6), np.arange(6, 8), np.arange(8, 12))
    with pytest.raises(ValueError, match="one class"):
        run_baselines(windows, np.where(np.arange(12) < 6, 0, labels), 64.0, split, [0], ["LogReg band power"])
    with pytest.raises(ValueError, match="outside the task"):
        run_baselines(windows, np.where(np.arange(12) == 0, -1, labels), 64.0, split, [0], ["LogReg band power"])
    with pytest.raises(ValueError, match="Unknown baseline"):
        run_baselines(windows, labels, 64.0, split, [0], ["SVM"])


def test_a_dataset_mixing_montages_is_refused_and_one_site_list_on_two_caps_is_not():
    """Channel i must be one site in every window: other names at the same places (a recipe's `nearest` sites on caps
    with different bad channels) are accepted; other places are refused, with the distance and both fixes named."""
    from modeling_neuript.electrodes_neuript import resolve_channel_positions

    class Rows(dict):
        def with_format(self, _):
            return self

    def rows(names_per_window, positions_per_window):
        return Rows(channel_names=names_per_window, channel_positions=np.asarray(positions_per_window),
                    input_values=np.ones((len(names_per_window), 2, 8)))

    c3_c4, _ = resolve_channel_positions(["C3", "C4"])
    c3_cz, _ = resolve_channel_positions(["C3", "Cz"])
    c3_c4 = np.asarray(c3_c4, dtype=np.float64)
    nearby = c3_c4 + np.array([0.01, 0.0, 0.0])  # other electrode names, 10 mm away
    same_sites = rows([["C3", "C4"], ["A1", "A2"]], [c3_c4, nearby])
    plain = types.SimpleNamespace(alaw_A=None)  # an extractor without companding: values pass through
    assert np.array_equal(baselines.microvolt_windows(same_sites, plain), np.ones((2, 2, 8)))
    with pytest.raises(ValueError, match=r"same sites.*2 channels up to \d+ mm apart.*nearest"):
        baselines.microvolt_windows(rows([["C3", "C4"], ["C3", "Cz"]], [c3_c4, c3_cz]), None)
    with pytest.raises(ValueError, match=r"mixes montages \(\[2, 3\]\)"):
        baselines.microvolt_windows(Rows(channel_names=[["C3", "C4"], ["C3", "C4", "Cz"]], input_values=None), None)
