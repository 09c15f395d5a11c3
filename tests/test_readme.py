"""Every code block of the README runs as written: a newcomer copies them one after the other. The test runs each
python and bash block, in README order, in one empty folder holding the two files the blocks name (`my_recording.edf`
and `new.edf`: a real EEGMMIDB recording), so later blocks use what earlier ones wrote (`data/`, `runs/`), exactly
as for a user. The Quick start block is CI's own job (`.ci/run` runs it and `test_package` checks it is verbatim).

Where a block is sized for a real run, the test shrinks it with the substitutions in SMALL — epochs, steps and seeds,
never a path, a name or an argument's meaning — and checks that each still occurs in the README, so the list cannot
drift from the text it edits."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from helpers import REPO

# README text → what the test runs instead: fewer steps, epochs and seeds; the same commands.
SMALL = {
    "--max_steps 400": "--max_steps 2 --per_device_batch_size 4 --save_steps 2",
    "--num_train_epochs 20": "--num_train_epochs 1 --baselines none",
    "--output_dir runs/benchmark": "--output_dir runs/benchmark --seeds 0 --num_train_epochs 1 --baselines fast",
    "num_train_epochs=20": "num_train_epochs=1",
    "max_epochs=10": "max_epochs=1",
}


def readme_blocks() -> list[tuple[str, str, str]]:
    """`(heading, language, code)` of every fenced python/bash block, in order."""
    text = (REPO / "README.md").read_text()
    blocks, heading = [], ""
    for match in re.finditer(r"^(#{1,4} [^\n]*)$|^```(\w*)\n(.*?)^```", text, re.M | re.S):
        if match.group(1):
            heading = match.group(1).lstrip("# ").strip()
        else:
            blocks.append((heading, match.group(2), match.group(3)))
    return blocks


def test_every_block_is_python_or_bash_and_the_substitutions_still_apply():
    blocks = readme_blocks()
    assert len(blocks) >= 8, [heading for heading, _, _ in blocks]
    assert {language for _, language, _ in blocks} <= {"python", "bash"}, "a block without a runnable language"
    code = "\n".join(code for _, _, code in blocks)
    assert [original for original in SMALL if original not in code] == []


@pytest.fixture
def sandbox(tmp_path, edf_path):
    for name in ("my_recording.edf", "new.edf"):
        shutil.copy(edf_path, tmp_path / name)
    return tmp_path


def test_every_readme_code_block_runs_as_written(sandbox):
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "HF_MODULES_CACHE": str(sandbox / ".modules")}
    ran = []
    for index, (heading, language, code) in enumerate(readme_blocks()):
        if heading.startswith("Quick start"):
            continue
        for original, small in SMALL.items():
            code = code.replace(original, small)
        command = [sys.executable, "-c", code] if language == "python" else ["bash", "-euo", "pipefail", "-c", code]
        began = time.perf_counter()
        result = subprocess.run(command, cwd=sandbox, env=environment, capture_output=True, text=True)
        assert result.returncode == 0, (
            f"README block {index} (under {heading!r}) failed:\n{code}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
        ran.append((heading, round(time.perf_counter() - began)))
    headings = [heading for heading, _ in ran]
    assert "Use the model" in headings and "Loading without this package" in headings, ran
    # what the blocks promise to leave behind
    assert (sandbox / "runs" / "face-house" / "model" / "model.safetensors").is_file()
    assert (sandbox / "runs" / "trainer" / "model" / "preprocessor_config.json").is_file()
    assert (sandbox / "runs" / "benchmark" / "report.md").is_file()
    assert (sandbox / "runs" / "pt-ddp" / "model" / "model.safetensors").is_file()
