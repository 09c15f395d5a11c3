"""Model benchmark: inference and training-step throughput of NeurIPT presets (plain script, not a test).

For each preset × dtype × (eager | torch.compile) × (inference | training step) it reports samples/s (median of repeated
runs), FLOPs per sample (counted with `torch.utils.flop_counter`), achieved TFLOP/s, and the share of the machine's
ceiling: on CPU the GEMM roofline measured in the same run (`harness.gemm_roofline`), on GPU the model-FLOPs
utilisation against the card's dense peak. `--baseline REV` times the modeling file of git revision REV in the same
run, so the speed-up column is a same-run ratio.

Examples (the reference shapes of the performance issue: 20 channels × 320 samples, 4-class classifier):

    python benchmarks/bench_model.py --presets small,paper --dtypes fp32,bf16 --baseline 3971364 --record
    python benchmarks/bench_model.py --presets paper --task pretrain --time 256 --batch paper=20 --device cuda
"""

import argparse
import gc
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

from modeling_neuript import NeurIPTConfig  # noqa: E402
from modeling_neuript.training.memory import enable_activation_checkpointing  # noqa: E402

DEFAULT_BATCH = {"cpu": {"tiny": 8, "small": 8, "paper": 2, "fast": 8},
                 "cuda": {"tiny": 64, "small": 64, "paper": 64, "fast": 256}}
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def load_config(preset: str) -> NeurIPTConfig:
    name = preset if preset.startswith("neuript-") else f"neuript-{preset}"
    return NeurIPTConfig.from_json_file(harness.PRESETS / f"{name}.json")


def example_inputs(batch, channels, time, device, seed=0):
    """Random EEG-like values and electrode positions on a 9 cm sphere (inside the head frame)."""
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(batch, channels, time, generator=generator)
    direction = torch.randn(channels, 3, generator=generator)
    direction[:, 2] = direction[:, 2].abs()
    positions = 0.09 * direction / direction.norm(dim=-1, keepdim=True)
    return values.to(device), positions[None].expand(batch, -1, -1).contiguous().to(device)


def sdpa_flop_mapping():
    """Flop formulas `FlopCounterMode` lacks: the CPU flash-attention kernels and grouped matmuls."""
    from torch.utils import flop_counter as fc

    def cpu_flash(query, key, value, *args, out_shape=None, **kwargs):
        return fc.sdpa_flop_count(query, key, value)

    def cpu_flash_backward(grad_out, query, key, value, *args, out_shape=None, **kwargs):
        return fc.sdpa_backward_flop_count(grad_out, query, key, value)

    def grouped_mm(mat_a, mat_b, *args, out_shape=None, **kwargs):
        if len(mat_a) == 2 and len(mat_b) == 2:  # (M, K) x (K, N) per group -> (G, M, N)
            return 2 * mat_a[0] * mat_a[1] * mat_b[1]
        return 2 * math.prod(out_shape) * mat_a[-1]

    mapping = {}
    for name, formula in [
        ("_scaled_dot_product_flash_attention_for_cpu", cpu_flash),
        ("_scaled_dot_product_flash_attention_for_cpu_backward", cpu_flash_backward),
        ("_grouped_mm", grouped_mm),
    ]:
        op = getattr(torch.ops.aten, name, None)
        if op is not None:
            mapping[op] = formula
    return mapping


def count_flops(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False, custom_mapping=sdpa_flop_mapping()) as counter:
        fn()
    return counter.get_total_flops()


def build(module, config, task, device, num_labels=4):
    if task == "pretrain":
        model = module.NeurIPTForPretraining(config)
    else:
        config.num_labels = num_labels
        model = module.NeurIPTForSequenceClassification(config)
    return model.to(device)


def make_step(model, task, mode, dtype, device, values, positions, labels, optimizer):
    autocast = torch.autocast(device_type=torch.device(device).type, dtype=dtype, enabled=dtype != torch.float32)

    if mode == "infer":
        def step():
            with torch.inference_mode(), autocast:
                return model(values, positions)
        return step

    def step():
        with autocast:
            if task == "pretrain":
                loss = model(values, positions).loss
            else:
                loss = model(values, positions, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss
    return step


def prepare(module, preset, task, mode, dtype_name, compiled, batch, args):
    """Model, inputs and one step function (plus a flop-counting variant) for one benchmark case."""
    device = args.device
    dtype = DTYPES[dtype_name]
    config = load_config(preset)
    torch.manual_seed(0)
    model = build(module, config, task, device)
    if args.checkpointing and mode == "train":
        enable_activation_checkpointing(model, offload=getattr(args, "offload", False),
                                        blocks=getattr(args, "checkpoint_blocks", False))
    if args.experts:
        model.set_experts_implementation(args.experts)
    model.train(mode == "train")
    values, positions = example_inputs(batch, args.channels, args.time, device)
    labels = torch.arange(batch, device=device) % 4
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) if mode == "train" else None
    runner = torch.compile(model, dynamic=False) if compiled else model
    step = make_step(runner, task, mode, dtype, device, values, positions, labels, optimizer)
    if mode == "infer":
        flop_step = make_step(model, task, mode, dtype, device, values, positions, labels, None)
    else:  # forward + backward, without the optimizer update (not matrix work)
        def flop_step():
            autocast = torch.autocast(device_type=torch.device(device).type, dtype=dtype,
                                      enabled=dtype != torch.float32)
            with autocast:
                out = model(values, positions) if task == "pretrain" else model(values, positions, labels=labels)
            out.loss.backward()
            model.zero_grad(set_to_none=True)
    return {"model": model, "step": step, "flop_step": flop_step}


def compiled_difference(cases, variants, mode):
    """Largest absolute difference between the compiled and the eager classifier's logits, per code version, on the
    same inputs: `torch.compile` must not change what the model computes beyond rounding. Empty for training cases,
    pretraining (its masks are random per call) and runs without both variants."""
    out = {}
    if mode != "infer":
        return out
    for code, _, compiled in variants:
        if compiled and (code, False) in cases:
            eager = getattr(cases[(code, False)]["step"](), "logits", None)
            if eager is None:
                continue
            fast = cases[(code, True)]["step"]().logits
            out[code] = (fast.float() - eager.float()).abs().max().item()
    return out


def model_flops_per_sample(module, preset, task, mode, dtype_name, args) -> int:
    """Model FLOPs of one sample, counted on a separate batch-1 copy without activation checkpointing: the usual
    convention for model-FLOPs utilisation (recomputation is not useful work), and `FlopCounterMode` defeats
    checkpointing's memory saving (on an H200 counting at the timed batch 60 ran out of memory where the step fits)."""
    counting = argparse.Namespace(**{**vars(args), "checkpointing": False})
    case = prepare(module, preset, task, mode, dtype_name, False, 1, counting)
    flops = count_flops(case["flop_step"])
    del case
    gc.collect()
    return flops


def run_case(variants, preset, task, mode, dtype_name, batch, args, roofline):
    """Time every variant `(code label, module, compiled)` on one case, interleaved; one row per variant."""
    device = args.device
    cases = {(code, compiled): prepare(module, preset, task, mode, dtype_name, compiled, batch, args)
             for code, module, compiled in variants}
    flops = model_flops_per_sample(variants[-1][1], preset, task, mode, dtype_name, args)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    warmup = args.warmup + (2 if any(compiled for _, _, compiled in variants) else 0)
    timings = harness.measure_interleaved({key: case["step"] for key, case in cases.items()}, device,
                                          warmup=warmup, repeats=args.repeats)
    difference = compiled_difference(cases, variants, mode)
    rows = []
    reference = None
    for (code, compiled), (seconds, times) in timings.items():
        samples_per_s = batch / seconds
        tflops = flops * samples_per_s / 1e12
        row = {
            "preset": preset, "task": task, "mode": mode, "dtype": dtype_name, "compile": "yes" if compiled else "no",
            "code": code, "batch": batch, "samples/s": harness.fmt(samples_per_s), "ms/step": harness.fmt(seconds * 1e3),
            "GFLOP/sample": harness.fmt(flops / 1e9), "TFLOP/s": harness.fmt(tflops),
            "_samples_per_s": samples_per_s, "_tflops": tflops, "_times": times,
        }
        reference = reference or samples_per_s
        row["speed-up"] = f"{samples_per_s / reference:.2f}×"
        row["max |Δ| vs eager"] = f"{difference[code]:.1e}" if compiled and code in difference else ""
        if device == "cuda":
            peak = harness.gpu_peak_tflops(DTYPES[dtype_name])
            row["MFU"] = f"{100 * tflops / peak:.1f} %" if peak else "–"
            row["peak GiB"] = harness.fmt(torch.cuda.max_memory_allocated() / 2**30)
        else:
            row["% GEMM roofline"] = f"{100 * tflops * 1e3 / roofline[dtype_name]:.0f} %"
        rows.append(row)
    del cases
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default="tiny,small,paper")
    parser.add_argument("--task", default="classify", choices=["classify", "pretrain"])
    parser.add_argument("--modes", default="infer,train")
    parser.add_argument("--dtypes", default="fp32,bf16")
    parser.add_argument("--compile", default="no", help="no | yes | both")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2 if not torch.cuda.is_available() else None)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--time", type=int, default=320)
    parser.add_argument("--batch", default="", help="overrides, e.g. small=16,paper=4")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--min-seconds", type=float, default=0.0)
    parser.add_argument("--baseline", default=None, help="git revision of the modeling file to time in the same run")
    parser.add_argument("--checkpointing", action="store_true", help="activation checkpointing in training")
    parser.add_argument("--checkpoint-blocks", action="store_true",
                        help="with --checkpointing: also each block of the full-resolution layers "
                             "(enable_block_checkpointing)")
    parser.add_argument("--offload", action="store_true",
                        help="with --checkpointing: keep the checkpoint inputs in pinned host memory (transformers' offload)")
    parser.add_argument("--experts", default=None, help="experts implementation: eager | grouped_mm")
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    harness.setup(args.threads)

    batches = dict(DEFAULT_BATCH["cuda" if args.device.startswith("cuda") else "cpu"])
    for item in filter(None, args.batch.split(",")):
        key, value = item.split("=")
        batches[key] = int(value)
    compile_modes = {"no": [False], "yes": [True], "both": [False, True]}[args.compile]
    dtypes = args.dtypes.split(",")

    roofline = {}
    if args.device == "cpu":
        for name in dtypes:
            roofline[name] = harness.gemm_roofline("cpu", DTYPES[name])["best"]
            print(f"GEMM roofline {name}: {roofline[name]:.0f} GFLOP/s", flush=True)

    implementations = [("current", harness.load_model_module(None))]
    if args.baseline:
        implementations.insert(0, (args.baseline, harness.load_model_module(args.baseline)))
    variants = [(code, module, compiled) for code, module in implementations for compiled in compile_modes]

    rows = []
    for preset in args.presets.split(","):
        for mode in args.modes.split(","):
            for dtype_name in dtypes:
                batch = batches[preset.replace("neuript-", "")]
                for row in run_case(variants, preset, args.task, mode, dtype_name, batch, args, roofline):
                    rows.append(row)
                    print({k: v for k, v in row.items() if not k.startswith("_")}, flush=True)

    columns = ["preset", "task", "mode", "dtype", "compile", "code", "batch", "samples/s", "speed-up", "ms/step",
               "GFLOP/sample", "TFLOP/s"]
    if "yes" in [row["compile"] for row in rows] and "infer" in args.modes:
        columns.append("max |Δ| vs eager")
    columns += ["MFU", "peak GiB"] if args.device != "cpu" else ["% GEMM roofline"]
    table = harness.markdown_table(rows, columns)
    print(table)
    if args.device == "cpu":
        table += "\n\nGEMM roofline (same run): " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in roofline.items())
    if args.record:
        harness.append_section(args.title or f"Model throughput ({args.device}, {args.task})", table)
    return rows


if __name__ == "__main__":
    main()
