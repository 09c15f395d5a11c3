"""Side-by-side with braindecode's LaBraM and CBraMod on the same EEG window (plain script, not a test).

Every model sees the same 20-channel window of `--seconds` seconds, each at its own sampling rate (NeurIPT 64 Hz,
LaBraM and CBraMod 200 Hz), in one run: parameters, inference FLOPs per window (`FlopCounterMode`), inference
samples/s (interleaved timing). Needs `pip install neuript[bench]` (braindecode). braindecode 1.8 imports
torchaudio at package import for models we do not use; where no torchaudio wheel matches the installed torch, a
stub module stands in for it (LaBraM and CBraMod never call it) and the table says so.

    python benchmarks/bench_braindecode.py --seconds 10 --record
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_model  # noqa: E402
import harness  # noqa: E402

from modeling_neuript import NeurIPTConfig, NeurIPTForSequenceClassification  # noqa: E402

# 20 bipolar double-banana channels use 19 monopolar electrodes; LaBraM looks channels up by 10-20 name.
MONOPOLAR_20 = ["FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ", "C4", "T4", "T5", "P3", "PZ", "P4", "T6",
                "O1", "O2", "A1"]


def import_braindecode():
    """`braindecode.models` (LaBraM, CBraMod), with the torchaudio stand-in when torchaudio cannot load."""
    from modeling_neuript.interop.braindecode_support import import_braindecode as load
    from modeling_neuript.interop.braindecode_support import install_torchaudio_stand_in

    stubbed = install_torchaudio_stand_in()
    braindecode = load()
    from braindecode.models import CBraMod, Labram

    return Labram, CBraMod, braindecode.__version__, stubbed

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--presets", default="fast,small,paper")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2 if not torch.cuda.is_available() else None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    device = args.device

    models = {}
    inputs = {}
    note = ""
    try:
        Labram, CBraMod, version, stubbed = import_braindecode()
        n_times = int(round(200 * args.seconds))
        names = MONOPOLAR_20[: args.channels]
        chs_info = [{"ch_name": name} for name in names]
        models[f"braindecode {version} Labram"] = Labram(n_chans=args.channels, n_times=n_times, sfreq=200,
                                                         n_outputs=4, chs_info=chs_info)
        models[f"braindecode {version} CBraMod"] = CBraMod(n_chans=args.channels, n_times=n_times, sfreq=200,
                                                           n_outputs=4)
        x200 = torch.randn(args.batch, args.channels, n_times, device=device)
        for name in list(models):
            inputs[name] = ((x200,), {"ch_names": names} if "Labram" in name else {})
        if stubbed:
            note = "\n\ntorchaudio stubbed (no wheel for this torch); LaBraM and CBraMod do not use it."
    except Exception as error:  # braindecode missing
        note = f"\n\nbraindecode unavailable ({type(error).__name__}: {error}); `pip install neuript[bench]`."

    n64 = int(round(64 * args.seconds))
    values, positions = bench_model.example_inputs(args.batch, args.channels, n64, device)
    for preset in args.presets.split(","):
        config = bench_model.load_config(preset)
        config.num_labels = 4
        torch.manual_seed(0)
        name = f"NeurIPT {preset} (patch {config.patch_size})"
        models[name] = NeurIPTForSequenceClassification(config)
        n_time = n64 - n64 % config.patch_size
        inputs[name] = ((values[..., :n_time], positions), {})

    rows, fns = [], {}
    for name, model in models.items():
        model.to(device).eval()

        def step(model=model, call=inputs[name]):
            with torch.inference_mode():
                return model(*call[0], **call[1])

        fns[name] = step
        flops = bench_model.count_flops(step) / args.batch
        rows.append({"model": name, "params (M)": harness.fmt(sum(p.numel() for p in model.parameters()) / 1e6),
                     "GFLOP / window": harness.fmt(flops / 1e9)})
    timings = harness.measure_interleaved(fns, device, warmup=1, repeats=args.repeats)
    for row in rows:
        seconds = timings[row["model"]][0]
        row["inference samples/s"] = harness.fmt(args.batch / seconds)
    table = harness.markdown_table(rows, ["model", "params (M)", "GFLOP / window", "inference samples/s"])
    table = (f"Window: {args.seconds:g} s × {args.channels} channels (NeurIPT 64 Hz, braindecode models 200 Hz), "
             f"batch {args.batch}, {device}, float32.\n\n" + table + note)
    print(table)
    if args.record:
        harness.append_section(f"NeurIPT vs braindecode LaBraM / CBraMod ({device})", table)
    return rows


if __name__ == "__main__":
    main()
