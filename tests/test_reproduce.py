"""`neuript reproduce`: the shared kit (recipes, fixed splits, tables, command line) and the `--quick` run of every
registered experiment on real Face13 windows."""

import importlib.util
import json

import numpy as np
import pytest

from modeling_neuript.experiments import common
from modeling_neuript.experiments.reproduce import EXPERIMENTS, ReproduceArguments, command_line, run_experiment

OURS = ("aamp_vs_random", "pretrained_vs_scratch", "pictures")  # written with the kit; must exist
OTHERS = tuple(name for name in EXPERIMENTS if name not in OURS)


def test_cli_maps_the_positional_name_and_parses_seeds():
    from transformers import HfArgumentParser

    from modeling_neuript.cli import POSITIONAL

    parser = HfArgumentParser(ReproduceArguments)
    (args,) = parser.parse_args_into_dataclasses([f"--{POSITIONAL['reproduce']}", "pooling", "--quick", "--seeds", "3", "4"])
    assert (args.experiment, args.quick, args.full, args.seeds) == ("pooling", True, False, [3, 4])
    assert ReproduceArguments(experiment="x").seeds == [0, 1, 2]
    assert command_line(args) == "neuript reproduce pooling --quick --seeds 3 4"


def test_recipe_merges_size_preset_recipe_and_size_section():
    quick = common.load_recipe(ReproduceArguments(experiment="aamp_vs_random", quick=True, seeds=[0]))
    default = common.load_recipe(ReproduceArguments(experiment="aamp_vs_random"))
    assert quick["size"] == "quick" and quick["sweep_ratios"] == [0.5] and quick["splits"] == ["loso:s02"]
    assert quick["pretrain_steps"] == common.SIZES["quick"]["pretrain_steps"]
    assert default["sweep_ratios"] == [0.3, 0.5, 0.7] and default["seeds"] == [0, 1, 2]
    with pytest.raises(ValueError, match="exclude each other"):
        common.load_recipe(ReproduceArguments(experiment="aamp_vs_random", quick=True, full=True))
    with pytest.raises(ValueError, match="No recipe"):
        common.load_recipe(ReproduceArguments(experiment="no_such_experiment"))


def test_unknown_experiment_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown experiment 'nope'"):
        run_experiment(ReproduceArguments(experiment="nope", output_dir=str(tmp_path)))


def test_summary_table_is_mean_and_population_std_over_runs():
    rows = [{"method": "a", "balanced_accuracy": v} for v in (0.5, 0.6, 0.7)] + [{"method": "b", "balanced_accuracy": 0.9}]
    table = common.summarise(rows, by=["method"], metrics=["balanced_accuracy"])
    assert table[0]["method"] == "a" and table[0]["runs"] == 3
    np.testing.assert_allclose(table[0]["balanced_accuracy"][:2], (0.6, np.std([0.5, 0.6, 0.7])))
    text = common.markdown_table(table, by=["method"], metrics=["balanced_accuracy"])
    assert "| a | 0.600 ± 0.082 | 3 |" in text and "| b | 0.900 ± 0.000 | 1 |" in text


def test_linear_probe_separates_separable_features_and_refuses_unlabelled_windows():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    x = rng.normal(size=(80, 5)) + 6.0 * y[:, None]
    result = common.linear_probe(x[::2], y[::2], x[1::2], y[1::2], C=1.0)
    assert result["balanced_accuracy"] == 1.0 and result["roc_auc"] == 1.0
    with pytest.raises(ValueError, match="labelled -1"):
        common.linear_probe(x, np.where(y == 0, -1, 1), x, y)


@pytest.fixture(scope="module")
def reproduce_cache(tmp_path_factory, load_or_skip):
    from modeling_neuript.data.sources import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    return tmp_path_factory.mktemp("reproduce-cache")


def test_fixed_split_manifest_matches_prepared_windows_and_rejects_others(reproduce_cache, tmp_path):
    events = common.prepare_face13(reproduce_cache, common.SITES_8)
    split = common.load_split("loso:s02", events)
    from modeling_neuript.data.reading import load_prepared

    dataset, _, _ = load_prepared(events)
    subjects = np.asarray(dataset["subject"])
    assert set(subjects[split["test"]]) == {"s02"} and set(subjects[split["train"]]) == {"s01"}
    # every event-locked window of the held-out subject (its three contrasts), every window of the other for training
    assert len(split["test"]) == 1596 and len(split["train"]) + len(split["validation"]) == 1580
    from modeling_neuript.resources import resource_path

    manifest = json.loads(resource_path("configuration", "reproduce/splits/face13.json").read_text())
    manifest["num_windows"] += 1
    (tmp_path / "other.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="does not hold the windows"):
        common.load_split("loso:s02", events, tmp_path / "other.json")
    with pytest.raises(ValueError, match="is not in"):
        common.load_split("loso:s03", events)


def _quick(name, cache, tmp_path):
    args = ReproduceArguments(experiment=name, quick=True, seeds=[0], output_dir=str(tmp_path / "results"),
                              cache_dir=str(cache))
    result = run_experiment(args)
    out = tmp_path / "results"
    for suffix in (".md", ".json", ".png"):
        assert (out / f"{name}{suffix}").exists(), f"{name}{suffix}"
    report = (out / f"{name}.md").read_text()
    assert f"`neuript reproduce {name} --quick --seeds 0" in report
    payload = json.loads((out / f"{name}.json").read_text())
    assert payload["rows"] and payload["size"] == "quick"
    for row in payload["rows"]:
        for metric in ("balanced_accuracy", "roc_auc"):
            if metric in row:
                assert 0.0 <= row[metric] <= 1.0, row
    return result, payload


@pytest.mark.slow
@pytest.mark.parametrize("name", OURS)
def test_quick_run_of_our_experiments(name, reproduce_cache, tmp_path):
    assert importlib.util.find_spec(f"modeling_neuript.experiments.{name}") is not None
    _, payload = _quick(name, reproduce_cache, tmp_path)
    ours = [row for row in payload["rows"] if not row.get("baseline")]
    baselines = [row for row in payload["rows"] if row.get("baseline")]
    if name == "aamp_vs_random":
        arms = {row["method"] for row in ours}
        assert {"AAMP 50 %", "random 50 %", "no pretraining"} <= arms
    if name == "pretrained_vs_scratch":
        assert {row["init"] for row in ours} == {"pretrained", "scratch"}
        assert {row["label_fraction"] for row in ours} == {0.1, 1.0}
        assert {row["label_fraction"] for row in baselines} == {"0.1", "1"}  # baselines at every label fraction
    from modeling_neuript.training.baselines import FAST_BASELINES

    assert set(FAST_BASELINES) <= {row["method"] for row in baselines}  # same run, same windows
    assert "Compact baselines on the same windows" in (tmp_path / "results" / f"{name}.md").read_text()


def test_every_registered_experiment_has_its_quick_run_in_the_suite():
    """The quick runs of experts / pooling / positions live in tests/test_reproduce_b.py (with their own checks);
    nothing registered goes untested and nothing runs twice."""
    assert set(OTHERS) == {"experts", "pooling", "positions"}
    for name in EXPERIMENTS:
        assert importlib.util.find_spec(f"modeling_neuript.experiments.{name}") is not None
