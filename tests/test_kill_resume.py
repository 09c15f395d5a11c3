"""Kill tests: `neuript pretrain` and `neuript finetune` are SIGKILLed in a subprocess after a checkpoint and a few
more steps, resumed, and must replay the uninterrupted run's per-step losses exactly (CPU). Also: a crash injected in
the middle of a Trainer checkpoint write leaves nothing Trainer would resume from."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from helpers import pretraining_history
from reliability_registry import count

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def neuript(*args) -> list:
    return [sys.executable, "-m", "modeling_neuript.cli", *[str(a) for a in args]]


def run_to_end(command: list) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def in_process(function, *args):
    """Run a training function in this process on one thread (as the subprocesses run), restoring the global torch
    settings it changes; saves a subprocess start (imports) per test."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    try:
        return function(*args)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def run_and_kill(command: list, ready) -> str:
    """Start `command`, SIGKILL it as soon as `ready(output_so_far)` is true; return the output. Fails if the run
    ends by itself first (the kill must interrupt training)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV)
    chunks = []
    reader = threading.Thread(target=lambda: [chunks.append(c.decode(errors="replace"))
                                              for c in iter(lambda: process.stdout.read1(4096), b"")], daemon=True)
    reader.start()
    try:
        while not ready("".join(chunks)):
            if process.poll() is not None:
                pytest.fail(f"the run ended (rc {process.returncode}) before the kill point:\n{''.join(chunks)[-3000:]}")
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
    return "".join(chunks)


# ----------------------------------------------------------------------------------------------------------------------
# neuript pretrain (Accelerate loop, atomic checkpoints)
# ----------------------------------------------------------------------------------------------------------------------


PRETRAIN = {"report_to": "none", "model": "neuript-tiny", "max_steps": 14, "save_steps": 4, "per_device_batch_size": 4,
            "logging_steps": 1000}


def pretrain_command(dataset, output_dir, *extra) -> list:
    options = [item for key, value in PRETRAIN.items() for item in (f"--{key}", value)]
    return neuript("pretrain", "--dataset", dataset, "--output_dir", output_dir, *options, "--progress_bar", "true",
                   *extra)


def test_sigkilled_pretraining_resumes_to_the_uninterrupted_losses(face13_tiny_pretraining, tmp_path):
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    straight, killed = tmp_path / "straight", tmp_path / "killed"
    in_process(pretrain, PretrainArguments(dataset=str(face13_tiny_pretraining), output_dir=str(straight),
                                           progress_bar=False, **PRETRAIN))

    def two_steps_past_the_first_checkpoint(output: str) -> bool:  # tqdm prints "pretrain: ... 6/14 [..."
        steps = [int(s) for s in re.findall(r"(\d+)/14 \[", output)]
        return bool(steps) and max(steps) >= 6 and (killed / "checkpoints" / "checkpoint_0000004").is_dir()

    run_and_kill(pretrain_command(face13_tiny_pretraining, killed), two_steps_past_the_first_checkpoint)
    assert not (killed / "model").exists()
    complete = sorted(p.name for p in (killed / "checkpoints").iterdir() if not p.name.startswith("."))
    assert complete and all(re.fullmatch(r"checkpoint_\d{7}", name) for name in complete)
    run_to_end(pretrain_command(face13_tiny_pretraining, killed, "--resume", "true"))

    reference, resumed = pretraining_history(straight), pretraining_history(killed)
    assert [h["step"] for h in resumed] == list(range(1, 15))
    assert [h["loss"] for h in resumed] == [h["loss"] for h in reference]  # bit-identical on CPU
    assert [h["lr"] for h in resumed] == [h["lr"] for h in reference]
    from safetensors.torch import load_file

    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(killed / "model" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    count("kills")


# ----------------------------------------------------------------------------------------------------------------------
# neuript finetune (Trainer, atomic checkpoints, resume_from_checkpoint)
# ----------------------------------------------------------------------------------------------------------------------


def finetune_command(dataset, output_dir, *extra) -> list:
    return neuript("finetune", "--dataset", dataset, "--task", "face_vs_house", "--split", "within:s01",
                   "--model", "neuript-tiny", "--output_dir", output_dir, "--max_steps", 12,
                   "--save_strategy", "steps", "--save_steps", 4, "--eval_strategy", "steps", "--eval_steps", 4,
                   "--save_total_limit", 5, "--logging_steps", 1, "--per_device_train_batch_size", 8,
                   "--per_device_eval_batch_size", 64, "--train_fraction", 0.3, "--disable_tqdm", "true", *extra)


def step_losses(log_history: list) -> list:
    return [(h["step"], h["loss"]) for h in log_history if "loss" in h]


def test_sigkilled_finetuning_resumes_to_the_uninterrupted_losses(face13_tiny_events, tmp_path):
    from modeling_neuript.cli import main

    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert in_process(main, finetune_command(face13_tiny_events, straight)[3:]) == 0

    def two_steps_past_the_first_checkpoint(output: str) -> bool:  # PrinterCallback prints one dict per logged step
        return output.count("'loss'") >= 6 and (killed / "checkpoint-4").is_dir()

    run_and_kill(finetune_command(face13_tiny_events, killed), two_steps_past_the_first_checkpoint)
    assert not (killed / "model").exists()
    assert not [p for p in killed.iterdir() if p.name.startswith("checkpoint-") and not (p / "trainer_state.json").exists()]
    run_to_end(finetune_command(face13_tiny_events, killed, "--resume_from_checkpoint", "last"))

    reference = step_losses(json.loads((straight / "log_history.json").read_text()))
    resumed = step_losses(json.loads((killed / "log_history.json").read_text()))
    assert [s for s, _ in reference] == list(range(1, 13))
    assert resumed == reference  # every step's loss, bit-identical on CPU
    from safetensors.torch import load_file

    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(killed / "model" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    count("kills")


def test_a_crash_in_the_middle_of_a_trainer_checkpoint_leaves_no_checkpoint_to_resume(face13_tiny_events, tmp_path):
    """The model and optimizer are written, then the process 'dies' while saving the RNG state: no `checkpoint-N`
    exists, `get_last_checkpoint` finds the previous one, and the next save clears the staging leftovers."""
    from transformers.trainer_utils import get_last_checkpoint

    from modeling_neuript.training.finetune import (
        AtomicCheckpointTrainer,
        FinetuneArguments,
        FinetuneTrainingArguments,
        finetune,
    )

    class Crash(RuntimeError):
        pass

    original = AtomicCheckpointTrainer._save_rng_state

    def dying_save_rng_state(self, output_dir):
        if self.state.global_step == 4:
            assert (Path(output_dir) / "model.safetensors").exists() and (Path(output_dir) / "optimizer.pt").exists()
            raise Crash("simulated power cut while writing checkpoint-4")
        return original(self, output_dir)

    output = tmp_path / "run"
    arguments = FinetuneArguments(dataset=str(face13_tiny_events), task="face_vs_house", split="within:s01",
                                  train_fraction=0.3)
    training = FinetuneTrainingArguments(output_dir=str(output), max_steps=6, save_strategy="steps", save_steps=2,
                                         eval_strategy="steps", eval_steps=2, logging_steps=1, disable_tqdm=True,
                                         per_device_train_batch_size=8, save_total_limit=5)
    AtomicCheckpointTrainer._save_rng_state = dying_save_rng_state
    try:
        with pytest.raises(Crash):
            finetune(arguments, training)
    finally:
        AtomicCheckpointTrainer._save_rng_state = original
    assert not (output / "checkpoint-4").exists()
    assert (output / ".staging-checkpoint-4" / "checkpoint-4" / "model.safetensors").exists()  # the half-written one
    assert get_last_checkpoint(str(output)) == str(output / "checkpoint-2")
    assert {"model.safetensors", "optimizer.pt", "preprocessor_config.json", "rng_state.pth", "scheduler.pt",
            "trainer_state.json"} <= {p.name for p in (output / "checkpoint-2").iterdir()}

    training.resume_from_checkpoint = "last"
    finetune(arguments, training)  # resumes from checkpoint-2 and rewrites checkpoint-4 atomically
    assert sorted(p.name for p in output.iterdir() if "checkpoint" in p.name) == [
        "checkpoint-2", "checkpoint-4", "checkpoint-6"]
    state = json.loads((output / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    best = state["best_model_checkpoint"]
    assert best is None or (Path(best).parent == output and Path(best).is_dir())
