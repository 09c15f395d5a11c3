"""`neuript demo`: the whole NeurIPT story on real EEG, on a laptop CPU.

1. fetch Face13 (two subjects of a face/house visual ERP study, from a pinned PyPI wheel) and prepare it twice:
   continuous 2 s windows for pretraining and stimulus-locked 1 s windows for classification (8 sites of the
   128-channel cap by default, 19 with `--sites all19`; the paper's preprocessing);
2. pretrain the tiny preset with AAMP on the unlabelled windows;
3. fine-tune a face-vs-house and a 4-class (face/house × upright/inverted) classifier with `Trainer`, on
   leave-one-subject-out and within-subject (time-ordered) splits, from the pretrained weights and from scratch;
4. compare, on the same splits, with logistic regressions on band power and on the ERP waveform;
5. print the table (BAcc, κ, AUROC as mean ± std over folds × seeds) and write `report.md` with PNGs: loss curves,
   confusion matrices and a topomap of channel importance (occlusion) under `output_dir`.

The default size: 8 sites (F3, F4, C3, C4, P7, P8, O1, O2), 120 AAMP updates on 2 s windows (peak learning rate
5e-4), 4 fine-tuning epochs (peak learning rate 2e-3), two fine-tuning runs at a time in separate processes, one seed
(the ± is then over the two folds of each split kind), sized for the 15-minute goal on 2 CPU cores (the measured time
is in docs/demo/report.md). `--seeds 0 1 2 --sites all19 --pretrain_steps 400` is the full protocol (not timed).
`--quick` runs the same steps at a
size meant for CI (one task, two splits, a few minutes): its numbers show the pipeline works, not how well the model
does.
"""

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from modeling_neuript.data.prepare import prepare_recipe

SITES_19 = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]
SITES_8 = ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]
TASKS = ("face_vs_house", "four_class")


@dataclass
class DemoArguments:
    output_dir: str = field(default="outputs/demo", metadata={"help": "Where data, runs and the report (report/report.md) are written."})
    quick: bool = field(default=False, metadata={"help": "The CI-sized version: one task, two splits, few steps."})
    seeds: list[int] = field(
        default_factory=lambda: [0],
        metadata={"help": "Fine-tuning seeds, e.g. --seeds 0 1 2 for the full protocol (run s trains with seed 520 + s)."},
    )
    pretrain_steps: Optional[int] = field(default=None, metadata={"help": "AAMP updates (default 120; quick 10)."})
    epochs: Optional[int] = field(default=None, metadata={"help": "Fine-tuning epochs (default 4; quick 1)."})
    workers: int = field(
        default=2, metadata={"help": "Fine-tuning runs in parallel processes (the CPU threads are shared among them; "
                                     "1 = one after another in this process)."}
    )
    sites: Optional[str] = field(default=None, metadata={"help": "Comma separated 10-20 sites (default F3,F4,C3,C4,P7,P8,O1,O2; 'all19' for the 19 sites)."})
    model: str = field(
        default="neuript-tiny",
        metadata={"help": "Preset to pretrain and fine-tune: neuript-tiny, neuript-fast, neuript-small or neuript-paper "
                          "(the last two are GPU sizes), or a config JSON."},
    )
    tasks: Optional[str] = field(default=None, metadata={"help": "Comma separated tasks of face_vs_house, four_class (default: both; with --quick: face_vs_house)."})
    splits: Optional[str] = field(
        default=None, metadata={"help": "Comma separated split specs (default: loso and within for every subject; "
                                        "quick: loso:s02,within:s01)."}
    )


def _sizes(args: DemoArguments) -> dict:
    quick = args.quick
    return {
        "tasks": (args.tasks or ("face_vs_house" if quick else ",".join(TASKS))).split(","),
        "splits": None if args.splits is None and not quick else (args.splits or "loso:s02,within:s01").split(","),
        "sites": SITES_19 if args.sites == "all19" else (args.sites.split(",") if args.sites else SITES_8),
        "seeds": [int(s) for s in args.seeds],
        "pretrain_steps": args.pretrain_steps or (10 if quick else 120),
        "epochs": args.epochs or (1 if quick else 4),
        "finetune_learning_rate": 2e-3,
        "pretrain_learning_rate": 5e-4,
        "pretrain_window_seconds": 2.0,
    }


# ----------------------------------------------------------------------------------------------------------------------
# Baselines
# ----------------------------------------------------------------------------------------------------------------------


def band_power_features(windows: np.ndarray, rate: float) -> np.ndarray:
    """log power in delta, theta, alpha, beta (1-4, 4-8, 8-13, 13-30 Hz) per channel, from µV windows (N, C, T)."""
    from scipy.signal import welch

    freqs, power = welch(windows, fs=rate, nperseg=min(windows.shape[-1], 64), axis=-1)
    bands = [(1, 4), (4, 8), (8, 13), (13, 30)]
    features = [np.log(power[..., (freqs >= lo) & (freqs < hi)].mean(-1) + 1e-6) for lo, hi in bands]
    return np.stack(features, axis=-1).reshape(len(windows), -1)


def logistic_regression(train_x, train_y, test_x, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000, random_state=seed))
    model.fit(train_x, train_y)
    return model.predict_proba(test_x)


# ----------------------------------------------------------------------------------------------------------------------
# Report helpers
# ----------------------------------------------------------------------------------------------------------------------


def summarise(rows: list[dict]) -> list[dict]:
    """mean ± std over folds × seeds per (task, split kind, method)."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["task"], row["split_kind"], row["method"]), []).append(row)
    table = []
    for (task, kind, method), members in sorted(groups.items()):
        entry = {"task": task, "split": kind, "method": method, "runs": len(members)}
        for metric in ("balanced_accuracy", "cohen_kappa", "roc_auc"):
            values = np.array([m[metric] for m in members if m.get(metric) is not None], dtype=float)
            entry[metric] = (float(values.mean()), float(values.std())) if len(values) else (float("nan"), 0.0)
        table.append(entry)
    return table


def markdown_table(table: list[dict]) -> str:
    lines = ["| task | split | method | BAcc | κ | AUROC | runs |", "|---|---|---|---|---|---|---|"]
    for e in table:
        cell = lambda m: f"{e[m][0]:.3f} ± {e[m][1]:.3f}"
        lines.append(f"| {e['task']} | {e['split']} | {e['method']} | {cell('balanced_accuracy')} | "
                     f"{cell('cohen_kappa')} | {cell('roc_auc')} | {e['runs']} |")
    return "\n".join(lines)


def _plot_losses(pretrain_history, finetune_histories, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    steps = [h["step"] for h in pretrain_history]
    axes[0].plot(steps, [h["reconstruction_loss"] for h in pretrain_history], label="masked ℓ1 (AAMP)")
    axes[0].set(xlabel="update", ylabel="loss", title="Pretraining")
    axes[0].legend()
    for label, history in finetune_histories.items():
        points = [(h["epoch"], h["loss"]) for h in history if "loss" in h and "epoch" in h]
        evals = [(h["epoch"], h["eval_loss"]) for h in history if "eval_loss" in h]
        if points:
            axes[1].plot(*zip(*points), label=f"{label} train")
        if evals:
            axes[1].plot(*zip(*evals), "--", label=f"{label} validation")
    axes[1].set(xlabel="epoch", ylabel="cross-entropy", title="Fine-tuning (face vs house, LOSO s02)")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_confusions(confusions: dict, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(1, len(confusions), figsize=(4.5 * len(confusions), 4))
    axes = np.atleast_1d(axes)
    for axis, (title, (matrix, names)) in zip(axes, confusions.items()):
        ConfusionMatrixDisplay(matrix, display_labels=names).plot(ax=axis, colorbar=False, xticks_rotation=45)
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def channel_importance(model, dataset, indices, collator, label_map) -> np.ndarray:
    """Occlusion: drop in mean log-probability of the true class when one channel is removed (masked as padding)."""
    rows = dataset[indices[:200]]
    batch = collator([dict(zip(rows, values)) for values in zip(*rows.values())])
    labels = batch.pop("labels")
    model.eval()
    with torch.no_grad():
        def score(mask):
            logits = model(batch["input_values"], batch["channel_positions"], channel_mask=mask).logits
            return logits.log_softmax(-1).gather(1, labels[:, None]).mean().item()

        base = score(batch["channel_mask"])
        drops = []
        for channel in range(batch["input_values"].shape[1]):
            mask = batch["channel_mask"].clone()
            mask[:, channel] = 0
            drops.append(base - score(mask))
    return np.array(drops)


def _plot_topomap(importance: np.ndarray, names: list, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mne

    info = mne.create_info(list(names), 64.0, "eeg")
    info.set_montage(mne.channels.make_standard_montage("biosemi128"), on_missing="ignore")
    figure, axis = plt.subplots(figsize=(4.5, 4))
    image, _ = mne.viz.plot_topomap(importance, info, axes=axis, show=False, cmap="Reds", names=list(names))
    figure.colorbar(image, ax=axis, label="Δ log p(true class) when removed")
    axis.set_title("Channel importance (occlusion)\nface vs house, pretrained, LOSO s02", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ----------------------------------------------------------------------------------------------------------------------
# The demo
# ----------------------------------------------------------------------------------------------------------------------


def _worker_setup(threads: int) -> None:
    import transformers
    from datasets import disable_progress_bars

    from modeling_neuript.training.memory import keep_freed_memory

    keep_freed_memory()  # a fresh process: the parent's setting is not inherited
    torch.set_num_threads(threads)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # per-run bars from two processes would garble the overall one
    disable_progress_bars()


def _finetune_job(job: dict) -> dict:
    """One fine-tuning run (in a worker process or in this one); returns only what the report needs (picklable)."""
    import contextlib
    import io

    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments, finetune

    with contextlib.redirect_stdout(io.StringIO()):  # finetune prints its test metrics; the table has them
        result = finetune(FinetuneArguments(**job["args"]), FinetuneTrainingArguments(**job["training_args"]))
    return {"test": result["test"], "log_history": result["log_history"],
            "test_logits": np.asarray(result["test_logits"]), "test_labels": np.asarray(result["test_labels"])}


def _run_dir(out: Path, task: str, split: str, method: str, seed: int) -> Path:
    """Where one fine-tuning run of the demo writes (e.g. `finetune/face_vs_house/loso-s02/pretrained/seed0`)."""
    return out / "finetune" / task / split.replace(":", "-") / method.split()[-1] / f"seed{seed}"


def _read_split(run_dir) -> dict:
    """The window indices (`train`, `validation`, `test`) a `neuript finetune` run used, as it wrote them."""
    return json.loads((Path(run_dir) / "split.json").read_text())


def run_finetune_jobs(jobs: list[dict], workers: int, progress) -> list[dict]:
    """Run the fine-tuning jobs, in order of `jobs` in the returned list.

    The tiny preset on a few channels is too small to keep two cores busy through intra-op threads, so with
    `workers > 1` independent runs go to separate processes that share the threads (measured on 2 cores: two
    one-thread runs side by side finish in 50 s where one after another with two threads each took 78 s). Each run
    is seeded and writes its own folder, so the results do not depend on the order the runs finish in.
    """
    if workers <= 1:
        return [_finetune_job(job) for job in progress(jobs, desc="fine-tuning runs")]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, torch.get_num_threads() // workers)
    results = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")  # fork after torch has started threads is unsafe
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup, initargs=(threads,)) as pool:
        futures = {pool.submit(_finetune_job, job): i for i, job in enumerate(jobs)}
        for future in progress(as_completed(futures), total=len(jobs), desc=f"fine-tuning runs ({workers} processes)"):
            results[futures[future]] = future.result()
    return results


def run_demo(args: DemoArguments) -> int:
    import transformers
    from datasets import disable_progress_bars
    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, confusion_matrix, roc_auc_score
    from tqdm.auto import tqdm

    from modeling_neuript.data.reading import WindowCollator, load_prepared
    from modeling_neuript.data.splits import task_labels
    from modeling_neuript.feature_extraction_neuript import a_law_expand
    from modeling_neuript.training.pretrain import PretrainArguments, pretrain

    transformers.logging.set_verbosity_error()
    disable_progress_bars()
    sizes = _sizes(args)
    out = Path(args.output_dir)
    report = out / "report"
    report.mkdir(parents=True, exist_ok=True)
    clock = {"start": time.perf_counter()}
    print(f"NeurIPT demo ({'quick' if args.quick else 'full'}): {sizes}")

    # 1. data -----------------------------------------------------------------------------------------------------
    unlabelled = prepare_recipe("face13-pretraining", sizes["sites"], out / "data", sizes["pretrain_window_seconds"])
    labelled = prepare_recipe("face13", sizes["sites"], out / "data")
    clock["prepare"] = time.perf_counter()

    # 2. AAMP pretraining -------------------------------------------------------------------------------------------
    pretrained = out / "pretrain" / "model"
    if not (pretrained / "model.safetensors").exists():
        summary = pretrain(PretrainArguments(
            dataset=str(unlabelled), output_dir=str(out / "pretrain"), model=args.model,
            max_steps=sizes["pretrain_steps"], per_device_batch_size=8, learning_rate=sizes["pretrain_learning_rate"],
            save_steps=sizes["pretrain_steps"], logging_steps=10, report_to="none",
        ))
        pretrain_history = summary["history"]
    else:
        pretrain_history = json.loads((pretrained / "training_history.json").read_text())["history"]
    clock["pretrain"] = time.perf_counter()

    # 3-4. fine-tuning and baselines ---------------------------------------------------------------------------------
    dataset, extractor, manifest = load_prepared(labelled)
    subjects = sorted(set(dataset["subject"]))
    specs = sizes["splits"] or [f"loso:{s}" for s in subjects] + [f"within:{s}" for s in subjects]
    kinds = {"loso": "leave-one-subject-out", "within": "within-subject"}
    splits = [(spec, kinds[spec.split(":")[0]]) for spec in specs]
    microvolts = a_law_expand(np.stack(dataset.with_format("numpy")["input_values"]).astype(np.float64), extractor.alaw_A)
    erp = microvolts[..., ::2].reshape(len(microvolts), -1)  # the waveform at 32 Hz, as the offline-data survey did
    band = band_power_features(microvolts, extractor.sampling_rate)

    rows, histories, confusions, importance = [], {}, {}, None
    tasks = sizes["tasks"]
    methods = (("NeurIPT pretrained", str(pretrained)), ("NeurIPT from scratch", args.model))
    jobs = []
    for task in tasks:
        for split, kind in splits:
            for seed in sizes["seeds"]:
                for method, model in methods:
                    run_dir = _run_dir(out, task, split, method, seed)
                    jobs.append({
                        "task": task, "split": split, "split_kind": kind, "method": method, "seed": seed,
                        "run_dir": str(run_dir),
                        "args": dict(dataset=str(labelled), task=task, split=split, model=model,
                                     metrics="balanced_accuracy,cohen_kappa,roc_auc", early_stopping_patience=3),
                        "training_args": dict(output_dir=str(run_dir), num_train_epochs=sizes["epochs"], seed=520 + seed,
                                              per_device_train_batch_size=32, save_total_limit=1,
                                              learning_rate=sizes["finetune_learning_rate"],
                                              disable_tqdm=args.workers > 1),
                    })
    results = run_finetune_jobs(jobs, args.workers, tqdm)
    for job, result in zip(jobs, results):
        task, split, kind, seed, method = job["task"], job["split"], job["split_kind"], job["seed"], job["method"]
        test = result["test"]
        rows.append({"task": task, "split": split, "split_kind": kind, "method": method, "seed": seed,
                     "balanced_accuracy": test["test_balanced_accuracy"], "cohen_kappa": test["test_cohen_kappa"],
                     "roc_auc": test.get("test_roc_auc")})
        label_map, names = task_labels(manifest, task)
        if task == "face_vs_house" and split == f"loso:{subjects[-1]}" and seed == sizes["seeds"][0]:
            histories[method] = result["log_history"]
            predictions = np.asarray(result["test_logits"]).argmax(-1)
            confusions[f"{method}, LOSO {subjects[-1]}"] = (
                confusion_matrix(result["test_labels"], predictions, labels=range(len(names))), names)
            if method == "NeurIPT pretrained":
                from modeling_neuript.modeling_neuript import NeurIPTForSequenceClassification

                test_idx = np.array(_read_split(job["run_dir"])["test"])
                collator = WindowCollator(extractor, with_labels=True, label_map=label_map)
                columns = dataset.select_columns(["input_values", "channel_positions", "label"]).with_format("numpy")
                classifier = NeurIPTForSequenceClassification.from_pretrained(Path(job["run_dir"]) / "model")
                importance = channel_importance(classifier, columns, test_idx, collator, label_map)
                importance_names = dataset[int(test_idx[0])]["channel_names"]
    for task in tasks:  # the baselines, on the same splits (deterministic given the split)
        label_map, names = task_labels(manifest, task)
        labels = np.array([label_map.get(l, -1) for l in dataset["label"]])
        for split, kind in splits:
            manifest_split = _read_split(_run_dir(out, task, split, "NeurIPT pretrained", 0))
            train = np.array(manifest_split["train"] + manifest_split["validation"])
            test_idx = np.array(manifest_split["test"])
            for method, features in (("LogReg band power", band), ("LogReg ERP waveform", erp)):
                probabilities = logistic_regression(features[train], labels[train], features[test_idx], 0)
                predicted = probabilities.argmax(-1)
                auc = (roc_auc_score(labels[test_idx], probabilities[:, 1]) if probabilities.shape[1] == 2
                       else roc_auc_score(labels[test_idx], probabilities, multi_class="ovr"))
                rows.append({"task": task, "split": split, "split_kind": kind, "method": method, "seed": 0,
                             "balanced_accuracy": balanced_accuracy_score(labels[test_idx], predicted),
                             "cohen_kappa": cohen_kappa_score(labels[test_idx], predicted), "roc_auc": auc})
    clock["finetune"] = time.perf_counter()

    # 5. report ------------------------------------------------------------------------------------------------------
    table = summarise(rows)
    text = markdown_table(table)
    _plot_losses(pretrain_history, histories, report / "loss_curves.png")
    if confusions:
        _plot_confusions(confusions, report / "confusion_matrices.png")
    if importance is not None:
        _plot_topomap(importance, importance_names, report / "channel_importance_topomap.png")
    timings = {
        "prepare_s": clock["prepare"] - clock["start"], "pretrain_s": clock["pretrain"] - clock["prepare"],
        "finetune_and_baselines_s": clock["finetune"] - clock["pretrain"], "total_s": time.perf_counter() - clock["start"],
    }
    recon = [h["reconstruction_loss"] for h in pretrain_history]
    verdict = _verdict(table)
    (report / "results.json").write_text(json.dumps({"rows": rows, "table": table, "timings": timings,
                                                      "sizes": sizes, "args": asdict(args)}, indent=2, default=float))
    (report / "report.md").write_text(f"""# NeurIPT demo on Face13 ({'quick' if args.quick else 'full'} run)

Data: Face13 (2 subjects, 128-channel BioSemi, 256 Hz, from the pylossless 0.2.0 wheel), {len(sizes['sites'])} sites
nearest to {', '.join(sizes['sites'])}; paper preprocessing (0.1-30 Hz, notch, 64 Hz, µV, A-law A = 0.25).
Pretraining: `{args.model}`, AAMP, {sizes['pretrain_steps']} updates on {sizes['pretrain_window_seconds']:.0f} s windows (peak learning rate {sizes['pretrain_learning_rate']:g});
masked ℓ1 loss {np.mean(recon[:5]):.3f} (first 5 updates) → {np.mean(recon[-10:]):.3f} (last 10).
Fine-tuning: `Trainer`, {sizes['epochs']} epochs max (peak learning rate {sizes['finetune_learning_rate']:g}, early stopping on
validation BAcc), {len(sizes['seeds'])} seed(s), {args.workers} run(s) at a time;
windows −0.2…0.8 s around each stimulus. Chance: BAcc 0.5 (face vs house), 0.25 (4 classes); κ 0; AUROC 0.5.

{text}

{verdict}

Timings on this machine: {', '.join(f'{k} {v:.0f}' for k, v in timings.items())}.

![losses](loss_curves.png) ![confusions](confusion_matrices.png) ![importance](channel_importance_topomap.png)

Reproduce: `neuript demo{' --quick' if args.quick else ''} --output_dir {args.output_dir}`
""")
    print(text)
    print(verdict)
    print(f"report: {report / 'report.md'}  ({timings['total_s']:.0f} s)")
    return 0


def _verdict(table: list[dict]) -> str:
    """One honest sentence per task and split: where NeurIPT stands against the logistic regressions."""
    lines = []
    for task in sorted({e["task"] for e in table}):
        for split in sorted({e["split"] for e in table if e["task"] == task}):
            entries = {e["method"]: e["balanced_accuracy"][0] for e in table if e["task"] == task and e["split"] == split}
            best_baseline = max((v, k) for k, v in entries.items() if k.startswith("LogReg"))
            ours = entries.get("NeurIPT pretrained", float("nan"))
            scratch = entries.get("NeurIPT from scratch", float("nan"))
            relation = "above" if ours > best_baseline[0] else "below"
            lines.append(f"- {task}, {split}: pretrained NeurIPT BAcc {ours:.3f} ({scratch:.3f} from scratch) is {relation} "
                         f"the best logistic regression ({best_baseline[1]}, {best_baseline[0]:.3f}).")
    return "\n".join(lines)
