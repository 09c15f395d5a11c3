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

The backward pass needs more than what the forward keeps: with activation checkpointing it recomputes a layer (or,
with `enable_block_checkpointing`, a block) and holds that recomputation while its gradients are formed. On CPU the
script therefore also follows every storage the operators create (`LiveActivationMemory`: activations, recomputed
activations and temporaries — parameters, gradients of parameters and autocast's copies of the weights left out) and
reports its peak per sample: the number that must fit next to the weights, their gradients and the optimizer state.

    python benchmarks/bench_memory.py --preset paper --task pretrain --time 256 --batch 1 --dtype bf16
    python benchmarks/bench_memory.py --preset paper --time 64 --dtype fp32 --checkpointing layers,blocks
"""

import argparse
import sys
import weakref
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_model  # noqa: E402
import harness  # noqa: E402

from modeling_neuript.training.memory import enable_activation_checkpointing  # noqa: E402


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


class LiveActivationMemory(TorchDispatchMode):
    """Bytes of the storages operators create while the mode is on — activations, recomputed activations,
    temporaries — now (`current`) and at most (`peak`), leaving out the model's parameters and buffers, autocast's
    copies of them and the parameters' gradients (those are the same for any batch size). A storage counts from the
    operator that creates it until it is freed (a weak reference tells), once however many views it has."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.current = self.peak = 0
        self.live: dict = {}
        self.external = {self._key(t) for t in [*model.parameters(), *model.buffers()]}
        self.gradients: set = set()
        self.hooks = [
            p.register_post_accumulate_grad_hook(self._gradient) for p in model.parameters() if p.requires_grad
        ]

    @staticmethod
    def _key(tensor: torch.Tensor) -> tuple:
        storage = tensor.untyped_storage()
        return storage.data_ptr(), storage.nbytes()

    def _gradient(self, parameter: torch.Tensor) -> None:
        key = self._key(parameter.grad)
        if key in self.live and key not in self.gradients:
            self.gradients.add(key)
            self.current -= self.live[key]

    def _free(self, key: tuple) -> None:
        nbytes = self.live.pop(key, 0)
        if key in self.gradients:
            self.gradients.discard(key)
        else:
            self.current -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        weight_copy = func is torch.ops.aten._to_copy.default and self._key(args[0]) in self.external
        for tensor in tree_flatten(out)[0]:
            if not isinstance(tensor, torch.Tensor) or tensor.device.type == "meta":
                continue
            key = self._key(tensor)
            if weight_copy:
                self.external.add(key)
            elif key not in self.live and key not in self.external and key[1] > 0:
                self.live[key] = key[1]
                self.current += key[1]
                weakref.finalize(tensor.untyped_storage(), self._free, key)
                self.peak = max(self.peak, self.current)
        return out

    def __exit__(self, *exc):
        for hook in self.hooks:
            hook.remove()
        return super().__exit__(*exc)


def live_activation_peak(model, step) -> tuple[int, int]:
    """`(bytes live after the forward pass, peak bytes over forward + backward)` of `step().backward()`, counted by
    `LiveActivationMemory`."""
    with LiveActivationMemory(model) as tracker:
        loss = step()
        after_forward = tracker.current
        loss.backward()
        del loss
    return after_forward, tracker.peak


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
    parser.add_argument("--checkpointing", default="no,layers,blocks",
                        help="comma list, one row each: no | layers (activation_checkpointing_enable) | blocks (and "
                             "enable_block_checkpointing); 'yes' = layers, 'both' = no,layers")
    parser.add_argument("--no-live", action="store_true", help="skip the live-memory peak (CPU)")
    parser.add_argument("--offload", action="store_true", help="checkpoint inputs kept in pinned host memory")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    dtype = bench_model.DTYPES[args.dtype]
    values, positions = bench_model.example_inputs(args.batch, args.channels, args.time, args.device)
    labels = torch.arange(args.batch, device=args.device) % 4

    rows = []
    modes = args.checkpointing.replace("both", "no,layers").replace("yes", "layers").split(",")
    if not set(modes) <= {"no", "layers", "blocks"}:
        parser.error(f"--checkpointing takes a comma list of no, layers, blocks (or yes, both); got {args.checkpointing}")
    for checkpointing in modes:
        torch.manual_seed(0)
        model = bench_model.build(
            harness.load_model_module(None), bench_model.load_config(args.preset), args.task, args.device
        ).train()
        if checkpointing != "no":
            enable_activation_checkpointing(model, offload=args.offload, blocks=checkpointing == "blocks")

        def step():
            with torch.autocast(torch.device(args.device).type, dtype=dtype, enabled=dtype != torch.float32):
                if args.task == "pretrain":
                    return model(values, positions).loss
                return model(values, positions, labels=labels).loss

        per_sample = saved_activation_bytes(model, step) / args.batch / 2**30
        rows.append({
            "preset": args.preset, "task": args.task, "shape": f"{args.channels}×{args.time}", "dtype": args.dtype,
            "activation checkpointing": checkpointing + (", offloaded" if args.offload and checkpointing != "no"
                                                         else ""),
            "saved activations GiB/sample": f"{per_sample:.3f}",
            "batch 60 activations GiB": f"{60 * per_sample:.1f}",
        })
        if args.device == "cpu" and not args.no_live:
            torch.manual_seed(0)
            after_forward, peak = live_activation_peak(model, step)
            rows[-1]["live after forward GiB/sample"] = f"{after_forward / args.batch / 2**30:.3f}"
            rows[-1]["live peak GiB/sample"] = f"{peak / args.batch / 2**30:.3f}"
            rows[-1]["batch 60 live peak GiB"] = f"{60 * peak / args.batch / 2**30:.1f}"
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
