"""Online BCI loop: replay a recording chunk by chunk, as an amplifier would deliver it, and classify every hop.

    python examples/streaming_bci.py --model runs/face-house/model --file rec.edf --hop 0.5 --chunk 0.1

`NeurIPTStreamProcessor` keeps the filter state, the resampler's input history and a ring buffer of the last window
between chunks, so each chunk costs only its own samples plus one model forward per completed hop. Predictions equal
those of `modeling_neuript.interop.streaming.causal_reference` on the whole recording (the causal counterpart of the offline
extractor; see that module's docstring for how the two differ from the zero-phase offline path).
"""

import argparse


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Fine-tuned checkpoint folder, or a preset (random weights).")
    parser.add_argument("--file", required=True, help="A recording mne can read.")
    parser.add_argument("--channels", nargs="*", help="Channels to stream (default: all EEG channels).")
    parser.add_argument("--hop", type=float, default=0.5, help="Seconds between predictions.")
    parser.add_argument("--chunk", type=float, default=0.1, help="Seconds per amplifier chunk.")
    parser.add_argument("--seconds", type=float, default=None, help="Stream only the first N seconds.")
    args = parser.parse_args(argv)

    import time
    from pathlib import Path

    import mne
    import numpy as np
    import torch

    from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification
    from modeling_neuript.interop.streaming import NeurIPTStreamProcessor

    if (Path(args.model) / "model.safetensors").exists():
        model = NeurIPTForSequenceClassification.from_pretrained(args.model)
        extractor = NeurIPTFeatureExtractor.from_pretrained(args.model)
    else:
        from modeling_neuript.training.factory import resolve_config

        torch.manual_seed(0)
        model, extractor = NeurIPTForSequenceClassification(resolve_config(args.model)), NeurIPTFeatureExtractor()
    raw = mne.io.read_raw(args.file, preload=False, verbose="error")
    raw.pick(args.channels or "eeg", exclude="bads")
    rate = raw.info["sfreq"]
    stop = None if args.seconds is None else int(args.seconds * rate)
    signal = raw.get_data(stop=stop)  # volts
    stream = NeurIPTStreamProcessor(extractor, raw.ch_names, rate, line_freq=raw.info["line_freq"],
                                    hop_seconds=args.hop, model=model)
    chunk = max(1, int(round(args.chunk * rate)))
    results, latencies = [], []
    for start in range(0, signal.shape[1], chunk):
        began = time.perf_counter()
        outputs = stream.push(signal[:, start : start + chunk])  # in a live loop: amplifier.read()
        if outputs:
            latencies.append(time.perf_counter() - began)
        for output in outputs:
            label = model.config.id2label[int(np.argmax(output.probabilities))]
            flag = " artifact" if output.artifact_amplitude or output.artifact_flat else ""
            print(f"{output.end_seconds:7.2f} s  {label:<12s} p={output.probabilities.max():.3f}{flag}")
            results.append((output.end_seconds, label, output.probabilities))
    if latencies:
        print(f"{len(results)} predictions; push latency median {1e3 * np.median(latencies):.1f} ms, "
              f"signal-path delay {1e3 * stream.resampler_delay / extractor.sampling_rate:.0f} ms + filter phase delay")
    return results


if __name__ == "__main__":
    main()
