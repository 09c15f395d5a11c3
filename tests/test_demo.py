"""The main job, `neuript demo`, at its CI size (`--quick`): the same steps end to end on real EEG."""

import json
import os
import subprocess
import sys


def test_quick_demo_runs_end_to_end_and_writes_the_report(tmp_path, load_or_skip):
    from modeling_neuript.data.sources import load_face13

    load_or_skip(load_face13, "s01", preload=False)
    result = subprocess.run(
        [sys.executable, "-m", "modeling_neuript.cli", "demo", "--quick", "--output_dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=1800, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = tmp_path / "demo" / "report"
    for name in ("report.md", "results.json", "loss_curves.png", "confusion_matrices.png", "channel_importance_topomap.png"):
        assert (report / name).exists(), name
    results = json.loads((report / "results.json").read_text())
    methods = {row["method"] for row in results["table"]}
    assert methods == {"NeurIPT pretrained", "NeurIPT from scratch", "LogReg band power", "LogReg ERP waveform"}
    assert {row["split"] for row in results["table"]} == {"leave-one-subject-out", "within-subject"}
    for row in results["rows"]:
        assert 0.0 <= row["balanced_accuracy"] <= 1.0
    assert "| face_vs_house | leave-one-subject-out | NeurIPT pretrained |" in result.stdout
    print(result.stdout[-3000:])
