"""PMoE benchmark: one NeurIPT Progressive-MoE module against a dense SwiGLU of the same *active* width, same tokens
(plain script, not a test).

The PMoE module of a layer with E experts runs the shared expert (width `shared_expert_intermediate_size`) plus
`k = ceil(E · routed_fraction)` routed experts (width `expert_intermediate_size`) per token, so its active width is
`shared + k · expert`; the dense baseline is one `NeurIPTMLP` of that width. The ratio `PMoE time / dense time` is
the routing overhead (router, sort, gather, scatter, auxiliary loss). Each experts implementation
(`eager` sort-by-expert loop, transformers' `grouped_mm`) is timed interleaved with the dense layer.

    python benchmarks/bench_moe.py --preset paper --experts 2,4,6 --tokens 8192 --record
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

from modeling_neuript import NeurIPTConfig  # noqa: E402
from modeling_neuript.modeling_neuript import NeurIPTMLP, NeurIPTProgressiveMoE  # noqa: E402

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--experts", default="2,4,6", help="routed experts of the PMoE layers to time")
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--implementations", default="eager,grouped_mm,neuript_grouped_mm")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2 if not torch.cuda.is_available() else None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--profile", action="store_true",
                        help="also print where the time of the first implementation's forward + backward goes "
                             "(torch.profiler, largest E)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    harness.setup(args.threads)
    device, dtype = args.device, DTYPES[args.dtype]
    config = NeurIPTConfig.from_json_file(harness.PRESETS / f"neuript-{args.preset}.json")

    rows = []
    for num_experts in [int(e) for e in args.experts.split(",")]:
        top_k = config.experts_per_token(num_experts)
        active = config.shared_expert_intermediate_size + top_k * config.expert_intermediate_size
        torch.manual_seed(0)
        moe = NeurIPTProgressiveMoE(config, num_experts).to(device)
        for p in moe.parameters():
            torch.nn.init.normal_(p, std=0.02)
        dense = NeurIPTMLP(config, active).to(device)
        x = torch.randn(args.tokens, config.hidden_size, device=device, requires_grad=True)
        for mode in ("forward", "forward+backward"):
            def make(fn):
                def step():
                    with torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype != torch.float32):
                        if mode == "forward":
                            with torch.no_grad():
                                return fn(x)
                        out = fn(x)
                    out.float().sum().backward()
                return step

            fns = {"dense": make(lambda h: dense(h))}

            def moe_step(h, implementation):
                moe.experts.config._experts_implementation = implementation
                return moe(h)[0]

            for implementation in args.implementations.split(","):
                fns[implementation] = make(lambda h, impl=implementation: moe_step(h, impl))
            timings = harness.measure_interleaved(fns, device, warmup=2, repeats=args.repeats)
            dense_seconds = timings["dense"][0]
            row = {"E": num_experts, "k": top_k, "active width": active, "tokens": args.tokens, "mode": mode,
                   "dtype": args.dtype, "dense ms": harness.fmt(dense_seconds * 1e3)}
            for implementation in args.implementations.split(","):
                seconds = timings[implementation][0]
                row[f"PMoE {implementation} ms"] = harness.fmt(seconds * 1e3)
                row[f"{implementation} / dense"] = f"{seconds / dense_seconds:.2f}"
            rows.append(row)
            print(row, flush=True)

    if args.profile:  # the last (largest) E, forward + backward: dense, then the first implementation
        implementation = args.implementations.split(",")[0]
        kind = torch.device(device).type
        name = f"{kind}_pmoe_{args.preset}_E{num_experts}_{args.tokens}_tokens_{args.dtype}.txt"
        path = harness.REPO / "docs" / "profiles" / name
        text = f"PMoE (E = {num_experts}, {implementation}) vs dense SwiGLU, {args.tokens} tokens, forward + backward, "
        text += f"{args.dtype}, {harness.machine_info()}\n"
        for label in ("dense", implementation):
            text += f"\n== {label}\n" + harness.profile_table(fns[label], device, steps=3, rows=25) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"profile written to {path}")

    columns = list(rows[0].keys())
    table = harness.markdown_table(rows, columns)
    print(table)
    if args.record:
        harness.append_section(f"PMoE layer vs dense SwiGLU of equal active width ({device}, {args.preset})", table)
    return rows


if __name__ == "__main__":
    main()
