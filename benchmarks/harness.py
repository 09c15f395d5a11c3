"""Shared helpers of the NeurIPT benchmark scripts (plain scripts, not tests).

What every script gets from here:

* `setup(threads)` — fixed thread count, deterministic seeds, and glibc told to keep freed memory as the training
  commands do (`modeling_neuript.training.memory.keep_freed_memory`; `NEURIPT_GLIBC_DEFAULT=1` times glibc's defaults instead);
* `measure(fn)` — median wall time of repeated calls after warm-up, with device synchronisation;
* `count_flops(fn)` — FLOPs of one call with `torch.utils.flop_counter.FlopCounterMode` (matmuls, convolutions and
  attention count; element-wise work does not, which is the usual MFU convention);
* `gemm_roofline(...)` — the achieved GEMM rate of this machine in the same run, the ceiling model FLOP/s are
  compared with on CPU (on GPU we quote model-FLOPs utilisation against the card's dense peak instead);
* `load_model_module(rev)` — the modeling file of an older git revision, to time the code before an optimisation in
  the same run as the code after it (the ratio of one run decides: this machine kind is noisy);
* `append_section(...)` — results appended to `docs/benchmarks.md` with date, machine, torch version and command.
"""

import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import torch
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
PRESETS = REPO / "configuration"

# Dense (no sparsity) peak matrix rates of known accelerators, TFLOP/s, for model-FLOPs utilisation.
GPU_PEAK_TFLOPS = {
    ("H100", torch.bfloat16): 790.0,  # the figure the performance issue uses (SXM dense bf16 ≈ 989; PCIe ≈ 756)
    ("H100", torch.float32): 67.0,  # non-tensor-core fp32; TF32 tensor cores ≈ 495
    # H200: the H100 SXM's processor (datasheet dense bf16 ≈ 989); quoted against the 790 so that H100 and
    # H200 utilisations compare (an 8192³ bf16 matmul measured 769–798 TFLOP/s on both kinds of this workplace).
    ("H200", torch.bfloat16): 790.0,
    ("H200", torch.float32): 67.0,
    ("A100", torch.bfloat16): 312.0,
    ("A100", torch.float32): 19.5,
    ("4090", torch.bfloat16): 165.0,
    ("4090", torch.float32): 82.6,
}


def setup(threads: Optional[int] = None, seed: int = 0) -> None:
    if os.environ.get("NEURIPT_GLIBC_DEFAULT") != "1":
        from modeling_neuript.training.memory import keep_freed_memory

        keep_freed_memory()
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def measure(fn: Callable[[], object], device="cpu", warmup: int = 1, repeats: int = 5, min_seconds: float = 0.0):
    """Median seconds of one `fn()` over `repeats` timed calls (at least `min_seconds` in all) after `warmup` calls.
    Returns `(median, all_times)`."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    start_all = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start_all < min_seconds:
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
        if len(times) >= 200:
            break
    return statistics.median(times), times


def measure_interleaved(fns: dict, device="cpu", warmup: int = 1, repeats: int = 5):
    """Median seconds of each of several callables, timed in alternation (A B A B ...) so that a noisy, shared
    machine slows all of them alike; the ratio of two medians of one call is what comparisons should quote.
    Returns `{name: (median, all_times)}`."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync(device)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(values), values) for name, values in times.items()}


def profile_table(fn: Callable[[], object], device="cpu", steps: int = 3, rows: int = 30, warmup: int = 2) -> str:
    """`torch.profiler` table of `steps` calls of `fn` after `warmup` calls, operators sorted by their own device time
    (CUDA) or CPU time: where the time goes, largest line first."""
    for _ in range(warmup):  # kernel selection, allocator
        fn()
    sync(device)
    activities = [torch.profiler.ProfilerActivity.CPU]
    if torch.device(device).type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        for _ in range(steps):
            fn()
        sync(device)
    sort = "self_cuda_time_total" if torch.device(device).type == "cuda" else "self_cpu_time_total"
    return profiler.key_averages().table(sort_by=sort, row_limit=rows, max_name_column_width=60)


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of `fn` (forward and, if `fn` calls it, backward)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def gemm_roofline(device="cpu", dtype=torch.float32, shapes=None, repeats: int = 5) -> dict:
    """Achieved GEMM rate in GFLOP/s: the best of a few matmul shapes (the model's own token×hidden shapes among them).
    Returns `{"best": gflops, "<M>x<K>x<N>": gflops, ...}`."""
    if shapes is None:
        shapes = [(2048, 2048, 2048), (8192, 256, 768), (8192, 768, 1536), (8192, 768, 768)]
    out = {}
    for m, k, n in shapes:
        a = torch.randn(m, k, device=device, dtype=dtype)
        b = torch.randn(k, n, device=device, dtype=dtype)
        seconds, _ = measure(lambda: torch.mm(a, b), device, warmup=2, repeats=repeats)
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / seconds / 1e9
    out["best"] = max(out.values())
    return out


def machine_info() -> str:
    parts = [platform.machine(), f"{os.cpu_count()} logical CPUs", f"torch {torch.__version__}"]
    try:
        import transformers

        parts.append(f"transformers {transformers.__version__}")
    except ImportError:  # pragma: no cover
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover
        pass
    if cpu:
        parts.insert(0, cpu)
    if torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name()} (CUDA {torch.version.cuda})")
    parts.append(f"{torch.get_num_threads()} torch threads")
    return ", ".join(parts)


def gpu_peak_tflops(dtype) -> Optional[float]:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    for (key, peak_dtype), value in GPU_PEAK_TFLOPS.items():
        if key in name and peak_dtype == dtype:
            return value
    return None


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "modeling_neuript"], cwd=REPO, capture_output=True,
                               text=True).stdout
        return rev.strip() + ("+dirty" if dirty.strip() else "")
    except OSError:  # pragma: no cover
        return "unknown"


def load_model_module(rev: Optional[str]):
    """`modeling_neuript.modeling_neuript` as it is now (`rev=None`) or at git revision `rev`, loaded as a sibling
    module of the package (its relative imports resolve to today's configuration and electrode files)."""
    import modeling_neuript  # noqa: F401  (registers the package)

    if rev is None:
        from modeling_neuript import modeling_neuript as module

        return module
    source = subprocess.run(
        ["git", "show", f"{rev}:modeling_neuript/modeling_neuript.py"], cwd=REPO, capture_output=True, text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="neuript_rev_")) / "modeling_neuript.py"
    path.write_text(source)
    name = f"modeling_neuript._modeling_at_{rev.replace('-', '_').replace('~', '_').replace('^', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "modeling_neuript"
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def append_section(title: str, body: str, command: Optional[str] = None, path: Path = DOCS) -> None:
    """Append one dated result section to `docs/benchmarks.md` (never rewrites what is there)."""
    command = command or " ".join(["python"] + sys.argv)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = (
        f"\n### {title} — {stamp}\n\n"
        f"- machine: {machine_info()}\n- code: `{git_revision()}`\n- command: `{command}`\n\n{body}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("# Benchmarks\n")
    with path.open("a") as handle:
        handle.write(text)


def fmt(value, digits=3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value == 0:
            return "0"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        return f"{value:.{digits}g}"
    return str(value)
