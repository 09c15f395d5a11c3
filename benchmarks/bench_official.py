"""The authors' NeurIPT model beside ours, timed in the same run (plain script, not a test).

For each size (`SMALL`, `PAPER`) × model (`classify`: 20 bipolar channels × 320 samples, the TUEV shape;
`pretrain`: 20 × 256 with a half AAMP mask) it builds the authors' model the way their training code does (through
the shared harness, see benchmarks/official_reference.py), converts its weights with `neuript convert-official`'s
function, and times, interleaved (A B C A B C ...), the inference batch and the training step (forward, backward,
AdamW with the paper's settings) of three models with the same weights:

* `authors`: their code;
* `ours (converted)`: our model with the compatibility settings the conversion writes (the same outputs);
* `ours (defaults)`: our model with our defaults for those settings (no expert capacity, key-side AAMP masks,
  pre-norm decoder, head-frame positions) — what `neuript pretrain` / `finetune` train.

The losses are the authors' (balanced BCE + 0.8 × auxiliary for classification, ℓ1 on the masked points + 0.8 ×
auxiliary for pretraining) for their model and ours (cross-entropy / our AAMP loss) for ours; samples/s is what the
rows compare. Same-run ratios only: the machines are shared.

    python benchmarks/bench_official.py --sizes SMALL,PAPER --models classify,pretrain --record
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import official_reference as reference  # noqa: E402

DEFAULT_BATCH = {"SMALL": 8, "PAPER": 2}
LENGTH = {"classify": 320, "pretrain": 256}
OUR_DEFAULTS = dict(
    position_quantization="head", expert_capacity_factor=None, masked_attention="keys", decoder_residual="pre_norm",
    decoder_encoder_norm=False, merge_padding="repeat_last",
)


def step_functions(size: str, kind: str, batch: int) -> dict:
    """`{name: (inference fn, training-step fn)}` for the three models."""
    official_harness, official_code = reference.load_official()
    pair = reference.converted_pair(size, kind, batch=batch, samples=LENGTH[kind], channel_names="double_banana")
    official = pair.official
    converted = pair.ours
    defaults = reference.with_settings(converted, **OUR_DEFAULTS)
    positions = pair.positions
    if kind == "classify":
        labels = torch.arange(batch) % 6
        criterion = official_code.BCE_loss(pair.args, cls_num=[1] * 6, type="Bal", K=official_harness.BAL_BCE_K)
        target = torch.nn.functional.one_hot(labels, 6).float()

        def official_loss():
            logits, aux = official(pair.x)
            return criterion(logits, target) + official_harness.AUX_WEIGHT * aux

        def official_infer():
            return official(pair.x)[0]

        def our_loss(model):
            return model(pair.input_values, positions, labels=labels).loss

        def our_infer(model):
            return model(pair.input_values, positions).logits
    else:
        masks = reference.masks_for(pair.time_mask, pair.args.merge_layers)
        x_in = pair.x.masked_fill(pair.time_mask.transpose(1, 2), 0.0)
        target = pair.x[pair.time_mask.transpose(1, 2)].view(batch, -1, pair.x.shape[-1])

        def official_loss():
            prediction, aux = official(x_in, masks, list(masks))
            return torch.nn.functional.l1_loss(prediction, target) + official_harness.AUX_WEIGHT * aux

        def official_infer():
            return official(x_in, masks, list(masks))[0]

        def our_loss(model):
            return model(pair.input_values, positions, time_mask=pair.time_mask).loss

        def our_infer(model):
            return model(pair.input_values, positions, time_mask=pair.time_mask, return_loss=False).reconstruction

    def training_step(model, loss_fn):
        optimizer = torch.optim.AdamW(model.parameters(), **official_harness.ADAMW)

        def step():
            model.train()
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            optimizer.step()
            return loss

        return step

    def inference(model, fn):
        def run():
            model.eval()
            with torch.inference_mode():
                return fn()

        return run

    return {
        "authors": (inference(official, official_infer), training_step(official, official_loss)),
        "ours (converted)": (inference(converted, lambda: our_infer(converted)),
                             training_step(converted, lambda: our_loss(converted))),
        "ours (defaults)": (inference(defaults, lambda: our_infer(defaults)),
                            training_step(defaults, lambda: our_loss(defaults))),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="SMALL", help="SMALL and/or PAPER, comma separated (default: SMALL).")
    parser.add_argument("--models", default="classify,pretrain", help="classify and/or pretrain (default: both).")
    parser.add_argument("--modes", default="infer,train", help="infer and/or train (default: both).")
    parser.add_argument("--batch", default=None, help="e.g. SMALL=8,PAPER=2 (default: those).")
    parser.add_argument("--repeats", type=int, default=3, help="Timed interleaved rounds (default: 3).")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2).")
    parser.add_argument("--record", action="store_true", help="Append the table to docs/benchmarks.md.")
    args = parser.parse_args(argv)
    reason = reference.official_or_skip_reason()
    if reason:
        sys.exit(reason)
    harness.setup(args.threads)
    batches = dict(DEFAULT_BATCH)
    for item in filter(None, (args.batch or "").split(",")):
        size, value = item.split("=")
        batches[size] = int(value)
    columns = ["size", "model", "mode", "batch", "code", "samples/s", "× authors"]
    for size in args.sizes.split(","):
        for kind in args.models.split(","):
            rows = []
            functions = step_functions(size, kind, batches[size])
            for index, mode in enumerate(("infer", "train")):
                if mode not in args.modes.split(","):
                    continue
                timed = harness.measure_interleaved(
                    {name: fns[index] for name, fns in functions.items()}, warmup=1, repeats=args.repeats
                )
                authors = timed["authors"][0]
                for name, (seconds, _) in timed.items():
                    rows.append({
                        "size": size, "model": kind, "mode": mode, "batch": batches[size], "code": name,
                        "samples/s": harness.fmt(batches[size] / seconds), "× authors": f"{authors / seconds:.2f}",
                    })
                    print(rows[-1], flush=True)
            del functions
            table = harness.markdown_table(rows, columns)
            print(table, flush=True)
            if args.record:  # one section per size × model, so that a run cut short keeps what it measured
                harness.append_section(
                    f"CPU: the authors' {size} {kind} model beside ours, same run (fp32)",
                    "The authors' code (their sizes: SMALL keeps d_ff = 768) and ours with the same weights, timed "
                    "interleaved; median of the rounds. CPU only (no GPU in this session). `× authors` is the "
                    "same-run ratio of samples/s.\n\n" + table,
                )

if __name__ == "__main__":
    main()
