"""Activation memory of one training step, measurable without a GPU (plain script, not a test).

The memory target of the performance issue (paper-preset pretraining at batch 60 in 24 GiB, i.e. ≤ 0.4 GiB per
sample) is about what the forward pass keeps for the backward pass. This script counts it directly: every tensor
autograd saves during one forward is seen through `torch.autograd.graph.saved_tensors_hooks`, and the distinct
storages are summed (a tensor saved twice, or a view of a saved tensor, counts once). Parameters are left out
(they are there anyway), so the figure is activations per sample. Under bf16 autocast, on CPU or GPU alike, most
saved tensors are bf16, so run it with `--dtype bf16` for the GPU figure; on a GPU, `bench_model.py` reports the
allocator's peak, which adds the weights, the optimizer state, gradients and workspace; on a GPU this script also
reports the allocator's peak after the forward pass and after the backward pass (weights and gradients included, no
optimizer state).

    python benchmarks/bench_memory.py --preset paper --task pretrain --time 256 --batch 1 --dtype bf16
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_model  # noqa: E402
import harness  # noqa: E402


def saved_activation_bytes(model, step) -> int:
    """Bytes of the distinct non-parameter storages autograd saves while `step()` runs a forward pass."""
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters and storage.device.type != "meta":
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        step()
    return sum(storages.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--task", default="pretrain", choices=["classify", "pretrain"])
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--time", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", default="bf16", choices=list(bench_model.DTYPES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpointing", default="both", choices=["both", "no", "yes"],
                        help="activation checkpointing off, on, or both (one row each)")
    parser.add_argument("--offload", action="store_true", help="checkpoint inputs kept in pinned host memory")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    dtype = bench_model.DTYPES[args.dtype]
    values, positions = bench_model.example_inputs(args.batch, args.channels, args.time, args.device)
    labels = torch.arange(args.batch, device=args.device) % 4

    rows = []
    for checkpointing in {"both": (False, True), "no": (False,), "yes": (True,)}[args.checkpointing]:
        torch.manual_seed(0)
        model = bench_model.build(
            harness.load_model_module(None), bench_model.load_config(args.preset), args.task, args.device
        ).train()
        if checkpointing:
            model.gradient_checkpointing_enable(**({"offload": True} if args.offload else {}))

        def step():
            with torch.autocast(torch.device(args.device).type, dtype=dtype, enabled=dtype != torch.float32):
                if args.task == "pretrain":
                    return model(values, positions).loss
                return model(values, positions, labels=labels).loss

        per_sample = saved_activation_bytes(model, step) / args.batch / 2**30
        rows.append({
            "preset": args.preset, "task": args.task, "shape": f"{args.channels}×{args.time}", "dtype": args.dtype,
            "activation checkpointing": ("yes, offloaded" if args.offload else "yes") if checkpointing else "no",
            "saved activations GiB/sample": f"{per_sample:.3f}",
            "batch 60 activations GiB": f"{60 * per_sample:.1f}",
        })
        if args.device.startswith("cuda"):  # the allocator's peak: where in the step the memory goes
            model.zero_grad(set_to_none=True)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            loss = step()
            torch.cuda.synchronize()
            rows[-1]["peak after forward GiB"] = f"{torch.cuda.max_memory_allocated() / 2**30:.2f}"
            loss.backward()
            torch.cuda.synchronize()
            rows[-1]["peak forward + backward GiB"] = f"{torch.cuda.max_memory_allocated() / 2**30:.2f}"
            del loss
        print(rows[-1], flush=True)
        del model
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    table = harness.markdown_table(rows, list(rows[-1]))
    print(table)
    if args.record:
        harness.append_section(f"Activation memory ({args.preset} {args.task}, {args.dtype})", table)
    return rows


if __name__ == "__main__":
    main()
