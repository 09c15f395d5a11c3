"""Checkpoints are what they claim (issue 21, "Checkpoints and configs"): a folder without model.safetensors never
becomes a random model anywhere, damaged or NaN weights are refused (with the package and with remote code alone),
the extractor's and the model's configs are cross-checked, settings edited into config.json after saving are refused,
`neuript pretrain` rotates and resumes only its own run, and config mistakes and a full disk are clear errors."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from helpers import tiny_config
from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification, NeurIPTModel
from modeling_neuript.checkpoint_neuript import CheckpointError
from modeling_neuript.training.checkpoints import save_checkpoint

POSITIONS = torch.tensor([[0.03, 0.05, 0.05], [-0.03, 0.05, 0.05], [0.03, -0.05, 0.05], [-0.03, -0.05, 0.05]])


def small_config(**overrides):
    return tiny_config(num_hidden_layers=3, merge_factors=[1, 4, 2], num_experts_per_layer=[0, 2, 4],
                       window_seconds=1.0, num_labels=2, **overrides)


@pytest.fixture(scope="module")
def classifier_folder(tmp_path_factory):
    torch.manual_seed(0)
    model = NeurIPTForSequenceClassification(small_config()).eval()
    return save_checkpoint(model, NeurIPTFeatureExtractor(window_seconds=1.0), tmp_path_factory.mktemp("ck") / "ck")


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    return target


def encoder_outputs(model, seed=0):
    torch.manual_seed(seed)
    with torch.no_grad():
        return model(torch.randn(2, 4, 64), POSITIONS).last_hidden_state


# ----------------------------------------------------------------------------------------------------------------------
# Sharded and weightless folders
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sharded_folder(classifier_folder, tmp_path_factory):
    """The same classifier saved in shards (no model.safetensors, a model.safetensors.index.json)."""
    model = NeurIPTForSequenceClassification.from_pretrained(classifier_folder)
    folder = tmp_path_factory.mktemp("sharded") / "ck"
    model.save_pretrained(folder, max_shard_size="100KB")
    NeurIPTFeatureExtractor(window_seconds=1.0).save_pretrained(folder)
    return folder


def test_a_sharded_save_loads_the_same_weights_everywhere(classifier_folder, sharded_folder):
    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder
    from modeling_neuript.training.factory import build_classifier

    assert not (sharded_folder / "model.safetensors").exists() and len(list(sharded_folder.glob("*.safetensors"))) > 1
    reference = NeurIPTModel.from_pretrained(classifier_folder).eval()
    expected = encoder_outputs(reference)
    torch.testing.assert_close(encoder_outputs(NeurIPTModel.from_pretrained(sharded_folder).eval()), expected)
    classifier = build_classifier(str(sharded_folder), 2, {0: "a", 1: "b"}).eval()
    torch.testing.assert_close(encoder_outputs(classifier.neuript), expected)
    embedder = NeurIPTEmbedder(str(sharded_folder), channel_positions=POSITIONS.numpy(), input_units="uV")
    encoder, _ = embedder._load_encoder()
    torch.testing.assert_close(encoder_outputs(encoder.cpu()), expected)


def test_a_folder_without_weights_or_config_is_refused_by_every_loader(classifier_folder, tmp_path):
    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder
    from modeling_neuript.training.factory import build_classifier

    weightless = copy_of(classifier_folder, tmp_path)
    (weightless / "model.safetensors").unlink()
    for load in (
        lambda: NeurIPTModel.from_pretrained(weightless),
        lambda: build_classifier(str(weightless), 2, {0: "a", 1: "b"}),
        lambda: NeurIPTEmbedder(str(weightless), channel_positions=POSITIONS.numpy())._load_encoder(),
    ):
        with pytest.raises(ValueError, match="holds no weights.*Refusing to build a randomly initialised model"):
            load()
    no_config = tmp_path / "no_config"
    shutil.copytree(classifier_folder, no_config)
    (no_config / "config.json").unlink()
    for load in (
        lambda: NeurIPTForSequenceClassification.from_pretrained(no_config),
        lambda: build_classifier(str(no_config), 2, {0: "a", 1: "b"}),
        lambda: NeurIPTEmbedder(str(no_config), channel_positions=POSITIONS.numpy())._load_encoder(),
    ):
        with pytest.raises(ValueError, match="has no config.json"):
            load()


def test_a_missing_shard_is_named(sharded_folder, tmp_path):
    broken = copy_of(sharded_folder, tmp_path)
    shard = sorted(broken.glob("model-*.safetensors"))[0]
    shard.unlink()
    with pytest.raises(ValueError, match=f"lists \\['{shard.name}'\\], which are missing"):
        NeurIPTModel.from_pretrained(broken)


def test_the_braindecode_adapter_loads_through_from_pretrained(classifier_folder, tmp_path):
    from modeling_neuript.interop.braindecode_support import import_braindecode

    import_braindecode(allow_torchaudio_stand_in=True)  # braindecode imports torchaudio; none may match this torch
    from modeling_neuript.interop.braindecode_model import _load_classifier

    reference = NeurIPTForSequenceClassification.from_pretrained(classifier_folder)
    three = _load_classifier(str(classifier_folder), 3)  # other labels: backbone kept, a new head
    assert three.classifier.out_features == 3
    torch.testing.assert_close(encoder_outputs(three.neuript.eval()), encoder_outputs(reference.neuript.eval()))
    two = _load_classifier(str(classifier_folder), 2)
    assert torch.equal(two.classifier.weight, reference.classifier.weight)
    weightless = copy_of(classifier_folder, tmp_path)
    (weightless / "model.safetensors").unlink()
    with pytest.raises(ValueError, match="holds no weights"):
        _load_classifier(str(weightless), 2)


# ----------------------------------------------------------------------------------------------------------------------
# Corrupted weights
# ----------------------------------------------------------------------------------------------------------------------


def flip_bytes_in_tensor_data(folder: Path) -> None:
    path = folder / "model.safetensors"
    raw = bytearray(path.read_bytes())
    length = int.from_bytes(raw[:8], "little")
    position = 8 + length + (len(raw) - 8 - length) // 2  # the middle of the tensor data
    raw[position : position + 4] = bytes(b ^ 0xFF for b in raw[position : position + 4])
    path.write_bytes(bytes(raw))


def nan_in_one_expert(folder: Path) -> None:
    """Rewrite the weights with one NaN in an expert, the way another tool would (no NeurIPT seal)."""
    weights = load_file(folder / "model.safetensors")
    name = next(k for k in weights if "experts.down_proj" in k)
    weights[name][1, 0, 0] = float("nan")
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})


def test_flipped_bytes_are_refused_before_loading(classifier_folder, tmp_path):
    damaged = copy_of(classifier_folder, tmp_path)
    flip_bytes_in_tensor_data(damaged)
    with pytest.raises(CheckpointError, match="is corrupted.*no longer match the SHA-256 written at save time"):
        NeurIPTForSequenceClassification.from_pretrained(damaged)


def test_a_nan_in_one_expert_is_refused(classifier_folder, tmp_path):
    damaged = copy_of(classifier_folder, tmp_path)
    nan_in_one_expert(damaged)
    with pytest.raises(CheckpointError, match=r"NaN or infinite values in 1 tensor.*experts\.down_proj"):
        NeurIPTForSequenceClassification.from_pretrained(damaged)
    # the same NaN saved by our own save_pretrained (a sealed file: training diverged) is refused too
    model = NeurIPTForSequenceClassification(small_config())
    with torch.no_grad():
        next(p for n, p in model.named_parameters() if "experts.down_proj" in n)[0, 0, 0] = float("inf")
    model.save_pretrained(tmp_path / "diverged")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        NeurIPTForSequenceClassification.from_pretrained(tmp_path / "diverged")


def test_every_save_seals_its_weights_and_the_seal_is_what_a_load_checks(classifier_folder):
    from modeling_neuript.checkpoint_neuript import SEAL_KEY, SETTINGS_KEY, read_header, verify_weights

    _, header = read_header(str(classifier_folder / "model.safetensors"))
    metadata = header["__metadata__"]
    assert metadata["format"] == "pt" and len(metadata[SEAL_KEY]) == 64
    settings = json.loads(metadata[SETTINGS_KEY])
    assert settings["position_grid_size"] == 50 and settings["window_seconds"] == 1.0
    assert settings["lobe_grouping"] == "functional"  # a classifier: its head's settings are sealed too
    assert "hidden_dropout_prob" not in settings  # training-only settings may change freely
    assert verify_weights(str(classifier_folder / "model.safetensors")) == settings
    reloaded = load_file(classifier_folder / "model.safetensors")  # still a plain safetensors file
    assert reloaded["classifier.weight"].shape == (2, 960)


DAMAGED_FOR_REMOTE_CODE = textwrap.dedent(
    """
    import sys
    sys.modules["modeling_neuript"] = None
    from transformers import AutoModel
    for folder in sys.argv[1:]:
        try:
            AutoModel.from_pretrained(folder, trust_remote_code=True)
        except ValueError as error:
            print("REFUSED", type(error).__name__, str(error).replace(chr(10), " "))
        else:
            print("LOADED", folder)
    """
)


def test_remote_code_alone_refuses_damaged_weights_and_edited_configs(classifier_folder, tmp_path):
    flipped, nan, edited = (tmp_path / name for name in ("flipped", "nan", "edited"))
    for folder in (flipped, nan, edited):
        shutil.copytree(classifier_folder, folder)
    flip_bytes_in_tensor_data(flipped)
    nan_in_one_expert(nan)
    config = json.loads((edited / "config.json").read_text())
    (edited / "config.json").write_text(json.dumps({**config, "position_grid_size": 100}))
    (tmp_path / "run.py").write_text(DAMAGED_FOR_REMOTE_CODE)
    result = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(flipped), str(nan), str(edited)],
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules"), "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("REFUSED CheckpointError") for line in lines), lines
    assert "SHA-256" in lines[0] and "NaN or infinite" in lines[1] and "position_grid_size: saved 50" in lines[2]


# ----------------------------------------------------------------------------------------------------------------------
# Settings and the extractor
# ----------------------------------------------------------------------------------------------------------------------


def test_an_output_setting_edited_into_config_json_is_refused_and_a_deliberate_one_is_reported(
    classifier_folder, tmp_path, caplog
):
    edited = copy_of(classifier_folder, tmp_path)
    config = json.loads((edited / "config.json").read_text())
    (edited / "config.json").write_text(json.dumps({**config, "position_grid_size": 100}))
    with pytest.raises(CheckpointError, match=r"position_grid_size: saved 50, config.json 100.*Restore "
                                              r"position_grid_size=50 in config.json"):
        NeurIPTModel.from_pretrained(edited)
    restored = NeurIPTModel.from_pretrained(edited, position_grid_size=50)  # the fix the message names
    torch.testing.assert_close(encoder_outputs(restored), encoder_outputs(NeurIPTModel.from_pretrained(classifier_folder)))
    with caplog.at_level("WARNING"):
        changed = NeurIPTModel.from_pretrained(classifier_folder, position_grid_size=100)
    assert changed.config.position_grid_size == 100
    assert "settings changed on purpose: position_grid_size 50 -> 100" in caplog.text
    assert "Its outputs differ from the saved model's" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):  # the input contract alone: same computation, the extractor must follow
        retimed = NeurIPTModel.from_pretrained(classifier_folder, window_seconds=2 * config["window_seconds"])
    assert f"window_seconds {config['window_seconds']!r} -> {2 * config['window_seconds']!r}" in caplog.text and "the weights compute as before" in caplog.text
    torch.testing.assert_close(encoder_outputs(retimed), encoder_outputs(NeurIPTModel.from_pretrained(classifier_folder)),
                               rtol=0, atol=0)
    # a training-only setting is free to change
    (edited / "config.json").write_text(json.dumps({**config, "hidden_dropout_prob": 0.3}))
    assert NeurIPTModel.from_pretrained(edited).config.hidden_dropout_prob == 0.3


@pytest.mark.parametrize("change", [{"sampling_rate": 128}, {"window_seconds": 2.0}, {"position_bounds": [-0.2, 0.2]}])
def test_an_extractor_that_does_not_match_the_model_is_refused_on_load_and_in_the_pipeline(
    classifier_folder, tmp_path, change
):
    from transformers import pipeline

    (name, value), = change.items()
    mismatched = copy_of(classifier_folder, tmp_path)
    settings = json.loads((mismatched / "preprocessor_config.json").read_text())
    (mismatched / "preprocessor_config.json").write_text(json.dumps({**settings, name: value}))
    with pytest.raises(CheckpointError, match=f"does not produce the inputs the model was trained on: {name}"):
        NeurIPTForSequenceClassification.from_pretrained(mismatched)
    extractor = NeurIPTFeatureExtractor(**{"window_seconds": 1.0, **change})
    classify = pipeline("eeg-classification", model=str(classifier_folder), feature_extractor=extractor,
                        trust_remote_code=True)
    signal = np.random.default_rng(0).normal(scale=2e-5, size=(4, 256 * 4))
    # (the pipeline runs the checkpoint's own code: its CheckpointError class is that module's, a ValueError)
    with pytest.raises(ValueError, match=f"{name} .*NeurIPTFeatureExtractor\\(sampling_rate=64, window_seconds=1.0\\)"):
        classify(signal, channel_names=["F3", "F4", "O1", "O2"], sampling_rate=256)


def test_config_mistakes_are_clear_errors():
    with pytest.raises(ValueError, match="num_attention_heads must be a positive integer"):
        tiny_config(num_attention_heads=0)
    from modeling_neuript import NeurIPTConfig

    with pytest.raises(ValueError, match="num_attention_heads must be a positive integer"):
        NeurIPTConfig(num_attention_heads=0)
    with pytest.raises(ValueError, match="notch_quality must be a positive quality factor"):
        NeurIPTFeatureExtractor(notch_quality=0)


def test_a_head_of_another_size_needs_ignore_mismatched_sizes(classifier_folder):
    with pytest.raises(CheckpointError, match="Pass ignore_mismatched_sizes=True to replace the head"):
        NeurIPTForSequenceClassification.from_pretrained(classifier_folder, num_labels=3)
    reference = NeurIPTForSequenceClassification.from_pretrained(classifier_folder)
    model = NeurIPTForSequenceClassification.from_pretrained(classifier_folder, num_labels=3,
                                                             ignore_mismatched_sizes=True)
    assert model.classifier.out_features == 3 and model.config.num_labels == 3
    state, saved = model.state_dict(), reference.state_dict()
    assert all(torch.equal(state[k], saved[k]) for k in state if not k.startswith("classifier."))
    # ignore_mismatched_sizes never lets a backbone of another shape through
    with pytest.raises(CheckpointError, match="ignore_mismatched_sizes=True only replaces the task head"):
        NeurIPTModel.from_pretrained(classifier_folder, expert_intermediate_size=40, ignore_mismatched_sizes=True)


# ----------------------------------------------------------------------------------------------------------------------
# neuript pretrain: rotation, resume, disk full
# ----------------------------------------------------------------------------------------------------------------------


def pretrain_arguments(dataset, output_dir, **changes):
    from modeling_neuript.training.pretrain import PretrainArguments

    config = Path(output_dir).parent / "small.json"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        tiny_config(num_hidden_layers=2, merge_factors=[1, 2], num_experts_per_layer=[0, 2]).to_json_file(config)
    settings = dict(dataset=str(dataset), output_dir=str(output_dir), model=str(config), max_steps=4,
                    per_device_batch_size=2, save_steps=1, save_total_limit=2, report_to="none", progress_bar=False,
                    deterministic=False)
    return PretrainArguments(**{**settings, **changes})


def run(arguments):
    from modeling_neuript.training.pretrain import pretrain

    threads = torch.get_num_threads()
    try:
        return pretrain(arguments)
    finally:
        torch.set_num_threads(threads)


def test_a_fresh_run_into_a_used_folder_keeps_its_own_checkpoints_and_sets_the_old_ones_aside(
    face13_tiny_events, tmp_path
):
    from modeling_neuript.training.pretrain import checkpoints

    output = tmp_path / "run"
    run(pretrain_arguments(face13_tiny_events, output, max_steps=4))  # the earlier run: checkpoints 3 and 4
    earlier = {p.name: json.loads((p / "progress.json").read_text())["run_id"] for p in checkpoints(output)}
    assert sorted(earlier) == ["checkpoint_0000003", "checkpoint_0000004"]
    run(pretrain_arguments(face13_tiny_events, output, max_steps=2))  # a fresh run: 1 and 2 must survive rotation
    assert [p.name for p in checkpoints(output)] == ["checkpoint_0000001", "checkpoint_0000002"]
    (aside,) = (output / "checkpoints").glob("previous-*")
    assert sorted(p.name for p in aside.iterdir()) == sorted(earlier)  # moved untouched, nothing deleted
    assert aside.name == f"previous-{set(earlier.values()).pop()}"
    new_ids = {json.loads((p / "progress.json").read_text())["run_id"] for p in checkpoints(output)}
    assert len(new_ids) == 1 and new_ids.isdisjoint(earlier.values())


def test_resume_with_another_max_steps_is_refused_with_the_fix(face13_tiny_events, tmp_path):
    output = tmp_path / "run"
    run(pretrain_arguments(face13_tiny_events, output, max_steps=2))
    with pytest.raises(ValueError, match=r"Cannot resume .*checkpoint_0000002 with --max_steps 5 \(the run: 2\).*"
                                         r"Resume with --max_steps 2, or start a new run from this checkpoint's model"):
        run(pretrain_arguments(face13_tiny_events, output, max_steps=5, resume=True))


def test_a_kill_during_rotation_never_leaves_a_partial_checkpoint_under_its_name(tmp_path, monkeypatch):
    from modeling_neuript.training import pretrain

    folder = tmp_path / "checkpoints"
    for step in (1, 2):
        (folder / f"checkpoint_{step:07d}" / "hf").mkdir(parents=True)
        (folder / f"checkpoint_{step:07d}" / "progress.json").write_text("{}")

    def killed_rmtree(path, ignore_errors=False):  # deletes one file, then the process dies
        next(Path(path).rglob("*.json")).unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(pretrain.shutil, "rmtree", killed_rmtree)
    with pytest.raises(KeyboardInterrupt):
        pretrain.remove_checkpoint(folder / "checkpoint_0000001")
    assert [p.name for p in pretrain.checkpoints(tmp_path)] == ["checkpoint_0000002"]
    assert (folder / ".deleting-checkpoint_0000001").exists()  # the remains carry no checkpoint name


def test_a_full_disk_during_a_checkpoint_is_reported_as_such(face13_tiny_events, tmp_path, monkeypatch):
    import accelerate

    def full_disk(self, output_dir, **kwargs):
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / "optimizer.bin").write_bytes(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 1536 vs 1460")

    monkeypatch.setattr(accelerate.Accelerator, "save_state", full_disk)
    output = tmp_path / "run"
    with pytest.raises(OSError, match=r"Writing checkpoint checkpoint_0000001 failed because the disk holding "
                                      rf"{output / 'checkpoints'} is full .*inline_container.cc:672.*Free some space "
                                      r"or use another --output_dir; no complete checkpoint was written yet"):
        run(pretrain_arguments(face13_tiny_events, output, max_steps=2))
    assert not list((output / "checkpoints").iterdir())  # the partial checkpoint is gone, its space given back
