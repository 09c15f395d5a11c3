"""Export of a NeurIPT classifier: a torch.export program and an ONNX file (opset 18) both reproduce PyTorch's logits
on real EEG windows (EEGMMIDB S001R02, 64 channels, 2 s windows) at any batch size, and leave the model as it was."""

import pytest
import torch

from helpers import load_example
from small_checkpoint import small_checkpoint, small_classifier

ONNX_TOLERANCE = 1e-4  # max |Δlogit| between onnxruntime and PyTorch (float32); measured 4.8e-7


@pytest.fixture(scope="module")
def windows(edf_path):
    """The 30 feature-extractor windows of the recording: (input_values, channel_positions, channel_mask)."""
    import mne

    from modeling_neuript import NeurIPTFeatureExtractor

    features = NeurIPTFeatureExtractor(window_seconds=2.0)(mne.io.read_raw(edf_path, preload=True, verbose="error"))
    return features["input_values"], features["channel_positions"], features["channel_mask"]


def test_torch_export_program_matches_the_model_on_real_windows_with_dynamic_batch_and_channels(windows):
    from modeling_neuript.interop.onnx_export import export_program

    model = small_classifier().train()  # export must not leave eval mode or the export experts behind
    implementation = model.config._experts_implementation
    values, positions, mask = windows
    program = export_program(model, example=(values[:2], positions[:2], mask[:2]), dynamic_channels=True)
    assert model.training and model.config._experts_implementation == implementation

    model.eval()
    run = program.module()
    with torch.no_grad():
        for batch, channels in ((30, 64), (1, 64), (5, 20)):  # sizes the program was not traced with
            inputs = (values[:batch, :channels], positions[:batch, :channels], mask[:batch, :channels])
            expected = model(*inputs[:2], channel_mask=inputs[2]).logits
            torch.testing.assert_close(run(*inputs), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.slow  # ~45 s on one core: the dynamo ONNX exporter's decompositions dominate
def test_onnx_export_example_matches_pytorch_in_onnxruntime(tmp_path, edf_path):
    import onnx

    checkpoint = small_checkpoint(tmp_path / "checkpoint", window_seconds=2.0)
    result = load_example("export_onnx").main(
        ["--model", str(checkpoint), "--file", edf_path, "--output", str(tmp_path / "neuript.onnx")]
    )
    assert result["windows"] == 30  # run as one batch of 30 and as 30 batches of 1: the batch axis is dynamic
    assert result["max_abs_diff"] < ONNX_TOLERANCE
    assert result["same_predictions"]
    assert result["inputs"] == ["input_values", "channel_positions", "channel_mask"]
    graph = onnx.load(str(tmp_path / "neuript.onnx"))
    assert {entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx")} == {18}
    assert [output.name for output in graph.graph.output] == ["logits"]


def test_dense_experts_equal_the_eager_experts():
    from modeling_neuript.interop.onnx_export import dense_experts_forward

    experts = small_classifier().neuript.layers[2].channel_feed_forward.moe.experts
    torch.manual_seed(1)
    hidden = torch.randn(50, experts.gate_up_proj.shape[-1])
    weights, index = torch.rand(50, 4).softmax(-1).topk(2, dim=-1)
    with torch.no_grad():
        experts.config._experts_implementation = "eager"
        expected = experts(hidden, index, weights)
        torch.testing.assert_close(
            dense_experts_forward(experts, hidden, index, weights), expected, atol=1e-6, rtol=1e-5
        )


def test_only_classifiers_are_exported():
    from modeling_neuript import NeurIPTModel
    from modeling_neuript.interop.onnx_export import export_program

    with pytest.raises(ValueError, match="NeurIPT classifier"):
        export_program(NeurIPTModel(small_classifier().config))
