"""Experiment 6: the pictures the paper uses to explain itself, drawn from our models on real Face13 windows.

1. AAMP masks and reconstructions (paper Fig. 2): one held-out-subject window, three channels, the points an AAMP
   mask and a random mask of the same ratio hide, and what the pretrained model puts there. Numbers behind it: masked
   ℓ1 of the model and of linear interpolation from the visible neighbours, under both masks, on held-out windows
   (AAMP's premise is that an amplitude band cannot be interpolated from neighbours in time).
2. Perturbation maps as topomaps (paper Fig. 4): every channel of a test window gets a multiplicative Gaussian gain
   `1 + σ ε` (in µV, before A-law); the map is the Pearson correlation, over windows × draws, between a channel's gain
   and the fine-tuned classifier's true-class logit margin. Beside it, the physiological reference: the face − house
   ERP difference at 130–200 ms (the N170 window) of the same test windows.
3. Expert participation per class (paper Figs. 6, 9–15): fraction of top-k routing slots each expert receives for
   face and for house windows, per MoE module, and the total-variation distance between the two classes next to
   its label-permutation null.
Rows: per seed, the reconstruction errors, the classifier's test scores, the perturbation correlation per channel and
the expert TVD per module.
"""

import numpy as np
import torch

from . import common

N170 = (0.13, 0.20)  # seconds after the stimulus


def run(args) -> dict:
    from modeling_neuript.data.reading import WindowCollator, load_prepared

    recipe, cache, events, unlabelled, labels, names = common.experiment_data(args)
    dataset, extractor, manifest = load_prepared(events)
    spec = recipe["splits"][0]
    held_out = spec.split(":")[1]
    test = common.load_split(spec, events)["test"]
    test = test[labels[test] >= 0]
    test = test[np.linspace(0, len(test) - 1, min(len(test), recipe["perturbation_windows"])).round().astype(int)]
    columns = dataset.select_columns(["input_values", "channel_positions", "channel_names", "label"]).with_format("numpy")
    rows_ = columns[test]
    batch = WindowCollator(extractor)([{"input_values": v, "channel_positions": p}
                                       for v, p in zip(rows_["input_values"], rows_["channel_positions"])])
    channel_names = common.site_labels(rows_["channel_positions"][0], [str(n) for n in rows_["channel_names"][0]],
                                       recipe["sites"])
    y = torch.as_tensor(labels[test])

    unlabelled_set, _, _ = load_prepared(unlabelled)
    pretraining_windows = np.flatnonzero(np.asarray(unlabelled_set["subject"]) == held_out)
    pretraining_windows = pretraining_windows[:: max(1, len(pretraining_windows) // recipe["perturbation_windows"])]
    pt_rows = unlabelled_set.select_columns(["input_values", "channel_positions"]).with_format("numpy")[pretraining_windows]
    pt_batch = WindowCollator(extractor)([{"input_values": v, "channel_positions": p}
                                          for v, p in zip(pt_rows["input_values"], pt_rows["channel_positions"])])

    rows, maps, participation, example = [], [], [], None
    for seed in recipe["seeds"]:
        checkpoint = common.pretrain(cache, unlabelled, recipe, seed=seed, mask_ratios=recipe.get("mask_ratios"))
        errors, drawn = _reconstruction(checkpoint, pt_batch, seed, ratio=0.5)
        rows += [{"kind": "reconstruction", "seed": seed, **e} for e in errors]
        example = example or drawn
        run_dir = cache / "runs" / "pictures" / f"{spec.replace(':', '-')}-{seed}"
        result = common.finetune(run_dir, events, str(checkpoint), recipe, task=recipe["task"], split=spec, seed=seed,
                                 return_model=True)
        model = result.pop("model")
        rows.append({"kind": "classifier", "seed": seed, "held_out": held_out, **result})
        correlation = _perturbation_map(model, batch, y, extractor.alaw_A, recipe, seed)
        maps.append(correlation)
        rows += [{"kind": "perturbation", "seed": seed, "channel": c, "pearson_r": float(r)}
                 for c, r in zip(channel_names, correlation)]
        counts = _expert_counts(model, batch)
        participation.append(counts)
        for module, per_window in counts.items():
            observed, null = _class_distance(per_window, y.numpy(), seed)
            rows.append({"kind": "experts", "seed": seed, "module": module, "tvd": observed, "tvd_null": null})

    microvolts = _microvolts(batch["input_values"], extractor.alaw_A)
    erp = _n170_difference(microvolts, y.numpy(), extractor.sampling_rate, manifest["recipe"]["windows"]["tmin"])
    figures = [_plot_masks(args, example, channel_names),
               _plot_topomaps(args, erp, np.mean(maps, axis=0), batch["channel_positions"][0].numpy(), channel_names,
                              names, len(maps)),
               _plot_experts(args, participation, y.numpy(), names)]
    return {"title": "Pictures: AAMP masks and reconstructions, perturbation topomaps, expert participation",
            "rows": rows, "summary": _summary(rows, recipe, names, held_out, len(test), erp, channel_names),
            "notes": _notes(rows), "settings": recipe, "figures": figures}


# ----------------------------------------------------------------------------------------------------------------------
# 1. masks and reconstructions
# ----------------------------------------------------------------------------------------------------------------------


def _interpolate(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Linear interpolation in time of every masked point from the visible points of its channel `(B, C, T)`."""
    out = values.copy()
    time = np.arange(values.shape[-1])
    for b in range(values.shape[0]):
        for c in range(values.shape[1]):
            hidden = mask[b, c]
            if hidden.any() and (~hidden).any():
                out[b, c, hidden] = np.interp(time[hidden], time[~hidden], values[b, c, ~hidden])
    return out


@torch.no_grad()
def _reconstruction(checkpoint, batch: dict, seed: int, ratio: float):
    """Masked ℓ1 of the pretrained model and of linear interpolation under AAMP and random masks of `ratio`."""
    from modeling_neuript.modeling_neuript import AmplitudeAwareMasking, NeurIPTForPretraining

    model = NeurIPTForPretraining.from_pretrained(checkpoint).eval()
    values = batch["input_values"]
    errors, drawn = [], {}
    for strategy in ("amplitude", "random"):
        model.config.mask_strategy, model.config.mask_ratios = strategy, [ratio]
        masking = AmplitudeAwareMasking(model.config)
        generator = torch.Generator().manual_seed(seed)
        time_mask, replacement = masking(values, generator=generator)
        out = model(values, batch["channel_positions"], channel_mask=batch["channel_mask"], time_mask=time_mask,
                    mask_replacement=replacement)
        hidden = time_mask.numpy()
        interpolated = _interpolate(values.numpy(), hidden)
        errors.append({"mask": "AAMP" if strategy == "amplitude" else "random", "mask_ratio": ratio,
                       "model_l1": float(out.reconstruction_loss),
                       "interpolation_l1": float(np.abs(interpolated - values.numpy())[hidden].mean()),
                       "zero_l1": float(values.abs().numpy()[hidden].mean())})
        drawn[strategy] = (values[0].numpy(), hidden[0], out.reconstruction[0].numpy(), interpolated[0])
    return errors, drawn


def _plot_masks(args, drawn: dict, channel_names: list):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [c for c in channel_names if c.split()[0] in ("O1", "P8", "F3")] or channel_names[:3]
    figure, axes = plt.subplots(len(shown), 2, figsize=(11, 2.2 * len(shown)), sharex=True, squeeze=False)
    for column, (strategy, title) in enumerate((("amplitude", "AAMP mask (50 %)"), ("random", "random mask (50 %)"))):
        values, hidden, reconstruction, interpolated = drawn[strategy]
        time = np.arange(values.shape[-1]) / 64.0
        for row, name in enumerate(shown):
            c = channel_names.index(name)
            axis = axes[row, column]
            axis.plot(time, values[c], color="k", lw=1, label="signal")
            axis.scatter(time[hidden[c]], values[c, hidden[c]], s=14, color="tab:red", label="masked points", zorder=3)
            axis.scatter(time[hidden[c]], reconstruction[c, hidden[c]], s=14, marker="x", color="tab:blue",
                         label="model reconstruction", zorder=4)
            axis.plot(time, interpolated[c], color="tab:green", lw=0.8, ls="--", label="linear interpolation")
            axis.set_ylabel(f"{name}\n(A-law µV)", fontsize=8)
            if row == 0:
                axis.set_title(title, fontsize=9)
    axes[-1, 0].set_xlabel("seconds")
    axes[-1, 1].set_xlabel("seconds")
    axes[0, 1].legend(fontsize=7, loc="upper right")
    figure.suptitle("AAMP hides one amplitude band per channel (points scattered in time); random hides points anywhere",
                    fontsize=9)
    path = common.save_figure(figure, args)
    return path


# ----------------------------------------------------------------------------------------------------------------------
# 2. perturbation maps
# ----------------------------------------------------------------------------------------------------------------------


def _microvolts(values: torch.Tensor, A: float) -> torch.Tensor:
    from modeling_neuript.feature_extraction_neuript import a_law_expand

    return a_law_expand(values.double(), A)


@torch.no_grad()
def _perturbation_map(model, batch: dict, y: torch.Tensor, A: float, recipe: dict, seed: int) -> np.ndarray:
    """Pearson r, per channel, between the channel's multiplicative gain and the true-class logit margin."""
    from modeling_neuript.feature_extraction_neuript import a_law_compress

    microvolts = _microvolts(batch["input_values"], A)
    generator = torch.Generator().manual_seed(10_000 + seed)
    gains, margins = [], []
    for _ in range(recipe["perturbation_repeats"]):
        gain = 1.0 + recipe["perturbation_noise"] * torch.randn(microvolts.shape[:2], generator=generator,
                                                                  dtype=torch.float64)
        perturbed = a_law_compress(microvolts * gain[..., None], A).float()
        logits = model(perturbed, batch["channel_positions"], channel_mask=batch["channel_mask"]).logits
        true = logits.gather(1, y[:, None]).squeeze(1)
        others = logits.masked_fill(torch.nn.functional.one_hot(y, logits.shape[1]).bool(), float("-inf")).amax(1)
        gains.append(gain.numpy())
        margins.append((true - others).numpy())
    gains, margins = np.concatenate(gains), np.concatenate(margins)
    return np.array([np.corrcoef(gains[:, c], margins)[0, 1] for c in range(gains.shape[1])])


def _n170_difference(microvolts: torch.Tensor, y: np.ndarray, rate: float, start: float) -> np.ndarray:
    """Mean µV of class 0 minus class 1 in the N170 window, per channel `(C,)`; windows begin at `start` s."""
    lo, hi = (int(round((t - start) * rate)) for t in N170)
    amplitude = microvolts[..., lo:hi].mean(-1).numpy()
    return amplitude[y == 0].mean(0) - amplitude[y == 1].mean(0)


def _topomap_info(positions: np.ndarray, names: list):
    import mne

    info = mne.create_info(list(names), 64.0, "eeg")
    montage = mne.channels.make_dig_montage(ch_pos=dict(zip(names, positions.astype(float))), coord_frame="head")
    info.set_montage(montage)
    return info


def _plot_topomaps(args, erp: np.ndarray, correlation: np.ndarray, positions: np.ndarray, names: list,
                   classes: list, seeds: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mne

    info = _topomap_info(positions, names)
    figure, axes = plt.subplots(1, 2, figsize=(9, 4))
    panels = ((erp, f"ERP {classes[0]} − {classes[1]}, {int(N170[0] * 1000)}–{int(N170[1] * 1000)} ms (µV)", "RdBu_r"),
              (correlation, f"perturbation: r(channel gain, true-class margin)\nmean of {seeds} seed(s)", "RdBu_r"))
    for axis, (values, title, cmap) in zip(axes, panels):
        limit = float(np.abs(values).max()) or 1.0
        image, _ = mne.viz.plot_topomap(values, info, axes=axis, show=False, cmap=cmap, names=names,
                                        vlim=(-limit, limit))
        figure.colorbar(image, ax=axis, shrink=0.8)
        axis.set_title(title, fontsize=9)
    path = common.save_figure(figure, args, "_topomaps")
    return path


# ----------------------------------------------------------------------------------------------------------------------
# 3. experts per class
# ----------------------------------------------------------------------------------------------------------------------


@torch.no_grad()
def _expert_counts(model, batch: dict) -> dict:
    """Per MoE module: `(windows, experts)` count of top-k routing slots each expert got from a window's tokens."""
    config = model.config
    out = model.neuript(batch["input_values"], batch["channel_positions"], channel_mask=batch["channel_mask"],
                        output_router_logits=True)
    layers = [i for i, e in enumerate(config.num_experts_per_layer) if e > 0]
    names = [f"layer {layer + 1} {stage}" for layer in layers for stage in ("time", "channel")]
    counts = {}
    for name, logits in zip(names, out.router_logits):
        experts = logits.shape[-1]
        chosen = logits.float().topk(config.experts_per_token(experts), dim=-1).indices  # (B, C, L, k)
        one_hot = torch.nn.functional.one_hot(chosen, experts).sum(dim=-2)  # (B, C, L, E)
        if batch["channel_mask"] is not None:
            one_hot = one_hot * batch["channel_mask"][:, :, None, None]
        counts[name] = one_hot.sum(dim=(1, 2)).numpy().astype(float)
    return counts


def _class_distance(per_window: np.ndarray, y: np.ndarray, seed: int, permutations: int = 50) -> tuple[float, float]:
    """Total-variation distance between the two classes' expert distributions, and its mean under label permutation."""

    def tvd(labels):
        a = per_window[labels == 0].sum(0)
        b = per_window[labels == 1].sum(0)
        return 0.5 * float(np.abs(a / a.sum() - b / b.sum()).sum())

    rng = np.random.default_rng(seed)
    return tvd(y), float(np.mean([tvd(rng.permutation(y)) for _ in range(permutations)]))


def _plot_experts(args, participation: list, y: np.ndarray, classes: list):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modules = list(participation[0])
    width = max(participation[0][m].shape[1] for m in modules)
    figure, axes = plt.subplots(1, len(classes), figsize=(4 + 1.2 * width, 0.45 * len(modules) + 1.5), sharey=True)
    for axis, (k, name) in zip(np.atleast_1d(axes), enumerate(classes)):
        grid = np.full((len(modules), width), np.nan)
        for i, module in enumerate(modules):
            totals = np.mean([p[module][y == k].sum(0) / p[module][y == k].sum() for p in participation], axis=0)
            grid[i, : len(totals)] = totals
        image = axis.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if not np.isnan(grid[i, j]):
                    axis.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                              color="w" if grid[i, j] < 0.5 else "k")
        axis.set_xticks(range(width), [f"E{j}" for j in range(width)])
        axis.set_yticks(range(len(modules)), modules, fontsize=8)
        axis.set_title(f"{name} windows", fontsize=9)
    figure.colorbar(image, ax=axes, shrink=0.8, label="fraction of routing slots")
    figure.suptitle(f"Expert participation per class (fine-tuned, held-out subject, mean of {len(participation)} seed(s))",
                    fontsize=9)
    path = common.figure_path(args, "_experts")
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


# ----------------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------------


def _summary(rows, recipe, names, held_out, windows, erp, channel_names) -> str:
    reconstruction = [r for r in rows if r["kind"] == "reconstruction"]
    classifier = [r for r in rows if r["kind"] == "classifier"]
    perturbation = [r for r in rows if r["kind"] == "perturbation"]
    experts = [r for r in rows if r["kind"] == "experts"]
    recon = common.markdown_table(common.summarise(reconstruction, by=["mask"], metrics=["model_l1", "interpolation_l1", "zero_l1"]),
                                  by=["mask"], metrics=["model_l1", "interpolation_l1", "zero_l1"],
                                  names={"model_l1": "model ℓ1", "interpolation_l1": "linear interpolation ℓ1",
                                         "zero_l1": "predict 0 ℓ1"})
    scores = common.markdown_table(common.summarise(classifier, by=["held_out"]), by=["held_out"],
                                   names={"held_out": "held-out subject"})
    maps = common.summarise(perturbation, by=["channel"], metrics=["pearson_r"])
    for entry in maps:
        entry["ERP difference (µV)"] = f"{erp[channel_names.index(entry['channel'])]:+.2f}"
    maps_text = common.markdown_table(maps, by=["channel", "ERP difference (µV)"], metrics=["pearson_r"],
                                      names={"pearson_r": "perturbation r"})
    tvd = common.markdown_table(common.summarise(experts, by=["module"], metrics=["tvd", "tvd_null"]), by=["module"],
                                metrics=["tvd", "tvd_null"], names={"tvd": f"TVD {names[0]} vs {names[1]}",
                                                                    "tvd_null": "TVD, labels permuted"})
    return f"""Model {common.model_description(recipe)}, pretrained with AAMP ({recipe['pretrain_steps']} updates) and
fine-tuned on Face13 {recipe['task']} with subject {held_out} held out; {windows} held-out windows for the maps;
mean ± std over {len(recipe['seeds'])} seed(s).

**Reconstruction of masked points, 50 % masks, held-out subject's continuous windows** (A-law units; the pretrained
model saw the config's dynamic ratio; lower is better)

{recon}

**Classifier the maps explain** (test = held-out subject)

{scores}

**Perturbation map** (Pearson r between a channel's multiplicative gain, σ = {recipe['perturbation_noise']}, and the
true-class logit margin; {recipe['perturbation_repeats']} draws per window) beside the ERP {names[0]} − {names[1]}
difference in the N170 window:

{maps_text}

**Expert participation: distance between the classes' routing distributions** (total variation; the permuted-label
column is what chance alone gives with these window counts)

{tvd}
"""


def _notes(rows) -> str:
    recon = {r["mask"]: r for r in common.summarise([r for r in rows if r["kind"] == "reconstruction"], by=["mask"],
                                                    metrics=["model_l1", "interpolation_l1"])}
    experts = [r for r in rows if r["kind"] == "experts"]
    above = sum(r["tvd"] > r["tvd_null"] for r in experts)
    random_interp, aamp_interp = recon["random"]["interpolation_l1"][0], recon["AAMP"]["interpolation_l1"][0]
    premise = ("harder" if aamp_interp > random_interp else "not harder")
    return (f"Reading: linear interpolation from the visible neighbours fills the masked points with ℓ1 "
            f"{random_interp:.3f} under random masks and {aamp_interp:.3f} under AAMP masks: on our data amplitude "
            f"bands are {premise} to interpolate than random points (the paper's premise for AAMP). The "
            f"pretrained model's ℓ1 is {recon['random']['model_l1'][0]:.3f} (random) / "
            f"{recon['AAMP']['model_l1'][0]:.3f} (AAMP); compare it with the interpolation and predict-0 columns "
            f"before reading anything into it. Expert routing "
            f"differs between the classes more than under permuted labels in {above} of {len(experts)} (module, seed) "
            f"cases; a small model fine-tuned for a few epochs is not expected to show the clean class-specific "
            f"experts of the paper's figures, and the perturbation map of a near-chance classifier mostly shows noise.")
