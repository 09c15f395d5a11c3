"""Experiment 2: fine-tuning from AAMP pretraining vs from random initialisation, with 1 %, 5 %, 10 % and 100 % of
the training labels (paper Table 12, which reports the low-label results as % of the full-data result).

Protocol: for every seed, pretrain the recipe's model with AAMP (the config's dynamic mask ratio) on the unlabelled
continuous Face13 windows, then fine-tune the whole model with `Trainer` (IILP head, early stopping on validation
BAcc) on a class-stratified random fraction of the training subject's windows (redrawn per seed), and test on the
held-out subject. The from-scratch arm runs the same fine-tuning from a random init of the same architecture.
Rows: one per (seed, init, label fraction, held-out subject).
"""

import numpy as np

from . import common


def run(args) -> dict:
    recipe, cache, events, unlabelled, _, names = common.experiment_data(args)
    rows = []
    for seed in recipe["seeds"]:
        checkpoint = common.pretrain(cache, unlabelled, recipe, seed=seed, mask_ratios=recipe.get("mask_ratios"))
        for init, model in (("pretrained", str(checkpoint)), ("scratch", recipe["model"])):
            for fraction in recipe["label_fractions"]:
                for spec in recipe["splits"]:
                    run_dir = cache / "runs" / "pretrained_vs_scratch" / f"{init}-{fraction}-{spec.replace(':', '-')}-{seed}"
                    result = common.finetune(run_dir, events, model, recipe, task=recipe["task"], split=spec,
                                             seed=seed, train_fraction=float(fraction))
                    rows.append({"init": init, "label_fraction": float(fraction), "seed": seed,
                                 "held_out": spec.split(":")[1], **result})

    table = common.summarise(sorted(rows, key=lambda r: (r["label_fraction"], r["init"])), by=["label_fraction", "init"])
    for entry in table:
        entry["label_fraction"] = f"{entry['label_fraction']:.0%}"
        sizes = [r["train_windows"] for r in rows if f"{r['label_fraction']:.0%}" == entry["label_fraction"]]
        entry["training windows"] = f"{min(sizes)}–{max(sizes)}" if min(sizes) != max(sizes) else str(sizes[0])
    relative = _relative_table(rows)
    summary = f"""Face13 {recipe['task']} ({', '.join(names)}), whole model fine-tuned with `Trainer` (IILP head, up to
{recipe['finetune_epochs']} epochs, early stopping on validation BAcc), trained on one subject and tested on the other
({', '.join(recipe['splits'])}); mean ± std over {len(recipe['seeds'])} seed(s) (pretraining, label subset and
fine-tuning all change with the seed). Model {common.model_description(recipe)}; pretraining
{recipe['pretrain_steps']} AAMP updates of batch {recipe['pretrain_batch_size']} on
{recipe['pretrain_window_seconds']:g} s windows of {len(recipe['sites'])} sites.

{common.markdown_table(table, by=['label_fraction', 'init', 'training windows'], names={'label_fraction': 'labels'})}

**As % of the same init's 100 % result (the form of paper Table 12; TUEV BAcc: 1 % → 64.2, 5 % → 75.4, 10 % → 80.3)**

{relative}
"""
    figure = _plot(args, rows, recipe)
    return {"title": "Pretrained vs from scratch, and the low-label curve (paper Table 12, shrunk)", "rows": rows,
            "summary": summary, "notes": _notes(rows), "settings": recipe, "figures": [figure]}


def _relative_table(rows: list[dict]) -> str:
    """BAcc of every fraction as % of the 100 % BAcc of the same init, seed and held-out subject."""
    full = {(r["init"], r["seed"], r["held_out"]): r["balanced_accuracy"] for r in rows if r["label_fraction"] == 1.0}
    lines = ["| labels | init | BAcc as % of 100 % labels | runs |", "|---|---|---|---|"]
    for fraction in sorted({r["label_fraction"] for r in rows}):
        for init in ("pretrained", "scratch"):
            values = [100 * r["balanced_accuracy"] / full[(init, r["seed"], r["held_out"])] for r in rows
                      if r["init"] == init and r["label_fraction"] == fraction and (init, r["seed"], r["held_out"]) in full]
            if values:
                lines.append(f"| {fraction:.0%} | {init} | {np.mean(values):.1f} ± {np.std(values):.1f} | {len(values)} |")
    return "\n".join(lines)


def _notes(rows: list[dict]) -> str:
    lines = []
    for fraction in sorted({r["label_fraction"] for r in rows}):
        by_init = {init: [r["balanced_accuracy"] for r in rows if r["init"] == init and r["label_fraction"] == fraction]
                   for init in ("pretrained", "scratch")}
        gap = np.mean(by_init["pretrained"]) - np.mean(by_init["scratch"])
        spread = max(np.std(by_init["pretrained"]), np.std(by_init["scratch"]))
        runs = len(by_init["pretrained"])
        if runs < 2:
            verdict = "single run, no spread"
        elif abs(gap) <= spread:
            verdict = f"within one std ({spread:.3f})"
        else:
            verdict = f"beyond one std ({spread:.3f})"
        lines.append(f"{fraction:.0%} labels: pretrained − scratch = {gap:+.3f} BAcc ({verdict})")
    return ("Reading: " + "; ".join(lines) + ". Chance is 0.5. With one training subject, 1 % of the labels is a "
            "handful of windows, and a few dozen pretraining updates on two subjects are far from the paper's "
            "2,188 hours: a gap inside the seed spread is noise, and the curve's shape, not its level, is what this "
            "run can show.")


def _plot(args, rows: list[dict], recipe: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    fractions = sorted({r["label_fraction"] for r in rows})
    for init, colour in (("pretrained", "tab:blue"), ("scratch", "tab:gray")):
        values = [[r["balanced_accuracy"] for r in rows if r["init"] == init and r["label_fraction"] == f] for f in fractions]
        axis.errorbar([100 * f for f in fractions], [np.mean(v) for v in values], yerr=[np.std(v) for v in values],
                      marker="o", capsize=4, color=colour, label=f"{init} (mean ± std, {len(recipe['seeds'])} seeds)")
    axis.axhline(0.5, color="k", lw=0.8, ls=":", label="chance")
    axis.set_xscale("log")
    axis.set_xticks([100 * f for f in fractions], [f"{f:.0%}" for f in fractions])
    axis.set(xlabel="training labels used", ylabel="balanced accuracy (held-out subject)",
             title=f"Face13 {recipe['task']}: fine-tuned, low-label curve")
    axis.legend(fontsize=8)
    path = common.save_figure(figure, args)
    return path
