"""The main job, `neuript demo`, at its CI size (`--quick`): the same steps end to end on real EEG, NeurIPT beside the
compact baselines on the same splits, and a report that reads right."""

import json

import numpy as np

from modeling_neuript.experiments import demo


def test_quick_demo_runs_end_to_end_and_writes_the_report(quick_demo):
    from modeling_neuript.training.baselines import BASELINES, available_baselines

    folder, result = quick_demo
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("NeurIPT demo (quick size): 1 task(s) (face_vs_house)")  # words, not a dict
    assert any(line.startswith("Estimated time on this machine now: about ") for line in lines[:8])
    report = folder / "report"
    for name in ("report.md", "results.json", "loss_curves.png", "confusion_matrices.png", "channel_importance_topomap.png"):
        assert (report / name).exists(), name
    results = json.loads((report / "results.json").read_text())
    methods = {row["method"] for row in results["table"]}
    assert methods == {"NeurIPT pretrained", "NeurIPT from scratch", *available_baselines(BASELINES)[0]}
    assert {row["split_kind"] for row in results["table"]} == {"leave one subject out", "within subject (time-ordered)"}
    for row in results["rows"]:
        assert 0.0 <= row["balanced_accuracy"] <= 1.0
    by_split = {}
    for row in results["rows"]:  # every method on the same split and seed: one row each
        by_split.setdefault((row["split"], row["seed"]), []).append(row["method"])
    assert all(sorted(names) == sorted(methods) for names in by_split.values())
    text = (report / "report.md").read_text()
    assert "| face_vs_house | leave one subject out | NeurIPT pretrained |" in result.stdout
    assert "time-ordered" in text and "Reproducibility:" in text and "best baseline" in text


def test_topomap_is_labelled_with_the_asked_sites_without_markers(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import image

    from modeling_neuript.electrodes_neuript import resolve_channel_positions

    sites = demo.SITES_8
    positions = resolve_channel_positions(sites)[0]
    captured = {}
    import matplotlib.pyplot as plt

    original = plt.Figure.savefig

    def keep(figure, *args, **kwargs):
        axis = figure.axes[0]
        captured["texts"] = [t.get_text() for t in axis.texts]
        captured["markers"] = [line for line in axis.lines if line.get_marker() == "."]
        captured["cmap"] = axis.images[0].get_cmap().name if axis.images else None
        captured["colorbar"] = figure.axes[1].get_ylabel()
        return original(figure, *args, **kwargs)

    plt.Figure.savefig = keep
    try:
        demo._plot_topomap(np.linspace(-1, 1, 8), positions, list(sites), "t", tmp_path / "map.png")
    finally:
        plt.Figure.savefig = original
    assert captured["texts"] == sites and not captured["markers"]
    assert captured["cmap"] == "RdBu_r" and "when the channel is masked" in captured["colorbar"]
    assert image.imread(tmp_path / "map.png").shape[0] > 100


def test_verdict_states_the_six_cell_claim_plainly():
    table = []
    for task, ours, logreg, eegnet in (("a", 0.8, 0.7, 0.6), ("b", 0.6, 0.9, 0.5)):
        for method, value in (("NeurIPT pretrained", ours), ("LogReg ERP waveform", logreg), ("EEGNet", eegnet)):
            table.append({"task": task, "split_kind": "within subject (time-ordered)", "method": method,
                          "balanced_accuracy": (value, 0.0)})
    text = demo._verdict(table, ["a", "b"])
    assert "reaches the best compact baseline on that average (EEGNet, 0.550)" in text
    assert "A logistic regression beats it in: b, within subject (time-ordered)." in text


def test_the_reports_reproduce_line_parses_back_to_the_same_run():
    """The report's `Reproduce:` command names every option that differs from its default, so running it repeats the
    run (seeds, sizes, sites) rather than the default one."""
    from modeling_neuript import cli

    parser, _ = cli.build_parser("demo")
    for args in (demo.DemoArguments(),
                 demo.DemoArguments(seeds=[0, 1, 2], output_dir="elsewhere", workers=1, scratch=False),
                 demo.DemoArguments(quick=True, tasks="face_vs_house", sites="all19", epochs=2.0)):
        line = demo.command_line(args)
        assert line.startswith("neuript demo")
        (parsed,) = parser.parse_args_into_dataclasses(line.split()[2:])
        assert parsed == args, line
