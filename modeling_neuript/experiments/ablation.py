"""`neuript ablation`: the recipe's ablation on the demo's six cells, one change per arm (docs/ablation.md).

    neuript demo --output_dir outputs/demo                        # once: data, AAMP checkpoint, the recipe's runs
    neuript ablation --demo_dir outputs/demo --arms lr_1e-3,scratch

Every arm of `configuration/ablation-face13.yaml` fine-tunes NeurIPT on the demo's prepared Face13 windows, tasks,
splits and seeds exactly as the demo did (same jobs, seeds 520 + s, same worker count), except for the one thing the arm
changes (a fine-tuning option, a Trainer option, the init, the model config or the labelled windows). The demo's own
runs are the `recipe` arm: they are read from its `report/results.json`, not rerun. Rows are appended to
`<output_dir>/results.jsonl` as each arm finishes (a rerun skips the arms and seeds already there), and
`<output_dir>/report.md` tabulates every arm: NeurIPT's balanced accuracy per cell, the mean over its cells and the
difference from the arm it is compared with, beside the baselines where the arm's windows or training sets differ
from the demo's.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import yaml

from modeling_neuript.experiments.demo import METRIC_NAMES as METRICS
from modeling_neuript.experiments.demo import finetune_job_spec
from modeling_neuript.resources import resource_path
from modeling_neuript.training.benchmark import SPLIT_KINDS, run_finetune_jobs

ARMS_FILE = "ablation-face13.yaml"
RECIPE_ARM = "recipe"


@dataclass
class AblationArguments:
    demo_dir: str = field(default="outputs/demo", metadata={"help": (
        "A finished `neuript demo` folder (its data/, pretrain/model and report/results.json).")})
    arms: Optional[str] = field(default=None, metadata={"help": (
        "Comma separated arms of configuration/ablation-face13.yaml (default: every arm).")})
    seeds: Optional[list[int]] = field(default=None, metadata={"help": (
        "Fine-tuning seeds (run s trains with seed 520 + s); default: the demo's.")})
    output_dir: str = field(default="outputs/ablation", metadata={"help": "Where results.jsonl and report.md go."})
    workers: int = field(default=2, metadata={"help": "Fine-tuning runs in parallel processes (as in neuript demo)."})
    arms_file: Optional[str] = field(default=None, metadata={"help": (
        "A YAML of arms in the format of configuration/ablation-face13.yaml (default: that file).")})


def load_arms(path: Optional[str] = None) -> dict:
    return yaml.safe_load(Path(path or resource_path("configuration", ARMS_FILE)).read_text())


def demo_state(demo_dir: Path) -> dict:
    """What the demo left: its results, the prepared labelled windows and the AAMP checkpoint."""
    results = demo_dir / "report" / "results.json"
    labelled, checkpoint = demo_dir / "data" / "face13", demo_dir / "pretrain" / "model"
    missing = [str(p) for p in (results, labelled / "manifest.json", checkpoint / "config.json") if not p.exists()]
    if missing:
        raise ValueError(f"{demo_dir} is not a finished `neuript demo` folder (missing: {', '.join(missing)}); run "
                         f"`neuript demo --output_dir {demo_dir}` first (its runs are the ablation's reference).")
    recorded = json.loads(results.read_text())
    from modeling_neuript.training.finetune import RECIPE

    ran = recorded.get("recipe", RECIPE)  # folders of demos older than the record: taken as today's recipe
    changed = [f"{k}: {ran.get(k)!r} there, {RECIPE.get(k)!r} now" for k in sorted(set(RECIPE) | set(ran))
               if ran.get(k) != RECIPE.get(k)]
    if changed:  # an arm's unchanged options come from today's recipe: it must be the one the demo ran
        raise ValueError(f"{demo_dir} was made with another fine-tuning recipe ({'; '.join(changed)}); rerun `neuript "
                         f"demo --output_dir {demo_dir}` so that each arm changes one thing against the recipe it runs with.")
    return {"results": recorded, "labelled": labelled, "checkpoint": checkpoint,
            "sites": recorded["sizes"]["sites"], "model": recorded["args"]["model"],
            "seeds": recorded["sizes"]["seeds"], "epochs": recorded["sizes"]["epochs"],
            "learning_rate": recorded["sizes"]["finetune_learning_rate"],
            "splits": sorted({r["split"] for r in recorded["rows"]}, key=lambda s: (s.split(":")[0] != "loso", s)),
            "tasks": recorded["sizes"]["tasks"]}


def arm_dataset(arm: dict, state: dict, demo_dir: Path, name: str) -> Path:
    """The labelled windows an arm trains on: the demo's, or the demo's recipe with the arm's `data:` changes."""
    from modeling_neuript.data.prepare import prepare_recipe

    data = dict(arm.get("data") or {})
    if not data:
        return state["labelled"]
    window_seconds = data.pop("window_seconds", None)
    return prepare_recipe("face13", state["sites"], demo_dir / "data", window_seconds, overrides=data, variant=name)


def big_pretraining_checkpoint(settings: dict, state: dict, demo_dir: Path, out: Path) -> Path:
    """AAMP on every unlabelled window available (the `big_pretraining:` section): each recipe prepared at the
    given sites, merged, then `neuript pretrain` from the demo's model preset."""
    from modeling_neuript.data.prepare import merge_prepared, prepare_recipe
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    checkpoint = out / "big_pretraining" / "model"
    if (checkpoint / "model.safetensors").exists():
        return checkpoint
    folders = [prepare_recipe(recipe, settings["sites"], demo_dir / "data", settings["window_seconds"],
                              overrides=overrides, variant="all-unlabelled")
               for recipe, overrides in settings["recipes"].items()]
    merged = merge_prepared(folders, demo_dir / "data" / "all-unlabelled")
    pretrain(PretrainArguments(
        dataset=str(merged), output_dir=str(out / "big_pretraining"), model=state["model"],
        max_steps=settings["max_steps"], per_device_batch_size=settings["per_device_batch_size"],
        learning_rate=settings["learning_rate"], save_steps=settings["max_steps"], logging_steps=10, report_to="none",
    ))
    return checkpoint


def arm_model(name: str, arm: dict, state: dict, spec: dict, demo_dir: Path, out: Path) -> str:
    from modeling_neuript.training.factory import resolve_config

    init = arm.get("init", "pretrained")
    if arm.get("model"):
        if init != "scratch":
            raise ValueError(f"Arm {name!r}: model config changes need init: scratch (the checkpoint's weights were "
                             "trained with its own config).")
        path = out / "configs" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        resolve_config(state["model"], **arm["model"]).to_json_file(path)
        return str(path)
    if init == "scratch":
        return state["model"]
    if init == "pretrained":
        return str(state["checkpoint"])
    if init == "big_pretraining":
        return str(big_pretraining_checkpoint(spec["big_pretraining"], state, demo_dir, out))
    raise ValueError(f"Arm {name!r}: unknown init {init!r} (pretrained, scratch or big_pretraining).")


def run_arm(name: str, arm: dict, state: dict, spec: dict, seeds: list, demo_dir: Path, out: Path, workers: int,
            done: set) -> list[dict]:
    """The arm's fine-tuning jobs (those not in `done`), built as `neuript demo` builds its own, and their rows."""
    from tqdm.auto import tqdm

    dataset = arm_dataset(arm, state, demo_dir, name)
    model = arm_model(name, arm, state, spec, demo_dir, out)
    jobs = []
    for task in state["tasks"]:
        for split in arm.get("splits") or state["splits"]:
            for seed in seeds:
                if (name, task, split, seed) in done:
                    continue
                run_dir = out / "runs" / name / task / split.replace(":", "-") / f"seed{seed}"
                jobs.append(finetune_job_spec(dataset, run_dir, task, split, model, seed, state["epochs"],
                                              state["learning_rate"], True, arm.get("finetune"), arm.get("training")))
    if not jobs:
        return []
    start = time.perf_counter()
    results = run_finetune_jobs(jobs, workers, tqdm)
    seconds = (time.perf_counter() - start) / len(jobs)
    rows = [{"arm": name, "method": "NeurIPT", "task": job["task"], "split": job["split"], "seed": job["seed"],
             "seconds_per_run": seconds, **{m: result["test"].get(f"test_{m}") for m in METRICS.split(",")}}
            for job, result in zip(jobs, results)]
    if arm.get("baselines"):
        rows += arm_baselines(name, dataset, jobs)
    return rows


def arm_baselines(name: str, dataset: Path, jobs: list) -> list[dict]:
    from modeling_neuript.data.reading import load_prepared
    from modeling_neuript.training.baselines import BASELINES, available_baselines, baselines_on_jobs

    windows_set, extractor, manifest = load_prepared(dataset)
    methods, _ = available_baselines(BASELINES)
    return [{"arm": name, "task": job["task"], "split": job["split"], "seed": job["seed"],
             **{k: row[k] for k in ("method", *METRICS.split(",")) if k in row}}
            for job, row in baselines_on_jobs(windows_set, extractor, manifest, jobs, methods)]


def recipe_rows(state: dict) -> list[dict]:
    """The demo's own runs and baselines, as rows of the `recipe` arm."""
    rows = []
    for row in state["results"]["rows"]:
        method = "NeurIPT" if row["method"] == "NeurIPT pretrained" else row["method"]
        if row["method"] == "NeurIPT from scratch":
            continue
        rows.append({"arm": RECIPE_ARM, "method": method, **{k: row[k] for k in ("task", "split", "seed")},
                     **{m: row.get(m) for m in METRICS.split(",")}})
    return rows


def cell_of(task: str, split: str) -> str:
    """The report's cell: task × split kind (both folds of a kind, e.g. loso:s01 and loso:s02, are one cell)."""
    return f"{task}, {SPLIT_KINDS.get(split.split(':')[0], split)}"


def report(rows: list[dict], spec: dict, names: list) -> str:
    """One line per arm: NeurIPT's mean BAcc over its runs, Δ from the arm it is compared with on the runs (fold and
    seed) both have, and the best baseline's mean where the arm has baselines; then NeurIPT per cell (task × split
    kind, mean over folds and seeds)."""
    def runs_of(arm, method="NeurIPT"):
        return {(r["task"], r["split"], r["seed"]): r["balanced_accuracy"] for r in rows
                if r["arm"] == arm and r["method"] == method}

    def cells_of(arm, method="NeurIPT"):
        values = {}
        for (task, split, _), value in runs_of(arm, method).items():
            values.setdefault(cell_of(task, split), []).append(value)
        return {cell: float(np.mean(v)) for cell, v in values.items()}

    arms = [name for name in [RECIPE_ARM, *names] if runs_of(name)]
    lines = ["| arm | what changes | folds | seeds | NeurIPT mean BAcc | compared with | Δ | best baseline (mean BAcc) |",
             "|---|---|---|---|---|---|---|---|"]
    for name in arms:
        arm = spec["arms"].get(name, {})
        mine = runs_of(name)
        folds = len({(task, split) for task, split, _ in mine})
        seeds = len({seed for _, _, seed in mine})
        reference = arm.get("compare_with", RECIPE_ARM) if name != RECIPE_ARM else None
        delta, against = "", ""
        if reference:
            base = runs_of(reference)
            common = [key for key in mine if key in base]
            if common:
                delta = f"{np.mean([mine[k] for k in common]) - np.mean([base[k] for k in common]):+.3f}"
                against = reference
        methods = sorted({r["method"] for r in rows if r["arm"] == name and r["method"] != "NeurIPT"})
        best = max(((float(np.mean(list(runs_of(name, m).values()))), m) for m in methods), default=None)
        about = "the demo's own runs (the recipe)" if name == RECIPE_ARM else arm.get("about", "")
        lines.append(f"| {name} | {about} | {folds} | {seeds} | {np.mean(list(mine.values())):.3f} | {against} | "
                     f"{delta} | {f'{best[1]} {best[0]:.3f}' if best else ''} |")
    order = list(dict.fromkeys(cell_of(r["task"], r["split"]) for r in sorted(rows, key=lambda r: (r["task"], r["split"]))))
    per_cell = ["| arm | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
    for name in arms:
        methods = ["NeurIPT"] + sorted({r["method"] for r in rows if r["arm"] == name and r["method"] != "NeurIPT"})
        for method in methods:  # an arm's baselines (the recipe's: the demo's) under its NeurIPT line
            cells = cells_of(name, method)
            label = name if method == "NeurIPT" else f"{name} · *{method}*"
            per_cell.append(f"| {label} | " + " | ".join(f"{cells[c]:.3f}" if c in cells else "" for c in order) + " |")
    return "\n".join(lines) + "\n\nBalanced accuracy per cell (mean over folds and seeds; baselines in italics, trained on that arm's runs):\n\n" + "\n".join(per_cell)


def run_ablation(args: AblationArguments) -> int:
    import transformers

    transformers.logging.set_verbosity_error()
    spec = load_arms(args.arms_file)
    names = list(spec["arms"]) if not args.arms else [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = [n for n in names if n not in spec["arms"]]
    if unknown:
        raise ValueError(f"Unknown arms {unknown}; the arms are {list(spec['arms'])}.")
    demo_dir, out = Path(args.demo_dir), Path(args.output_dir)
    state = demo_state(demo_dir)
    seeds = [int(s) for s in (args.seeds if args.seeds is not None else state["seeds"])]
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    done = {(r["arm"], r["task"], r["split"], r["seed"]) for r in rows if r["method"] == "NeurIPT"}
    for name in names:
        new = run_arm(name, spec["arms"][name], state, spec, seeds, demo_dir, out, args.workers, done)
        with results.open("a") as handle:  # one arm at a time: an interrupted ablation keeps its finished arms
            handle.writelines(json.dumps(row, default=float) + "\n" for row in new)
        rows += new
        if new:
            mean = np.mean([r["balanced_accuracy"] for r in new if r["method"] == "NeurIPT"])
            print(f"{name}: NeurIPT mean BAcc {mean:.3f} over {sum(r['method'] == 'NeurIPT' for r in new)} runs", flush=True)
    table = report(recipe_rows(state) + rows, spec, names)
    text = f"""# NeurIPT ablation on Face13 (one change per arm)

Reference: the `neuript demo` runs in `{demo_dir}` (the `recipe` arm); arms from {args.arms_file or 'configuration/' + ARMS_FILE};
seeds run by this command {seeds} (the table counts each arm's seeds, runs of earlier commands included). Δ is the
arm's mean balanced accuracy minus that of the arm it is compared with, over the runs (cell and seed) both have. One
seed on six cells sees only differences above about 0.03 in the mean (docs/ablation.md).

{table}
"""
    (out / "report.md").write_text(text)
    print(table)
    print(f"report: {out / 'report.md'}")
    return 0


__all__ = ["AblationArguments", "load_arms", "run_ablation"]
