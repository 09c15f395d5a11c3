"""AAMP pretraining: the mask generator, the decoder head, `neuript prepare` and `neuript pretrain` on real EEG."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling_neuript import NeurIPTForPretraining, NeurIPTModel
from modeling_neuript.modeling_neuript import AmplitudeAwareMasking
from modeling_neuript.training.pretrain import PretrainArguments, pretrain
from helpers import pretraining_history, tiny_config

REPO = Path(__file__).resolve().parents[1]



# ----------------------------------------------------------------------------------------------------------------------
# The mask
# ----------------------------------------------------------------------------------------------------------------------


def reference_amplitude_mask(values: np.ndarray, ratios: list, seed: int) -> np.ndarray:
    """Brute force, one channel at a time, replaying the generator's draws in the documented order:
    the ratio index per sample, then ξ per (sample, channel)."""
    generator = torch.Generator().manual_seed(seed)
    batch, channels, time = values.shape
    ratio_index = torch.randint(len(ratios), (batch,), generator=generator).numpy()
    xi = torch.rand(batch, channels, generator=generator).numpy()
    mask = np.zeros(values.shape, dtype=bool)
    for b in range(batch):
        n = int(np.clip(round(ratios[ratio_index[b]] * time), 1, time - 1))
        for c in range(channels):
            sorted_points = sorted(range(time), key=lambda t: (values[b, c, t], t))
            start = min(max(int(np.round(xi[b, c] * time - n / 2)), 0), time - n)
            mask[b, c, sorted_points[start : start + n]] = True
    return mask


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    time=st.integers(8, 80),
    ratios=st.lists(st.sampled_from([0.2, 0.35, 0.5, 0.7]), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_amplitude_mask_matches_brute_force_reference(batch, channels, time, ratios, seed):
    masking = AmplitudeAwareMasking(tiny_config(mask_ratios=ratios))
    values = torch.randn(batch, channels, time, generator=torch.Generator().manual_seed(seed + 1))
    mask, _ = masking(values, generator=torch.Generator().manual_seed(seed))
    expected = reference_amplitude_mask(values.numpy(), ratios, seed)
    assert np.array_equal(mask.numpy(), expected)


def test_masked_fraction_is_the_ratio_within_one_point_per_channel():
    for ratio in (0.2, 0.35, 0.5):
        masking = AmplitudeAwareMasking(tiny_config(mask_ratios=[ratio]))
        values = torch.randn(4, 8, 257)
        mask, _ = masking(values)
        counts = mask.sum(-1).float()
        assert (counts - ratio * 257).abs().max() <= 1.0


def test_masked_points_are_one_amplitude_band_of_each_channel():
    masking = AmplitudeAwareMasking(tiny_config(mask_ratios=[0.35]))
    values = torch.randn(3, 5, 200)
    mask, _ = masking(values)
    for b in range(3):
        for c in range(5):
            x, m = values[b, c], mask[b, c]
            low, high = x[m].min(), x[m].max()
            inside = (x >= low) & (x <= high)
            assert torch.equal(inside, m)  # every point within the band is masked, and only those


def test_random_strategy_has_the_same_ratio_but_is_no_amplitude_band():
    masking = AmplitudeAwareMasking(tiny_config(mask_ratios=[0.5], mask_strategy="random"))
    values = torch.randn(2, 6, 256)
    mask, _ = masking(values)
    assert torch.all(mask.sum(-1) == 128)
    bands = 0
    for b in range(2):
        for c in range(6):
            x, m = values[b, c], mask[b, c]
            bands += torch.equal((x >= x[m].min()) & (x <= x[m].max()), m)
    assert bands == 0


def test_bert_replacement_rule_is_80_10_10():
    masking = AmplitudeAwareMasking(tiny_config())
    _, replacement = masking(torch.randn(16, 16, 256), generator=torch.Generator().manual_seed(0))
    mask_token = (replacement == 0).float().mean().item()
    unchanged = (replacement == 1).float().mean().item()
    random = (replacement >= 2).float().mean().item()
    assert abs(mask_token - 0.8) < 0.01 and abs(unchanged - 0.1) < 0.01 and abs(random - 0.1) < 0.01
    assert replacement.max().item() <= tiny_config().num_random_embeddings + 1


# ----------------------------------------------------------------------------------------------------------------------
# The head
# ----------------------------------------------------------------------------------------------------------------------


def test_pretraining_output_contract():
    config = tiny_config()
    model = NeurIPTForPretraining(config).train()
    values = torch.randn(2, 5, 64)
    positions = (torch.rand(2, 5, 3) - 0.5) * 0.16
    out = model(values, positions)
    assert out.reconstruction.shape == values.shape and out.mask.shape == values.shape and out.mask.dtype == torch.bool
    expected = (out.reconstruction - values).abs()[out.mask].mean()
    torch.testing.assert_close(out.reconstruction_loss, expected)
    torch.testing.assert_close(out.loss, out.reconstruction_loss + config.router_aux_loss_coef * out.aux_loss)
    assert out.aux_loss.item() > 0
    out.loss.backward()
    assert model.decoder.layers[0].prediction.weight.grad.abs().sum() > 0


def test_padded_channels_are_not_scored():
    model = NeurIPTForPretraining(tiny_config()).eval()
    values = torch.randn(1, 4, 64)
    positions = (torch.rand(1, 4, 3) - 0.5) * 0.16
    mask = torch.zeros(1, 4, 64, dtype=torch.bool)
    mask[:, :, ::3] = True
    reference = model(values, positions, time_mask=mask).reconstruction_loss
    padded = model(
        torch.cat([values, 100 * torch.ones(1, 2, 64)], 1), torch.cat([positions, torch.zeros(1, 2, 3)], 1),
        channel_mask=torch.tensor([[1, 1, 1, 1, 0, 0]]), time_mask=torch.cat([mask, torch.ones(1, 2, 64, dtype=torch.bool)], 1),
    ).reconstruction_loss
    torch.testing.assert_close(padded, reference, atol=1e-5, rtol=1e-4)


def test_pretraining_checkpoint_loads_backbone_identically_and_drops_the_decoder(tmp_path, caplog):
    from modeling_neuript import NeurIPTForSequenceClassification

    pretrained = NeurIPTForPretraining(tiny_config())
    pretrained.save_pretrained(tmp_path)
    classifier, info = NeurIPTForSequenceClassification.from_pretrained(tmp_path, num_labels=2, output_loading_info=True)
    source = pretrained.neuript.state_dict()
    assert all(torch.equal(t, source[k]) for k, t in classifier.neuript.state_dict().items())
    assert set(info["missing_keys"]) == {"classifier.weight", "classifier.bias"}
    assert all(k.startswith(("decoder.", "masking.")) for k in info["unexpected_keys"])
    encoder, info = NeurIPTModel.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"]


# ----------------------------------------------------------------------------------------------------------------------
# neuript prepare / neuript pretrain on Face13
# ----------------------------------------------------------------------------------------------------------------------


def small_pretraining_recipe(tmp_path: Path) -> Path:
    """The Face13 pretraining recipe shrunk for CI: 8 sites, 2 s windows."""
    recipe = yaml.safe_load((REPO / "processing" / "face13-pretraining.yaml").read_text())
    recipe["channels"] = {"nearest": ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]}
    recipe["windows"]["window_seconds"] = 2.0
    path = tmp_path / "face13-small.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.fixture(scope="module")
def prepared_face13(tmp_path_factory, load_or_skip):
    from modeling_neuript.data.sources import load_face13
    from modeling_neuript.data.prepare import PrepareArguments, prepare

    load_or_skip(load_face13, "s01", preload=False)
    tmp_path = tmp_path_factory.mktemp("face13")
    prepare(PrepareArguments(recipe=str(small_pretraining_recipe(tmp_path)), output_dir=str(tmp_path / "prepared")))
    return tmp_path / "prepared"


def test_prepare_writes_a_dataset_that_load_from_disk_reads(prepared_face13):
    from datasets import load_from_disk

    dataset = load_from_disk(str(prepared_face13 / "data"))
    assert dataset.column_names == [
        "input_values", "channel_positions", "channel_names", "label", "label_name", "subject", "recording",
        "window_start_seconds", "artifact_amplitude", "artifact_flat"]
    row = dataset[0]
    assert np.asarray(row["input_values"]).shape == (8, 128)
    assert np.asarray(row["channel_positions"]).shape == (8, 3)
    assert len(row["channel_names"]) == 8 and row["label"] == -1
    assert set(dataset["subject"]) == {"s01", "s02"}
    # the paper's cleaning: first and last minute discarded
    assert min(dataset["window_start_seconds"]) >= 60.0
    manifest = json.loads((prepared_face13 / "manifest.json").read_text())
    assert manifest["windows"] == len(dataset) == sum(manifest["windows_per_recording"].values())
    assert (prepared_face13 / "preprocessor_config.json").exists()


def test_prepare_resumes_without_redoing_finished_recordings(prepared_face13, tmp_path):
    from modeling_neuript.data.prepare import PrepareArguments, prepare

    shard = prepared_face13 / "shards" / "sub-s01"
    before = shard.stat().st_mtime_ns
    prepare(PrepareArguments(recipe=str(small_pretraining_recipe(tmp_path)), output_dir=str(prepared_face13)))
    assert shard.stat().st_mtime_ns == before


def run_pretrain(dataset, output_dir, *extra):
    command = [sys.executable, "-m", "modeling_neuript.cli", "pretrain", "--dataset", str(dataset), "--output_dir",
               str(output_dir), "--report_to", "none", "--progress_bar", "false", *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_pretraining_on_face13_learns_to_reconstruct(prepared_face13, tmp_path):
    """40 AAMP updates on real EEG: the masked ℓ1 loss of the last 10 falls clearly below that of the first 5 and below
    the loss of predicting zeros. A count of updates, not a time limit: the claim holds on a slow or busy machine."""
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    summary = pretrain(PretrainArguments(
        dataset=str(prepared_face13), output_dir=str(tmp_path / "run"), model="neuript-tiny", max_steps=40,
        per_device_batch_size=8, save_steps=40, learning_rate=2e-3, report_to="none", progress_bar=False,
    ))
    losses = [h["reconstruction_loss"] for h in summary["history"]]
    assert losses == [h["reconstruction_loss"] for h in pretraining_history(tmp_path / "run")]
    dataset, _, _ = load_prepared(prepared_face13)
    # Zeros baseline on the same kind of masks: mean |x| over AAMP-masked points of the data.
    values = torch.tensor(np.stack([np.asarray(v, dtype=np.float32) for v in dataset[:256]["input_values"]]))
    masking = AmplitudeAwareMasking(tiny_config())
    mask, _ = masking(values, generator=torch.Generator().manual_seed(0))
    zeros_loss = values.abs()[mask].mean().item()
    first, last = np.mean(losses[:5]), np.mean(losses[-10:])
    print(f"masked L1: first 5 updates {first:.3f}, last 10 updates {last:.3f}, predicting zeros {zeros_loss:.3f}")
    assert last < 0.8 * first
    assert last < 0.8 * zeros_loss


def test_resumed_pretraining_replays_the_uninterrupted_run(prepared_face13, tmp_path):
    common = ["--per_device_batch_size", "4", "--save_steps", "3", "--model", "neuript-tiny"]
    run_pretrain(prepared_face13, tmp_path / "straight", "--max_steps", "6", *common)
    run_pretrain(prepared_face13, tmp_path / "split", "--max_steps", "6", "--stop_after_steps", "3", *common)
    assert not (tmp_path / "split" / "model").exists()
    progress = json.loads(next((tmp_path / "split" / "checkpoints").glob("checkpoint_*/progress.json")).read_text())
    assert progress["step"] == 3
    run_pretrain(prepared_face13, tmp_path / "split", "--max_steps", "6", "--resume", "true", *common)
    straight, split = pretraining_history(tmp_path / "straight"), pretraining_history(tmp_path / "split")
    assert [h["step"] for h in split] == [1, 2, 3, 4, 5, 6]
    assert [h["loss"] for h in split] == [h["loss"] for h in straight]
    assert [h["lr"] for h in split] == [h["lr"] for h in straight]
    from safetensors.torch import load_file

    a, b = load_file(tmp_path / "straight" / "model" / "model.safetensors"), load_file(tmp_path / "split" / "model" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_two_process_cpu_run_under_accelerate_launch_gives_one_checkpoint(prepared_face13, tmp_path):
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--config_file",
        str(REPO / "configuration" / "accelerate" / "cpu-ddp.yaml"), "--main_process_port", "29533", "-m",
        "modeling_neuript.cli", "pretrain", "--dataset", str(prepared_face13), "--output_dir", str(tmp_path / "ddp"),
        "--max_steps", "2", "--per_device_batch_size", "2", "--save_steps", "2", "--report_to", "none",
        "--progress_bar", "false", "--model", "neuript-tiny",
    ]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    found = sorted(p.name for p in (tmp_path / "ddp" / "checkpoints").iterdir())
    assert found == ["checkpoint_0000002"]  # one checkpoint, written once, no temporary leftovers
    progress = json.loads((tmp_path / "ddp" / "checkpoints" / "checkpoint_0000002" / "progress.json").read_text())
    assert progress["step"] == 2
    assert (tmp_path / "ddp" / "model" / "model.safetensors").exists()


def test_streamed_batches_cover_each_window_once_per_epoch_and_resume_in_place(prepared_face13):
    """The streaming source: epoch 0 yields distinct windows (one buffer-shuffled pass, ragged tail skipped), and a
    source restored from `state_dict()` continues with exactly the batches the original yields next."""
    from modeling_neuript.training.pretrain import StreamedBatches
    from modeling_neuript.data.reading import load_prepared

    dataset, _, _ = load_prepared(prepared_face13)
    files = sorted(str(p) for p in (prepared_face13 / "data").glob("*.arrow"))
    source = StreamedBatches(files, batch_size=4, world=1, rank=0, seed=3, buffer_size=16)
    per_epoch = len(dataset) // 4
    seen = [tuple(r["input_values"][0, :8].tolist()) for _ in range(per_epoch) for r in source.rows(0)]
    assert len(set(seen)) == per_epoch * 4
    assert set(seen) <= {tuple(np.asarray(v[0][:8], dtype=np.float32).tolist()) for v in dataset["input_values"]}
    state = source.state_dict()
    ahead = [source.rows(0) for _ in range(3)]  # crosses into epoch 1
    assert source.state_dict()["epoch"] == 1
    restored = StreamedBatches(files, batch_size=4, world=1, rank=0, seed=3, buffer_size=16)
    restored.load_state_dict(state)
    for expected in ahead:
        got = restored.rows(0)
        assert all(np.array_equal(a["input_values"], b["input_values"]) for a, b in zip(got, expected))


def test_streaming_pretraining_resumes_exactly(prepared_face13, tmp_path):
    common = ["--per_device_batch_size", "4", "--save_steps", "3", "--model", "neuript-tiny", "--streaming", "true",
              "--shuffle_buffer", "32"]
    run_pretrain(prepared_face13, tmp_path / "straight", "--max_steps", "5", *common)
    run_pretrain(prepared_face13, tmp_path / "split", "--max_steps", "5", "--stop_after_steps", "3", *common)
    progress = json.loads(next((tmp_path / "split" / "checkpoints").glob("checkpoint_*/progress.json")).read_text())
    assert progress["data_state"]["0"] == {"epoch": 0, "consumed": 12}
    run_pretrain(prepared_face13, tmp_path / "split", "--max_steps", "5", "--resume", "true", *common)
    straight, split = pretraining_history(tmp_path / "straight"), pretraining_history(tmp_path / "split")
    assert [h["loss"] for h in split] == [h["loss"] for h in straight]


def test_prepare_in_parallel_writes_the_same_windows(prepared_face13, tmp_path):
    """`num_proc=2` (one process per recording) gives the same rows, in the same order, as the serial run."""
    from datasets import load_from_disk
    from modeling_neuript.data.prepare import PrepareArguments, prepare

    prepare(PrepareArguments(recipe=str(small_pretraining_recipe(tmp_path)), output_dir=str(tmp_path / "parallel"),
                             num_proc=2))
    serial, parallel = load_from_disk(str(prepared_face13 / "data")), load_from_disk(str(tmp_path / "parallel" / "data"))
    assert len(parallel) == len(serial) > 0
    assert parallel["subject"] == serial["subject"]
    assert parallel["window_start_seconds"] == serial["window_start_seconds"]
    assert np.array_equal(np.asarray(parallel[:5]["input_values"]), np.asarray(serial[:5]["input_values"]))


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine the FSDP config really shards")
def test_fsdp_config_on_a_cpu_machine_is_refused_with_the_fix(prepared_face13, tmp_path):
    """Accelerate silently turns FSDP into independent single-process runs without GPUs (all writing the same
    checkpoints); `neuript pretrain` refuses instead and names the CPU config to use."""
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--config_file",
        str(REPO / "configuration" / "accelerate" / "fsdp.yaml"), "--num_processes", "2", "--mixed_precision", "no",
        "--main_process_port", "29534", "-m", "modeling_neuript.cli", "pretrain", "--dataset", str(prepared_face13),
        "--output_dir", str(tmp_path / "fsdp"), "--max_steps", "1", "--report_to", "none", "--model", "neuript-tiny",
    ]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode != 0
    assert "FSDP needs GPUs" in result.stderr and "cpu-ddp.yaml" in result.stderr
    assert not (tmp_path / "fsdp" / "checkpoints").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without a GPU")
@pytest.mark.parametrize("checkpointing, message", [(False, "needs --gradient_checkpointing"), (True, "drop the flag")])
def test_activation_offload_is_refused_where_it_cannot_work(prepared_face13, tmp_path, checkpointing, message):
    """Offloading checkpoint inputs to pinned host memory needs checkpointing and a GPU (transformers' offload fails
    with a pinned-memory error on a CPU-only machine); the refusal names the fix before any training starts."""
    args = PretrainArguments(dataset=str(prepared_face13), output_dir=str(tmp_path / "run"), max_steps=1,
                             report_to="none", activation_offload=True, gradient_checkpointing=checkpointing)
    with pytest.raises(ValueError, match=message):
        pretrain(args)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_block_checkpointing_trains_as_the_plain_run(prepared_face13, tmp_path):
    """`neuript pretrain --gradient_checkpointing true --checkpoint_blocks true` trades memory for time only: the
    same losses step by step as the plain run (dropout on); without layer checkpointing the flag is refused."""
    common = ["--max_steps", "3", "--per_device_batch_size", "4", "--save_steps", "3", "--model", "neuript-tiny"]
    run_pretrain(prepared_face13, tmp_path / "plain", *common)
    run_pretrain(prepared_face13, tmp_path / "blocks", *common, "--gradient_checkpointing", "true",
                 "--checkpoint_blocks", "true")
    plain, blocks = pretraining_history(tmp_path / "plain"), pretraining_history(tmp_path / "blocks")
    assert len(plain) == len(blocks) == 3
    for a, b in zip(plain, blocks):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
    args = PretrainArguments(dataset=str(prepared_face13), output_dir=str(tmp_path / "refused"), max_steps=1,
                             report_to="none", checkpoint_blocks=True)
    with pytest.raises(ValueError, match="needs --gradient_checkpointing"):
        pretrain(args)
