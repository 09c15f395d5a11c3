"""`neuript ablation`: arms that change one thing against the demo's own runs, on the demo's windows and seeds — an
arm that changes nothing must reproduce the demo's numbers exactly — and the data helpers it uses (recipe overrides
under a variant name, merging prepared folders)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from modeling_neuript.data.prepare import merge_prepared, prepare_recipe
from modeling_neuript.data.reading import load_prepared
from modeling_neuript.experiments.ablation import AblationArguments, load_arms, run_ablation

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "modeling_neuript.cli", *map(str, args)], capture_output=True,
                          text=True, env=ENV)


def test_an_unchanged_arm_reproduces_the_demo_and_a_changed_one_differs(tmp_path, quick_demo):
    demo_dir, demo = quick_demo
    assert demo.returncode == 0, demo.stderr[-4000:]
    arms = {"arms": {
        "unchanged": {"about": "nothing changes"},
        "lr_1e-4": {"training": {"learning_rate": 1e-4}, "about": "a tenth of the learning rate"},
        "scratch": {"init": "scratch", "compare_with": "unchanged"},
    }}
    (tmp_path / "arms.yaml").write_text(yaml.safe_dump(arms))
    out = tmp_path / "ablation"
    result = _cli("ablation", "--demo_dir", demo_dir, "--arms_file", tmp_path / "arms.yaml",
                  "--output_dir", out)
    assert result.returncode == 0, result.stderr[-4000:]

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    demo_rows = json.loads((demo_dir / "report" / "results.json").read_text())["rows"]
    ours = {(r["task"], r["split"], r["seed"]): r["balanced_accuracy"] for r in demo_rows
            if r["method"] == "NeurIPT pretrained"}
    assert len(ours) == 2  # quick demo: one task, two splits, one seed
    for arm in arms["arms"]:
        got = {(r["task"], r["split"], r["seed"]): r["balanced_accuracy"] for r in rows if r["arm"] == arm}
        assert set(got) == set(ours), arm
        if arm == "unchanged":  # the same jobs as the demo's: the same numbers, to the last digit
            assert got == ours
    changed = {(r["task"], r["split"]): r["cohen_kappa"] for r in rows if r["arm"] == "lr_1e-4"}
    unchanged = {(r["task"], r["split"]): r["cohen_kappa"] for r in rows if r["arm"] == "unchanged"}
    assert changed != unchanged

    report = (out / "report.md").read_text()
    assert "| recipe | the demo's own runs (the recipe) | 2 | 1 |" in report  # two folds, one seed
    line = next(l for l in report.splitlines() if l.startswith("| lr_1e-4 |"))
    mean = np.mean([r["balanced_accuracy"] for r in rows if r["arm"] == "lr_1e-4"])
    assert f"{mean:.3f}" in line and f"{mean - np.mean(list(ours.values())):+.3f}" in line
    assert "| unchanged | nothing changes | 2 | 1 |" in report and "| +0.000 |" in report

    results = demo_dir / "report" / "results.json"
    recorded = json.loads(results.read_text())
    assert recorded["recipe"]["learning_rate"] == 2e-3
    edited = {**recorded, "recipe": {**recorded["recipe"], "pooling_time_bins": 99}}
    results.write_text(json.dumps(edited))
    try:  # a demo made with another recipe is refused: the arms would change two things
        with pytest.raises(ValueError, match="another fine-tuning recipe \\(pooling_time_bins: 99 there"):
            run_ablation(AblationArguments(demo_dir=str(demo_dir), arms_file=str(tmp_path / "arms.yaml"),
                                           output_dir=str(out)))
    finally:
        results.write_text(json.dumps(recorded))

    again = _cli("ablation", "--demo_dir", demo_dir, "--arms_file", tmp_path / "arms.yaml",
                 "--output_dir", out)  # finished arms are kept, not rerun
    assert again.returncode == 0, again.stderr[-4000:]
    assert len((out / "results.jsonl").read_text().splitlines()) == len(rows)


def test_the_shipped_arms_each_change_one_declared_thing():
    spec = load_arms()
    allowed = {"init", "model", "finetune", "training", "data", "splits", "baselines", "compare_with", "about"}
    for name, arm in spec["arms"].items():
        assert set(arm) <= allowed, name
        assert arm.get("about"), name
        assert arm.get("compare_with", "recipe") in {"recipe", *spec["arms"]}, name
        assert arm.get("init", "pretrained") in {"pretrained", "scratch", "big_pretraining"}, name
    assert {"scratch", "layer_decay_0.75", "lr_1e-3", "epochs_40", "scratch_alaw_off", "window_0.5s",
            "big_pretraining"} <= set(spec["arms"])


def test_ablation_errors_name_the_problem_and_the_fix(tmp_path):
    with pytest.raises(ValueError, match="not a finished `neuript demo` folder.*neuript demo --output_dir"):
        run_ablation(AblationArguments(demo_dir=str(tmp_path), arms="scratch", output_dir=str(tmp_path / "a")))
    with pytest.raises(ValueError, match=r"Unknown arms \['nope'\]; the arms are \["):
        run_ablation(AblationArguments(demo_dir=str(tmp_path), arms="scratch,nope", output_dir=str(tmp_path / "a")))


def test_recipe_overrides_go_to_their_own_variant_and_merged_folders_add_up(tmp_path, eegmmidb_raw):
    sites = ["C3", "Cz", "C4"]
    keep = {"reject_artifacts": False}  # S001R02 peaks above 100 µV in every window
    plain = prepare_recipe("eegmmidb", sites, tmp_path, 2.0, limit_recordings=1, overrides={"cleaning": keep})
    other = prepare_recipe("eegmmidb", sites, tmp_path, 2.0, limit_recordings=1,
                           overrides={"cleaning": {**keep, "trim_minutes": 0}}, variant="copy")
    microvolts = prepare_recipe("eegmmidb", sites, tmp_path, 2.0, limit_recordings=1,
                                overrides={"cleaning": keep, "preprocessing": {"alaw_A": None}}, variant="uv")
    assert plain.name == "eegmmidb" and other.name == "eegmmidb-copy" and microvolts.name == "eegmmidb-uv"
    a, extractor_a, _ = load_prepared(plain)
    u, extractor_u, _ = load_prepared(microvolts)
    assert extractor_a.alaw_A == 0.25 and extractor_u.alaw_A is None
    assert np.abs(np.asarray(u[0]["input_values"])).max() > np.abs(np.asarray(a[0]["input_values"])).max()
    assert yaml.safe_load((tmp_path / "eegmmidb-uv.yaml").read_text())["preprocessing"] == {"alaw_A": None}

    merged = merge_prepared([plain, other], tmp_path / "merged")
    m, extractor_m, manifest = load_prepared(merged)
    b, _, _ = load_prepared(other)
    assert len(m) == len(a) + len(b) == manifest["windows"]
    np.testing.assert_array_equal(np.asarray(m[len(a)]["input_values"]), np.asarray(b[0]["input_values"]))
    assert extractor_m.to_dict() == extractor_a.to_dict()
    assert not list(tmp_path.glob(".merged*"))  # the staging folder was renamed into place

    with pytest.raises(ValueError, match="alaw_A = None.*prepare both with the same preprocessing"):
        merge_prepared([plain, microvolts], tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()
    with pytest.raises(ValueError, match="two prepared folders or more"):
        merge_prepared([plain], tmp_path / "one")
