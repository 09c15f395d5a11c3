"""Export a fine-tuned NeurIPT classifier to ONNX and check onnxruntime against PyTorch on a real recording.

    python examples/export_onnx.py --model runs/face-house/model --file recording.edf --output neuript.onnx

The ONNX file (opset 18 by default) takes the feature extractor's outputs — `input_values` (batch, channels, time),
`channel_positions` (batch, channels, 3), `channel_mask` (batch, channels) — with a dynamic batch axis, and returns
`logits` (batch, num_labels). Prints the largest difference between onnxruntime and PyTorch over every window of the
recording, run as one batch and one window at a time.
"""

import argparse


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Folder of a fine-tuned checkpoint.")
    parser.add_argument("--file", required=True, help="A recording mne can read, to check the export on.")
    parser.add_argument("--output", default="neuript.onnx")
    parser.add_argument("--opset", type=int, default=18)
    args = parser.parse_args(argv)

    import mne
    import numpy as np
    import onnxruntime
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    from modeling_neuript.interop.onnx_export import export_onnx

    extractor = AutoFeatureExtractor.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model).eval()
    features = extractor(mne.io.read_raw(args.file, preload=True, verbose="error"), return_metadata=False)
    inputs = (features["input_values"], features["channel_positions"], features["channel_mask"])
    export_onnx(model, args.output, opset=args.opset, example=tuple(x[:2] for x in inputs))  # traced on 2 windows

    with torch.no_grad():
        expected = model(*inputs[:2], channel_mask=inputs[2]).logits.numpy()
    session = onnxruntime.InferenceSession(args.output, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    as_numpy = [x.numpy() for x in inputs]
    batched = session.run(["logits"], dict(zip(names, as_numpy)))[0]
    one_by_one = np.concatenate(
        [session.run(["logits"], dict(zip(names, [x[i : i + 1] for x in as_numpy])))[0] for i in range(len(expected))]
    )
    result = {
        "path": args.output,
        "opset": args.opset,
        "windows": len(expected),
        "inputs": names,
        "max_abs_diff": float(max(np.abs(batched - expected).max(), np.abs(one_by_one - expected).max())),
        "same_predictions": bool((batched.argmax(-1) == expected.argmax(-1)).all()),
    }
    print(
        f"{args.output}: opset {args.opset}, {result['windows']} windows; onnxruntime vs PyTorch max |Δlogit| = "
        f"{result['max_abs_diff']:.2e}; same predictions: {result['same_predictions']}"
    )
    return result


if __name__ == "__main__":
    main()
