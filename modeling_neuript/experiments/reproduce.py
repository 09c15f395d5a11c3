"""`neuript reproduce <experiment>`: the paper's claims at small scale on real EEG, one command each.

    neuript reproduce aamp_vs_random            # default size: <= 20 min on 2 CPU cores (aim: <= 8)
    neuript reproduce pretrained_vs_scratch --quick          # CI size, < 1 min
    neuript reproduce experts --full --seeds 0 1 2 3 4       # GPU size

Experiments (modules in `modeling_neuript/experiments/`, recipes in `configuration/reproduce/<name>.yaml`):
    aamp_vs_random         AAMP vs random masking at the same ratio, frozen-encoder linear probe on held-out
                           subjects (paper Table 8), and the AAMP mask-ratio sweep (Table 9)
    pretrained_vs_scratch  fine-tuning from the AAMP checkpoint vs from random init, with 1/5/10/100 % of the
                           training labels (Table 12)
    experts                progressive experts vs none vs uniform at matched active parameters (Table 3)
    pooling                IILP vs mean pooling vs hemisphere/sagittal/coronal grouping (Table 5)
    positions              3-D sinusoidal positions vs learned per-channel embeddings, incl. an unseen montage (Table 11)
    pictures               AAMP masks and reconstructions, perturbation topomaps, expert participation per class

Each run writes `<output_dir>/<experiment>.md` (tables as mean ± std over seeds, the exact command, date, machine,
versions, runtime), `<output_dir>/<experiment>.json` (every raw number) and the PNG(s) the experiment drew.
Prepared data and pretrained checkpoints are cached in `--cache_dir` and reused across experiments and reruns.
"""

import importlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

EXPERIMENTS = ("aamp_vs_random", "pretrained_vs_scratch", "experts", "pooling", "positions", "pictures")
# Experiments whose tables hold downstream accuracy: their report gains the compact baselines on the same windows,
# splits and seeds, computed in the same run (`pretrained_vs_scratch` per label fraction).
WITH_BASELINES = ("aamp_vs_random", "pretrained_vs_scratch", "experts", "pooling", "positions", "pictures")


@dataclass
class ReproduceArguments:
    experiment: str = field(
        metadata={"help": f"Which experiment: `neuript reproduce <experiment>` (the first word after the command) or "
                          f"--experiment <experiment>; one of {', '.join(EXPERIMENTS)}."}
    )
    quick: bool = field(default=False, metadata={"help": "The CI size (about a minute; its numbers mean nothing)."})
    full: bool = field(default=False, metadata={"help": "The GPU size (larger model, more steps)."})
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2], metadata={"help": "Seeds, e.g. --seeds 0 1 2; tables give mean ± std over them."})
    output_dir: str = field(
        default="outputs/reproduce",
        metadata={"help": "Where <experiment>.md/.json/.png are written (the committed reports are in docs/results/)."},
    )
    cache_dir: str = field(
        default="outputs/reproduce-cache",
        metadata={"help": "Prepared data and pretrained checkpoints shared by the experiments (reused when present)."},
    )
    threads: Optional[int] = field(default=None, metadata={"help": "torch.set_num_threads (default: torch's)."})


def command_line(args: ReproduceArguments) -> str:
    """The command that reproduces a run with these arguments."""
    parts = ["neuript reproduce", args.experiment]
    if args.quick:
        parts.append("--quick")
    if args.full:
        parts.append("--full")
    parts.append("--seeds " + " ".join(str(s) for s in args.seeds))
    defaults = ReproduceArguments(experiment=args.experiment)
    for name in ("output_dir", "cache_dir", "threads"):
        if getattr(args, name) != getattr(defaults, name):
            parts.append(f"--{name} {getattr(args, name)}")
    return " ".join(parts)


def run_experiment(args: ReproduceArguments) -> dict:
    """Run one experiment and write its report; returns the experiment's result dict (plus runtime and paths)."""
    import torch

    from modeling_neuript.experiments.common import environment, size_name

    if args.experiment not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {args.experiment!r}; choose one of {', '.join(EXPERIMENTS)}.")
    size = size_name(args)
    try:
        module = importlib.import_module(f"modeling_neuript.experiments.{args.experiment}")
    except ModuleNotFoundError as error:
        if error.name != f"modeling_neuript.experiments.{args.experiment}":
            raise
        raise ValueError(f"Experiment {args.experiment!r} is not implemented yet (no module {error.name}).") from None
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    result = module.run(args)
    if args.experiment in WITH_BASELINES:
        result = with_baselines(args, result)
    runtime = time.perf_counter() - tic
    for key in ("rows", "summary"):
        if key not in result:
            raise ValueError(f"Experiment {args.experiment} returned no {key!r}; run() must return rows and summary.")
    env = environment()
    command = command_line(args)
    figures = [Path(f) for f in result.get("figures", [])]
    images = "\n".join(f"![{f.stem}]({f.name})" for f in figures)
    title = result.get("title", args.experiment)
    report = f"""# {title}

Command: `{command}` ({size} size)
Run: {env['date']}, {env['machine']}, {env['device']}, {env['torch_threads']} torch threads, torch {env['torch']},
transformers {env['transformers']}; wall time {runtime / 60:.1f} min.

{result['summary'].strip()}

{result.get('notes', '').strip()}

{images}
"""
    (out / f"{args.experiment}.md").write_text(report.rstrip() + "\n")
    payload = {"experiment": args.experiment, "command": command, "size": size, "runtime_s": runtime,
               "environment": env, "arguments": asdict(args), "settings": result.get("settings", {}),
               "rows": result["rows"], "figures": [f.name for f in figures]}
    (out / f"{args.experiment}.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(report)
    return {**result, "runtime_s": runtime, "report": str(out / f"{args.experiment}.md")}


def with_baselines(args: ReproduceArguments, result: dict) -> dict:
    """`result` with the baseline rows (marked `"baseline": True`) and their table appended to its summary."""
    from modeling_neuript.experiments import common

    recipe = common.load_recipe(args)
    if args.experiment == "pictures":  # its classifier is fine-tuned and tested on the first split only
        recipe = {**recipe, "splits": recipe["splits"][:1]}
    events = common.prepare_face13(common.cache_dir(args), recipe["sites"])
    fractions = recipe.get("label_fractions") if args.experiment == "pretrained_vs_scratch" else None
    rows = common.baseline_rows(events, recipe, fractions or (1.0,))
    by = ("label_fraction", "method") if fractions else ("method",)
    if fractions:
        rows = [{**r, "label_fraction": f"{r['label_fraction']:.3g}"} for r in rows]
    summary = result["summary"].rstrip() + "\n\n" + common.baseline_section(rows, by)
    return {**result, "summary": summary, "rows": result["rows"] + [{**r, "baseline": True} for r in rows]}


def run_reproduce(args: ReproduceArguments) -> int:
    import transformers
    from datasets import disable_progress_bars

    transformers.logging.set_verbosity_error()
    disable_progress_bars()
    run_experiment(args)
    return 0
