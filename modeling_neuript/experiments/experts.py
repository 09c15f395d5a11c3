"""Experiment 3: progressive experts `[0,0,2,4,4,6]` vs no experts vs uniform experts at matched *active* parameters
(paper Table 3), shrunk to Face13 face vs house.

The paper's Table 3 rows are models fine-tuned from scratch (its "w/o Expert" row equals the from-scratch row of
Table 6). Here every arm is the recipe's preset with a different `num_experts_per_layer`, and one width resized so
that the parameters a token uses (`count_parameters(active_only=True)`: shared expert + top-k routed experts +
router, or the dense SwiGLU) match the progressive model's as closely as an integer width allows:

- progressive `[0,0,2,4,4,6]`: the preset as it is (the reference);
- none `[0,0,0,0,0,0]`: dense SwiGLU everywhere, `intermediate_size` resized;
- uniform `[4,4,4,4,4,4]`: `expert_intermediate_size` resized (the shared expert keeps its width);
- (recipe `arms` may add shrinking `[6,4,4,4,0,0]`, Table 3's fourth row, `expert_intermediate_size` resized).

Each arm is fine-tuned from random init (`neuript finetune`, Trainer, early stopping on validation BAcc) on every
split of `finetune_splits`, once per seed. Rows: one per (arm, seed, split), with the arm's parameter counts.
"""

import numpy as np

from . import common
from .pooling import cpu_note

# name -> (experts per layer, the width resized to match the reference's active parameters, or None for the reference)
ARMS = {
    "progressive": ([0, 0, 2, 4, 4, 6], None),
    "none": ([0, 0, 0, 0, 0, 0], "intermediate_size"),
    "uniform": ([4, 4, 4, 4, 4, 4], "expert_intermediate_size"),
    "shrinking": ([6, 4, 4, 4, 0, 0], "expert_intermediate_size"),
}
WIDTH_STEP = 4  # resized widths are multiples of this (4 float32 = 16 bytes, what torch._grouped_mm needs)
# Paper Table 3, BAcc % on TUEV / MentalArithmetic / Mumtaz / SEED-V / PhysioP300 / BCIC-IV-2A.
PAPER_TABLE3 = {
    "none": [65.83, 72.92, 93.41, 39.14, 64.53, 44.44],
    "uniform": [65.91, 70.49, 95.00, 39.33, 65.66, 41.93],
    "shrinking": [65.80, 73.96, 93.08, 39.21, 65.99, 44.62],
    "progressive": [68.94, 75.69, 97.07, 39.34, 66.58, 44.01],
}


def parameter_counts(model: str, overrides: dict) -> tuple[int, int]:
    """(all, active per token) encoder parameters of preset `model` with `overrides`."""
    from modeling_neuript.modeling_neuript import NeurIPTModel, count_parameters
    from modeling_neuript.training.factory import resolve_config

    encoder = NeurIPTModel(resolve_config(model, **overrides))
    return count_parameters(encoder), count_parameters(encoder, active_only=True)


def matched_arms(recipe: dict) -> dict:
    """`{arm: {"overrides", "experts", "parameters", "active_parameters"}}`: every arm of `recipe['arms']` with its
    resized width chosen so that its active encoder parameters are closest to the progressive arm's."""
    base = dict(recipe.get("config_overrides") or {})
    model = recipe["model"]
    progressive_experts = ARMS["progressive"][0]
    reference = {**base, "num_experts_per_layer": progressive_experts}
    total, target = parameter_counts(model, reference)
    arms = {"progressive": {"overrides": reference, "parameters": total, "active_parameters": target}}
    for name in recipe["arms"]:
        if name == "progressive":
            continue
        if name not in ARMS:
            raise ValueError(f"Unknown arm {name!r}; choose from {sorted(ARMS)}.")
        experts, width_name = ARMS[name]
        def active(width):
            overrides = {**base, "num_experts_per_layer": experts, width_name: width}
            return overrides, parameter_counts(model, overrides)

        # Active parameters grow with the width: bisect for the last width at or below the target, then take the
        # closer of it and the next one. Widths are multiples of WIDTH_STEP (grouped-matmul experts need rows of a
        # multiple of 16 bytes), so the match is within about half a step's parameters.
        low, high = 1, 16 * common_width(model, base) // WIDTH_STEP
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if active(middle * WIDTH_STEP)[1][1] <= target else (low, middle - 1)
        candidates = (active(low * WIDTH_STEP), active((low + 1) * WIDTH_STEP))
        best = min(candidates, key=lambda candidate: abs(candidate[1][1] - target))
        arms[name] = {"overrides": best[0], "parameters": best[1][0], "active_parameters": best[1][1]}
    for arm in arms.values():
        arm["experts"] = arm["overrides"]["num_experts_per_layer"]
    return {name: arms[name] for name in recipe["arms"]}


def common_width(model: str, overrides: dict) -> int:
    from modeling_neuript.training.factory import resolve_config

    return resolve_config(model, **overrides).hidden_size


def run(args) -> dict:
    recipe = common.load_recipe(args)
    cache = common.cache_dir(args)
    events = common.prepare_face13(cache, recipe["sites"])
    _, names = common.task_targets(events, recipe["task"])
    arms = matched_arms(recipe)

    rows = []
    for seed in recipe["seeds"]:
        for name, arm in arms.items():
            # The preset's `config_overrides` are already inside `arm["overrides"]`; finetune merges them again.
            for spec in recipe["finetune_splits"]:
                result = common.finetune(cache / "runs" / f"experts-{name}-{seed}-{spec.replace(':', '-')}", events,
                                         recipe["model"], recipe, recipe["task"], spec, seed,
                                         config_overrides=arm["overrides"])
                rows.append({"method": name, "experts": str(arm["experts"]), "parameters": arm["parameters"],
                             "active_parameters": arm["active_parameters"], "seed": seed, "held_out": spec, **result})

    widths = "\n".join(
        f"| {name} | {arm['experts']} | "
        + ", ".join(f"{k} {v}" for k, v in arm["overrides"].items() if k.endswith("intermediate_size"))
        + f" | {arm['parameters']:,} | {arm['active_parameters']:,} |"
        for name, arm in arms.items()
    )
    paper = "\n".join(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + f" | {np.mean(values):.2f} |"
                      for name, values in PAPER_TABLE3.items() if name in arms)
    summary = f"""Face13 {recipe['task']} ({', '.join(names)}), {len(recipe['sites'])} sites, model `{recipe['model']}`,
fine-tuned from scratch for at most {recipe['finetune_epochs']} epoch(s) (early stopping on validation BAcc), splits
{', '.join(recipe['finetune_splits'])}{' (at most ' + str(recipe['max_windows_per_subject']) + ' training windows)' if recipe.get('max_windows_per_subject') else ''};
mean ± std over {len(recipe['seeds'])} seed(s) × splits.

{common.markdown_table(common.summarise(rows, by=['method', 'experts']), by=['method', 'experts'])}

Arms at matched active parameters (encoder; the routed experts a token does not use are not counted):

| arm | experts per layer | resized widths | parameters (all) | active per token |
|---|---|---|---|---|
{widths}

Paper Table 3 (BAcc %, from scratch; TUEV / MA / Mumtaz / SEED-V / P300 / 2A / mean), for reference:

| arm | TUEV | MA | Mumtaz | SEED-V | P300 | 2A | mean |
|---|---|---|---|---|---|---|---|
{paper}
"""
    figure = _plot(args, rows, recipe)
    return {"title": "Progressive experts vs none vs uniform at matched active parameters (paper Table 3, shrunk)",
            "rows": rows, "summary": summary, "notes": _notes(rows) + cpu_note(),
            "settings": {**recipe, "arms": {n: {k: v for k, v in a.items()} for n, a in arms.items()}},
            "figures": [figure]}


def _notes(rows: list[dict]) -> str:
    from .pooling import verdict

    table = {e["method"]: e["balanced_accuracy"] for e in common.summarise(rows, by=["method"])}
    lines = [f"- progressive − {name} = {verdict(table['progressive'], value)}."
             for name, value in table.items() if name != "progressive"]
    return ("Reading:\n" + "\n".join(lines) + "\n\nIn the paper the progressive schedule wins on 4 of 6 datasets by "
            "0.1–3 BAcc points (Table 3), with large corpora and the full-size model. Here the model is tiny, "
            "the training set one subject's few hundred windows and the training short, so the experts have little "
            "to specialise on; read the gaps against the spreads.")


def _plot(args, rows: list[dict], recipe: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = common.summarise(rows, by=["method"])
    figure, axis = plt.subplots(figsize=(7, 4))
    names = [e["method"] for e in table]
    axis.bar(names, [e["balanced_accuracy"][0] for e in table], yerr=[e["balanced_accuracy"][1] for e in table],
             capsize=4, color="tab:blue", alpha=0.8)
    for i, name in enumerate(names):
        values = [r["balanced_accuracy"] for r in rows if r["method"] == name]
        axis.plot([i] * len(values), values, "k.", alpha=0.6)
    axis.axhline(0.5, color="k", lw=0.8, ls=":")
    active = {r["method"]: r["active_parameters"] for r in rows}
    axis.set_xticks(range(len(names)), [f"{n}\n{active[n] / 1e3:.1f} k active" for n in names], fontsize=8)
    axis.set(ylabel="balanced accuracy (test)", ylim=(0.4, None),
             title=f"Expert schedules, fine-tuned from scratch, Face13 {recipe['task']}, {len(recipe['seeds'])} seed(s)")
    path = common.save_figure(figure, args)
    return path
