"""`neuript benchmark`: is NeurIPT worth it on my data? NeurIPT (the fine-tuning recipe of `neuript finetune`) and the
compact baselines (`modeling_neuript.training.baselines`) on the same windows, splits and seeds, in one command.

    neuript benchmark --dataset prepared/mine --task left_vs_right --split loso,within --seeds 0 1 2
    neuript benchmark --dataset my_trials-epo.fif --split given

`--dataset` is a folder written by `neuript prepare` (events mode) or a trial file (`-epo.fif`, `.npz`; see
`modeling_neuript.data.trials`), prepared on the way. `--split` takes split specs (`loso:<subject>`,
`within:<subject>`, `given`) and the shorthands `loso` (every subject held out in turn), `within` (every subject,
time-ordered) and `auto` (`given` when the dataset carries an assignment, else `loso` and `within` with two subjects
or more, else `within`). Writes `report.md` (one table: mean ± std over folds × seeds, per split kind) and
`results.json` (every run) under `--output_dir`.
"""

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch

METRICS = ("balanced_accuracy", "cohen_kappa", "roc_auc")
SPLIT_KINDS = {"loso": "leave one subject out", "within": "within subject (time-ordered)", "given": "given split"}


@dataclass
class BenchmarkArguments:
    dataset: str = field(metadata={"help": "A folder written by `neuript prepare` (events mode) or a trial file (-epo.fif, .npz)."})
    task: Optional[str] = field(default=None, metadata={"help": "A `tasks:` entry of the recipe; default: the dataset's labels."})
    split: str = field(default="auto", metadata={"help": (
        "Comma separated split specs (loso:<subject>, within:<subject>, given) or shorthands: loso, within, auto "
        "(given if the dataset has one, else loso and within).")})
    model: str = field(default="neuript-tiny-patch4", metadata={"help": "NeurIPT to fine-tune: a checkpoint folder or a preset."})
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2], metadata={"help": "Seeds (each run trains with seed 520 + s)."})
    output_dir: str = field(default="outputs/benchmark", metadata={"help": "Where runs, report.md and results.json go."})
    baselines: str = field(default="all", metadata={"help": "'all' (with EEGNet and ShallowFBCSPNet) or 'fast' (logistic regressions and tangent space)."})
    num_train_epochs: Optional[float] = field(default=None, metadata={"help": "NeurIPT epochs; default: the recipe's, as in neuript finetune."})
    learning_rate: Optional[float] = field(default=None, metadata={"help": "NeurIPT peak learning rate; default: the recipe's."})
    workers: int = field(default=1, metadata={"help": "NeurIPT runs in parallel processes (threads are shared among them)."})
    channel_positions: Optional[str] = field(default=None, metadata={"help": (
        "Trial files only: a JSON file {name: [x, y, z]} (metres) or a montage name for channels without a standard "
        "name; default: the file's own.")})


# ----------------------------------------------------------------------------------------------------------------------
# Fine-tuning runs, possibly in parallel processes (shared by the demo)
# ----------------------------------------------------------------------------------------------------------------------


def worker_setup(threads: int) -> None:
    import transformers
    from datasets import disable_progress_bars

    from modeling_neuript.training.memory import keep_freed_memory

    keep_freed_memory()  # a fresh process: the parent's setting is not inherited
    torch.set_num_threads(threads)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # per-run bars from two processes would garble the overall one
    disable_progress_bars()


def finetune_job(job: dict) -> dict:
    """One `neuript finetune` run (in a worker process or in this one); returns what a report needs (picklable)."""
    import contextlib
    import io

    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments, finetune

    with contextlib.redirect_stdout(io.StringIO()):  # finetune prints its table; the report has it
        result = finetune(FinetuneArguments(**job["args"]), FinetuneTrainingArguments(**job["training_args"]))
    return {"test": result["test"], "log_history": result["log_history"], "sizes": result["sizes"],
            "test_logits": np.asarray(result["test_logits"]), "test_labels": np.asarray(result["test_labels"])}


def run_finetune_jobs(jobs: list[dict], workers: int, progress: Callable) -> list[dict]:
    """Run fine-tuning jobs; results in the order of `jobs`.

    The tiny preset on a few channels is too small to keep two cores busy through intra-op threads, so with
    `workers > 1` independent runs go to separate processes that share the threads. Each run is seeded and writes its
    own folder, so the results do not depend on the order the runs finish in.
    """
    if workers <= 1:
        return [finetune_job(job) for job in progress(jobs, desc="fine-tuning runs")]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, torch.get_num_threads() // workers)
    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")  # fork after torch has started threads is unsafe
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker_setup, initargs=(threads,)) as pool:
        futures = {pool.submit(finetune_job, job): i for i, job in enumerate(jobs)}
        for future in progress(as_completed(futures), total=len(jobs), desc=f"fine-tuning runs ({workers} processes)"):
            results[futures[future]] = future.result()
    return results


# ----------------------------------------------------------------------------------------------------------------------
# Splits, tables
# ----------------------------------------------------------------------------------------------------------------------


def expand_splits(spec: str, subjects, has_given: bool) -> list[str]:
    """Split specs from `--split` (shorthands expanded, in a stable order)."""
    everyone = sorted(set(subjects))
    out = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        if part == "auto":
            if has_given:
                out.append("given")
            else:
                out += ([f"loso:{s}" for s in everyone] if len(everyone) > 1 else []) + [f"within:{s}" for s in everyone]
        elif part == "loso":
            if len(everyone) < 2:
                raise ValueError(f"loso needs two subjects or more; the dataset has {everyone}.")
            out += [f"loso:{s}" for s in everyone]
        elif part == "within":
            out += [f"within:{s}" for s in everyone]
        else:
            out.append(part)
    if "given" in out and not has_given:
        raise ValueError("split 'given' needs a dataset with a train/test assignment (a trial file's split array or "
                         "metadata column).")
    return list(dict.fromkeys(out))


def split_kind(spec: str) -> str:
    return SPLIT_KINDS.get(spec.split(":")[0], spec)


def summarise(rows: list[dict], by=("task", "split_kind", "method")) -> list[dict]:
    """mean ± std (population) over folds × seeds per group; groups in first-seen order."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in by), []).append(row)
    table = []
    for key, members in groups.items():
        entry = {**dict(zip(by, key)), "runs": len(members)}
        for metric in METRICS:
            values = np.array([m[metric] for m in members if m.get(metric) is not None], dtype=float)
            entry[metric] = (float(values.mean()), float(values.std())) if len(values) else None
        table.append(entry)
    return table


def markdown_table(table: list[dict], by: Sequence[str] = ("task", "split_kind", "method"),
                   metrics: Sequence[str] = METRICS, names: Optional[dict] = None) -> str:
    """A markdown table of `summarise` output: the `by` columns, `mean ± std` per metric, and the run count."""
    names = {"split_kind": "split", "balanced_accuracy": "BAcc", "cohen_kappa": "κ", "roc_auc": "AUROC", **(names or {})}
    header = [names.get(k, k) for k in (*by, *metrics)] + ["runs"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in table:
        cells = [str(entry[k]) for k in by]
        cells += ["—" if entry[m] is None else f"{entry[m][0]:.3f} ± {entry[m][1]:.3f}" for m in metrics]
        lines.append("| " + " | ".join(cells + [str(entry["runs"])]) + " |")
    return "\n".join(lines)


def verdict(table: list[dict], ours: str = "NeurIPT", baselines=None) -> str:
    """One line per task and split kind: where `ours` stands against the best baseline (balanced accuracy)."""
    from modeling_neuript.training.baselines import BASELINES

    baselines = baselines or BASELINES
    lines = []
    for task, kind in dict.fromkeys((e["task"], e["split_kind"]) for e in table):
        entries = {e["method"]: e["balanced_accuracy"][0] for e in table if e["task"] == task and e["split_kind"] == kind
                   and e["balanced_accuracy"] is not None}
        if ours not in entries:
            continue
        others = [(v, k) for k, v in entries.items() if k in baselines]
        if not others:
            continue
        best, name = max(others)
        relation = "above" if entries[ours] > best else "level with" if entries[ours] == best else "below"
        lines.append(f"- {task}, {kind}: {ours} BAcc {entries[ours]:.3f} is {relation} the best baseline "
                     f"({name}, {best:.3f}).")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------------------------


def benchmark(args: BenchmarkArguments) -> dict:
    import transformers
    from datasets import disable_progress_bars
    from tqdm.auto import tqdm

    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.data.splits import task_labels
    from modeling_neuript.data.trials import ensure_prepared
    from modeling_neuript.training.baselines import (
        BASELINES,
        FAST_BASELINES,
        available_baselines,
        baselines_on_jobs,
    )

    transformers.logging.set_verbosity_error()
    disable_progress_bars()
    if args.baselines not in ("all", "fast"):
        raise ValueError(f"baselines must be 'all' or 'fast', got {args.baselines!r}.")
    if not args.seeds:
        raise ValueError("--seeds needs at least one seed, e.g. --seeds 0 1 2.")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    dataset_path = ensure_prepared(args.dataset, out, args.channel_positions)
    dataset, extractor, manifest = load_prepared(dataset_path)
    _, names = task_labels(manifest, args.task)
    specs = expand_splits(args.split, dataset["subject"], "fold" in dataset.column_names and any(dataset["fold"]))
    task = args.task or "labels"
    print(f"neuript benchmark: {dataset_path}, task {task} ({', '.join(names)}), {len(specs)} split(s) × "
          f"{len(args.seeds)} seed(s), NeurIPT = {args.model}, baselines: {args.baselines}")

    training = {}
    if args.num_train_epochs is not None:
        training["num_train_epochs"] = args.num_train_epochs
    if args.learning_rate is not None:
        training["learning_rate"] = args.learning_rate
    jobs = []
    for spec in specs:
        for seed in args.seeds:
            run_dir = out / "runs" / spec.replace(":", "-") / f"seed{seed}"
            jobs.append({"spec": spec, "task": args.task, "seed": seed, "run_dir": str(run_dir),
                         "args": dict(dataset=dataset_path, task=args.task, split=spec, model=args.model,
                                      metrics=",".join(METRICS), baselines="none"),
                         "training_args": dict(output_dir=str(run_dir), seed=520 + seed, save_total_limit=1,
                                               disable_tqdm=args.workers > 1, **training)})
    results = run_finetune_jobs(jobs, args.workers, tqdm)

    methods, note = available_baselines(BASELINES if args.baselines == "all" else FAST_BASELINES)
    if note:
        print(note)
    rows = []
    for job, result in zip(jobs, results):
        rows.append({"task": task, "split": job["spec"], "split_kind": split_kind(job["spec"]), "method": "NeurIPT",
                     "seed": job["seed"], **{m: result["test"].get(f"test_{m}") for m in METRICS}})
    for job, row in baselines_on_jobs(dataset, extractor, manifest, jobs, methods):  # each run's own indices
        rows.append({"task": task, "split": job["spec"], "split_kind": split_kind(job["spec"]), **row,
                     "seed": job["seed"]})
    table = summarise(rows)
    text = markdown_table(table)
    lines = verdict(table)
    seconds = time.perf_counter() - start
    (out / "results.json").write_text(json.dumps({"rows": rows, "table": table, "args": asdict(args),
                                                  "splits": specs, "seconds": seconds}, indent=2, default=float))
    channels, samples = np.asarray(dataset[0]["input_values"]).shape
    (out / "report.md").write_text(
        f"# neuript benchmark\n\nDataset: `{args.dataset}` ({len(dataset)} windows, {channels} channels, "
        f"{samples} samples at {extractor.sampling_rate} Hz); task {task} ({', '.join(names)}); splits "
        f"{', '.join(specs)}; seeds {list(args.seeds)}; NeurIPT: `{args.model}` fine-tuned with the recipe of "
        f"`neuript finetune`. Mean ± std over folds × seeds; every method saw the same training, validation and test "
        f"windows.{' ' + note if note else ''}\n\n{text}\n\n{lines}\n\nWall time: {seconds:.0f} s.\n")
    print(text)
    print(lines)
    print(f"report: {out / 'report.md'}")
    return {"rows": rows, "table": table}


def run_benchmark(args: BenchmarkArguments) -> int:
    benchmark(args)
    return 0


__all__ = ["BenchmarkArguments", "benchmark", "expand_splits", "markdown_table", "run_finetune_jobs", "summarise",
           "verdict"]
