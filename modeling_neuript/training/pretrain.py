"""`neuript pretrain`: AAMP pretraining with Accelerate (CPU, one GPU, DDP or FSDP through `accelerate launch`).

Optimiser and schedule are the paper's (AdamW β = (0.9, 0.98), weight decay 5e-3, OneCycle to 3e-4 with div 25,
final div 1e4, 15 % warm-up, cosine). Every `save_steps` updates the run writes `checkpoints/checkpoint_<step>/` with
`accelerator.save_state` (model as safetensors, optimizer, scheduler) plus `progress.json` and a `save_pretrained`
export (`hf/`: model + feature extractor), each checkpoint renamed into place atomically, and only the newest
`save_total_limit` are kept (a rotated one is renamed away before it is deleted, so a kill never leaves a partial
checkpoint under a checkpoint name). `--resume` continues from the newest complete checkpoint, with the run's own
schedule and data order (other `--max_steps`, batch or learning-rate values are refused: OneCycle's length is part of
the saved state). A fresh run into a folder holding another run's checkpoints moves them, untouched, to
`checkpoints/previous-<run>/` first, so rotation and `--resume` only ever see the current run's checkpoints. A full
disk is reported as such (naming the folder and the last complete checkpoint), not as torch's zip-writer error.

Exact resume: the data order and every random draw (masks, dropout, router noise) are functions of
(seed, micro-step, process) alone — the loop reseeds before each micro-batch and walks a per-epoch permutation by
index — so a resumed run replays the uninterrupted run exactly (same losses on CPU) without restoring any RNG state.
That is also why this loop shards batches itself instead of using a prepared DataLoader.

`--streaming`: for corpora that do not fit on local disk cache or in memory, the prepared Arrow files are read as a
`datasets` IterableDataset (`load_dataset("arrow", streaming=True)`), shuffled with a `shuffle_buffer`-window buffer
whose order is a function of (seed, epoch), and split over processes with `split_dataset_by_node`. The checkpoint
records (epoch, windows consumed) and `--resume` replays the stream to that point, so resuming stays exact (it re-reads
the consumed part of the current epoch once; reading is cheap next to training).
"""

import itertools
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import torch

from modeling_neuript.training.factory import is_checkpoint, resolve_config


@dataclass
class PretrainArguments:
    dataset: str = field(metadata={"help": "Folder written by `neuript prepare` (pretraining mode)."})
    output_dir: str = field(metadata={"help": "Run folder: checkpoints/, logs/, model/ (the final export)."})
    model: str = field(default="neuript-tiny", metadata={"help": "Preset name, config JSON or checkpoint folder."})
    max_steps: int = field(default=1000, metadata={"help": "Optimizer updates."})
    per_device_batch_size: int = field(default=8, metadata={"help": "Windows per process per micro-step."})
    gradient_accumulation_steps: int = field(default=1, metadata={"help": "Micro-steps per optimizer update."})
    learning_rate: float = field(default=3e-4, metadata={"help": "OneCycle peak learning rate."})
    weight_decay: float = field(default=5e-3, metadata={"help": "AdamW weight decay (not on biases, norms, mask tokens)."})
    adam_beta1: float = field(default=0.9, metadata={"help": "AdamW β1."})
    adam_beta2: float = field(default=0.98, metadata={"help": "AdamW β2."})
    div_factor: float = field(default=25.0, metadata={"help": "OneCycle: initial learning rate = peak / div_factor."})
    final_div_factor: float = field(default=1e4, metadata={"help": "OneCycle: final learning rate = initial / final_div_factor."})
    warmup_ratio: float = field(default=0.15, metadata={"help": "OneCycle: fraction of the updates spent warming up."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm."})
    mixed_precision: str = field(default="auto", metadata={"help": "'auto' (bf16 on a bf16 GPU), 'no', 'bf16', 'fp16'."})
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "Activation checkpointing of every layer (less memory, about a third more time)."}
    )
    activation_offload: bool = field(
        default=False, metadata={"help": "With --gradient_checkpointing: keep the saved layer inputs in pinned host memory."}
    )
    checkpoint_blocks: bool = field(
        default=False,
        metadata={"help": "With --gradient_checkpointing: also checkpoint each block of the full-resolution layers "
                          "(the decoder, the encoder before its first merge), so the backward pass recomputes one "
                          "block at a time — about half the peak activation memory, those blocks run forward once "
                          "more."},
    )
    save_steps: int = field(default=100, metadata={"help": "Write a resumable checkpoint every this many updates."})
    save_total_limit: int = field(default=3, metadata={"help": "Keep only the newest this many checkpoints of this run."})
    logging_steps: int = field(default=10, metadata={"help": "Log losses, learning rate and expert load every this many updates."})
    resume: bool = field(default=False, metadata={"help": "Continue from the newest checkpoint in output_dir."})
    stop_after_steps: Optional[int] = field(
        default=None,
        metadata={"help": "Save and stop after this many updates, keeping the max_steps schedule (time-limited jobs: "
                          "rerun with --resume); default: run to max_steps."},
    )
    seed: int = field(default=520, metadata={"help": "The paper's seed."})
    deterministic: Optional[bool] = field(
        default=None,
        metadata={"help": "torch.use_deterministic_algorithms; default: on for CPU runs (bit-exact resume), off on GPUs."},
    )
    mask_strategy: Optional[str] = field(
        default=None, metadata={"help": "'amplitude' (AAMP) or 'random' masking; default: the model config's."}
    )
    mask_ratios: Optional[str] = field(
        default=None, metadata={"help": "Mask ratios to draw from, comma separated, e.g. '0.5'; default: the model config's."}
    )
    report_to: str = field(default="tensorboard", metadata={"help": "'tensorboard' or 'none'."})
    progress_bar: bool = field(default=True, metadata={"help": "Show a tqdm progress bar."})
    streaming: bool = field(
        default=False,
        metadata={"help": "Stream the prepared Arrow files (datasets IterableDataset) instead of memory-mapping them."},
    )
    shuffle_buffer: int = field(default=2000, metadata={"help": "Windows in the streaming shuffle buffer."})


def checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints of the run in `output_dir`, oldest first (incomplete ones never carry the final name; a
    new run moves an earlier run's checkpoints to `checkpoints/previous-<run>/`, see `set_aside_earlier_run`)."""
    folder = output_dir / "checkpoints"
    found = [p for p in folder.glob("checkpoint_*") if re.fullmatch(r"checkpoint_\d+", p.name)] if folder.exists() else []
    return sorted(found, key=lambda p: int(p.name.split("_")[1]))


# What fixes the learning-rate schedule and the data order of a run: a resumed run must use the same values.
RUN_DEFINING_ARGUMENTS = (
    "max_steps", "per_device_batch_size", "gradient_accumulation_steps", "learning_rate", "weight_decay", "adam_beta1",
    "adam_beta2", "div_factor", "final_div_factor", "warmup_ratio", "seed",
)


def set_aside_earlier_run(output_dir: Path) -> Optional[Path]:
    """A fresh run (no `--resume`) into a folder that holds another run's checkpoints: move them, untouched, to
    `checkpoints/previous-<run id>/`, so that this run's rotation and a later `--resume` see only this run's
    checkpoints (and a checkpoint of the same step never collides). Returns the folder they went to."""
    found = checkpoints(output_dir)
    if not found:
        return None
    progress_file = found[-1] / "progress.json"
    run_id = json.loads(progress_file.read_text()).get("run_id") if progress_file.exists() else None
    target = output_dir / "checkpoints" / f"previous-{run_id or int(found[-1].stat().st_mtime)}"
    target.mkdir(parents=True, exist_ok=True)
    for checkpoint in found:
        os.replace(checkpoint, target / checkpoint.name)
    return target


def check_resumable(progress: dict, args, checkpoint: Path) -> None:
    """Refuse to resume a run with other schedule or data-order settings: OneCycle's length is part of the saved
    scheduler state, so a larger `--max_steps` would silently keep the finished schedule."""
    saved = progress.get("args") or {}
    differ = [name for name in RUN_DEFINING_ARGUMENTS if name in saved and saved[name] != getattr(args, name)]
    if differ:
        listed = ", ".join(f"--{name} {getattr(args, name)} (the run: {saved[name]})" for name in differ)
        again = " ".join(f"--{name} {saved[name]}" for name in differ)
        raise ValueError(
            f"Cannot resume {checkpoint} with {listed}: the learning-rate schedule and the data order of a run are "
            f"fixed when it starts. Resume with {again}, or start a new run from this checkpoint's model "
            f"(--model {checkpoint / 'hf'} and another --output_dir) with its own schedule."
        )


def remove_checkpoint(checkpoint: Path) -> None:
    """Delete a checkpoint so that a kill at any moment never leaves a partial one under a checkpoint name: renamed
    to `.deleting-<name>` first (one atomic step), then removed."""
    doomed = checkpoint.with_name(f".deleting-{checkpoint.name}")
    os.replace(checkpoint, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def disk_full(error: BaseException, folder: Path) -> bool:
    """Whether a failed write looks like a full disk: ENOSPC anywhere in the exception chain, torch's zip writer's
    symptom of one (`inline_container.cc: unexpected pos`), or (almost) no space left where it wrote."""
    import errno

    seen = error
    while seen is not None:
        if getattr(seen, "errno", None) == errno.ENOSPC or "No space left" in str(seen):
            return True
        if "unexpected pos" in str(seen) or "inline_container" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    try:
        return shutil.disk_usage(folder).free < 64 * 2**20
    except OSError:
        return False


def disk_full_error(error: BaseException, folder: Path, what: str, output_dir: Path) -> OSError:
    import errno

    found = checkpoints(output_dir)
    intact = f"the last complete checkpoint, {found[-1].name}, is intact: rerun with --resume" if found else (
        "no complete checkpoint was written yet")
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.0f} MiB free"
    except OSError:
        free = "free space unknown"
    return OSError(
        errno.ENOSPC,
        f"Writing {what} failed because the disk holding {folder} is full ({free}; the write stopped with: "
        f"{type(error).__name__}: {str(error)[:200]}). Free some space or use another --output_dir; {intact}.",
    )


def batch_indices(num_rows: int, batch_size: int, world: int, rank: int, seed: int, micro_step: int) -> list[int]:
    """Rows of micro-batch `micro_step` on process `rank`: epochs are seeded permutations, each cut into
    `batch_size × world` blocks (the ragged tail is skipped)."""
    per_step = batch_size * world
    steps_per_epoch = num_rows // per_step
    if steps_per_epoch == 0:
        raise ValueError(f"The dataset has {num_rows} windows, fewer than one global batch ({per_step}).")
    epoch, position = divmod(micro_step, steps_per_epoch)
    order = torch.randperm(num_rows, generator=torch.Generator().manual_seed(seed + epoch))
    start = position * per_step + rank * batch_size
    return order[start : start + batch_size].tolist()


class IndexedBatches:
    """Micro-batches of a memory-mapped dataset: batch `micro_step` of process `rank` is a function of
    (seed, micro_step, rank) alone (see `batch_indices`), so there is no position to save."""

    def __init__(self, dataset, batch_size: int, world: int, rank: int, seed: int):
        self.dataset = dataset.select_columns(["input_values", "channel_positions"]).with_format("numpy")
        self.batch_size, self.world, self.rank, self.seed = batch_size, world, rank, seed

    def rows(self, micro_step: int) -> list[dict]:
        picked = self.dataset[batch_indices(len(self.dataset), self.batch_size, self.world, self.rank, self.seed, micro_step)]
        return [dict(zip(picked, values)) for values in zip(*picked.values())]

    def state_dict(self) -> Optional[dict]:
        return None

    def load_state_dict(self, state: Optional[dict]) -> None:
        pass


class StreamedBatches:
    """Micro-batches read from a `datasets` IterableDataset: a seeded buffer shuffle per epoch, one share of the
    stream per process, the ragged end of an epoch skipped. `state_dict()` = (epoch, windows consumed this epoch)."""

    def __init__(self, data_files: list, batch_size: int, world: int, rank: int, seed: int, buffer_size: int):
        from datasets import load_dataset
        from datasets.distributed import split_dataset_by_node

        stream = load_dataset("arrow", data_files=data_files, split="train", streaming=True)
        stream = stream.select_columns(["input_values", "channel_positions"]).with_format("numpy")
        stream = stream.shuffle(seed=seed, buffer_size=buffer_size)
        self.stream = split_dataset_by_node(stream, rank=rank, world_size=world)
        self.batch_size = batch_size
        self.epoch, self.consumed = 0, 0
        self._iterator = None

    def _restart(self) -> None:
        self.stream.set_epoch(self.epoch)
        # Replaying the epoch up to the saved position (rather than restoring a shuffle buffer) keeps resume exact.
        self._iterator = itertools.islice(iter(self.stream), self.consumed, None)

    def rows(self, micro_step: int) -> list[dict]:
        if self._iterator is None:
            self._restart()
        rows = list(itertools.islice(self._iterator, self.batch_size))
        if len(rows) < self.batch_size:  # end of this epoch: the ragged tail is skipped
            if self.consumed == 0:
                raise ValueError(f"The stream holds {len(rows)} windows per process, fewer than one batch "
                                 f"({self.batch_size}); lower --per_device_batch_size.")
            self.epoch, self.consumed = self.epoch + 1, 0
            self._restart()
            return self.rows(micro_step)
        self.consumed += self.batch_size
        return rows

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: Optional[dict]) -> None:
        if state:
            self.epoch, self.consumed, self._iterator = int(state["epoch"]), int(state["consumed"]), None


def pretrain(args: PretrainArguments) -> dict:
    """Run (or resume) pretraining; returns a summary with the loss history."""
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration
    from tqdm.auto import tqdm

    from modeling_neuript.data.reading import WindowCollator, dataset_root, load_prepared
    from modeling_neuript.modeling_neuript import AmplitudeAwareMasking, NeurIPTForPretraining
    from modeling_neuript.training.checkpoints import save_checkpoint
    from modeling_neuript.training.memory import enable_activation_checkpointing
    from modeling_neuript.training.moe_statistics import expert_load, warn_on_collapse

    output_dir = Path(args.output_dir)
    precision = args.mixed_precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        mixed_precision=precision,
        log_with=None if args.report_to == "none" else args.report_to,
        project_config=ProjectConfiguration(project_dir=str(output_dir), logging_dir=str(output_dir / "logs")),
    )
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > accelerator.num_processes:
        # e.g. an FSDP config launched on a machine without GPUs: Accelerate falls back to independent single-process
        # runs, which would all write the same checkpoints.
        raise ValueError(
            f"{launched} processes were launched but Accelerate set up {accelerator.num_processes} "
            f"({accelerator.distributed_type}); FSDP needs GPUs — on CPU use configuration/accelerate/cpu-ddp.yaml."
        )
    deterministic = args.deterministic if args.deterministic is not None else accelerator.device.type == "cpu"
    if deterministic:
        # Some CPU backward kernels (scatter-adds) sum in thread order; without this, losses agree only to ~1e-7
        # between two runs and a resumed run drifts from the uninterrupted one in the last bits.
        torch.use_deterministic_algorithms(True)
    dataset, extractor, _ = load_prepared(args.dataset)
    world, rank = accelerator.num_processes, accelerator.process_index
    if args.streaming:
        files = sorted(str(p) for p in (dataset_root(args.dataset) / "data").glob("*.arrow"))
        source = StreamedBatches(files, args.per_device_batch_size, world, rank, args.seed, args.shuffle_buffer)
    else:
        source = IndexedBatches(dataset, args.per_device_batch_size, world, rank, args.seed)
    collate = WindowCollator(extractor)

    ratios = None if args.mask_ratios is None else [float(r) for r in args.mask_ratios.split(",")]
    # The model records the windows it is trained on (checked against the extractor wherever it is loaded).
    windows = {"sampling_rate": extractor.sampling_rate, "window_seconds": extractor.window_seconds}
    if is_checkpoint(args.model):
        model = NeurIPTForPretraining.from_pretrained(args.model, **windows)
        for key, value in {"mask_strategy": args.mask_strategy, "mask_ratios": ratios}.items():
            if value is not None:
                setattr(model.config, key, value)
        model.masking = AmplitudeAwareMasking(model.config)  # the mask follows the overridden config
    else:
        config = resolve_config(args.model, mask_strategy=args.mask_strategy, mask_ratios=ratios, **windows)
        torch.manual_seed(args.seed)
        model = NeurIPTForPretraining(config)
    if args.activation_offload and not args.gradient_checkpointing:
        raise ValueError("--activation_offload moves the checkpointed layer inputs to host memory; it needs "
                         "--gradient_checkpointing too.")
    if args.activation_offload and not torch.cuda.is_available():
        raise ValueError("--activation_offload copies the checkpointed layer inputs from the GPU to pinned host memory; "
                         "without a GPU the activations are in host memory already: drop the flag.")
    if args.checkpoint_blocks and not args.gradient_checkpointing:
        raise ValueError("--checkpoint_blocks nests block checkpoints inside the layer checkpoints; it needs "
                         "--gradient_checkpointing too.")
    if args.gradient_checkpointing:
        enable_activation_checkpointing(model, offload=args.activation_offload, blocks=args.checkpoint_blocks)

    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        (no_decay if parameter.ndim < 2 or "norm" in name or "mask_token" in name else decay).append(parameter)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.learning_rate, betas=(args.adam_beta1, args.adam_beta2),
    )
    # A prepared scheduler is stepped once per process per update, hence total_steps × num_processes.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.learning_rate, total_steps=args.max_steps * accelerator.num_processes,
        pct_start=args.warmup_ratio, anneal_strategy="cos", div_factor=args.div_factor,
        final_div_factor=args.final_div_factor, cycle_momentum=False,
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    # When, which process, and a random part: two runs started by one process within a second must differ.
    step, history, run_id = 0, [], f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    found = checkpoints(output_dir)
    if args.resume and found:
        progress = json.loads((found[-1] / "progress.json").read_text())
        check_resumable(progress, args, found[-1])
        accelerator.load_state(str(found[-1]))
        step, history = progress["step"], progress["history"]
        run_id = progress.get("run_id") or run_id
        source.load_state_dict(progress.get("data_state", {}).get(str(rank)))
        accelerator.print(f"resumed from {found[-1]} at step {step}")
    else:
        if found and accelerator.is_main_process:
            moved = set_aside_earlier_run(output_dir)
            accelerator.print(f"{output_dir} held checkpoints of an earlier run: moved to {moved} (nothing deleted); "
                              "pass --resume true to continue a run instead")
        accelerator.wait_for_everyone()
        run_id = broadcast_run_id(accelerator, run_id)
    if args.report_to != "none":
        accelerator.init_trackers("neuript-pretrain", config={k: v for k, v in asdict(args).items() if v is not None})

    accumulation = args.gradient_accumulation_steps
    bar = tqdm(total=args.max_steps, initial=step, desc="pretrain", disable=not (args.progress_bar and accelerator.is_main_process))
    tic = time.perf_counter()
    stop_at = args.max_steps if args.stop_after_steps is None else min(args.stop_after_steps, args.max_steps)
    while step < stop_at:
        model.train()
        totals = {"loss": 0.0, "reconstruction_loss": 0.0, "aux_loss": 0.0}
        for micro in range(accumulation):
            micro_step = step * accumulation + micro
            torch.manual_seed(args.seed * 1_000_003 + micro_step * world + rank)
            batch = collate(source.rows(micro_step))
            batch = {k: v.to(accelerator.device) for k, v in batch.items()}
            with accelerator.accumulate(model):
                out = model(**batch, output_router_logits=True)
                accelerator.backward(out.loss)
                grad_norm = None
                if accelerator.sync_gradients:
                    grad_norm = accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            for key in totals:
                totals[key] += getattr(out, key).detach().float().item() / accumulation
        step += 1
        reduced = {k: accelerator.reduce(torch.tensor(v, device=accelerator.device), "mean").item() for k, v in totals.items()}
        record = {"step": step, **reduced, "lr": scheduler.get_last_lr()[0]}
        if grad_norm is not None:
            record["grad_norm"] = float(grad_norm)
        history.append(record)
        bar.update(1)
        bar.set_postfix(loss=f"{reduced['loss']:.4f}", recon=f"{reduced['reconstruction_loss']:.4f}")
        if step % args.logging_steps == 0 or step == args.max_steps:
            elapsed = time.perf_counter() - tic
            logs = dict(record)
            logs["samples_per_second"] = args.logging_steps * args.per_device_batch_size * accumulation * world / max(elapsed, 1e-9)
            unwrapped = accelerator.unwrap_model(model)
            for stats in expert_load(out.router_logits, unwrapped.config):
                logs[f"expert_entropy/{stats['module']}"] = stats["entropy"]
                for e, fraction in enumerate(stats["fraction"]):
                    logs[f"expert_load/{stats['module']}/expert{e}"] = fraction
            if accelerator.is_main_process:
                warn_on_collapse(expert_load(out.router_logits, unwrapped.config))
            if args.report_to != "none":
                accelerator.log(logs, step=step)
            tic = time.perf_counter()
        if step % args.save_steps == 0 or step == stop_at:
            save_state(accelerator, model, extractor, output_dir, step, history, args, source, run_id)
    bar.close()
    accelerator.wait_for_everyone()
    final = output_dir / "model"
    if step < args.max_steps:  # stopped early on purpose; the checkpoint holds everything needed to resume
        accelerator.end_training()
        return {"history": history, "model": None, "stopped_at": step}
    if accelerator.is_main_process:
        try:
            save_checkpoint(accelerator.unwrap_model(model), extractor, final, training_history={"history": history})
        except (OSError, RuntimeError) as error:
            if not disk_full(error, output_dir):
                raise
            raise disk_full_error(error, output_dir, f"the final model {final}", output_dir) from error
    accelerator.end_training()
    return {"history": history, "model": str(final)}


def broadcast_run_id(accelerator, run_id: str) -> str:
    """The main process's run id on every process (each would otherwise stamp its own time and pid)."""
    from accelerate.utils import broadcast_object_list

    if accelerator.num_processes == 1:
        return run_id
    return broadcast_object_list([run_id])[0]


def save_state(accelerator, model, extractor, output_dir: Path, step: int, history: list, args, source=None,
               run_id: Optional[str] = None) -> None:
    """`accelerator.save_state` + progress + HF export into a temporary folder, fsynced, renamed into place; then
    only the newest `save_total_limit` checkpoints are kept."""
    from modeling_neuript.training.checkpoints import fsync_tree

    folder = output_dir / "checkpoints"
    target = folder / f"checkpoint_{step:07d}"
    tmp = folder / f".tmp-checkpoint_{step:07d}"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        for leftover in folder.glob(".deleting-checkpoint_*"):  # a rotation interrupted by a kill
            shutil.rmtree(leftover, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    try:
        accelerator.save_state(str(tmp), safe_serialization=True)
        # Every process's position in the data (None for the indexed source, whose position is the step itself).
        from accelerate.utils import gather_object

        data_state = gather_object([source.state_dict() if source is not None else None])
        if accelerator.is_main_process:
            progress = {"step": step, "history": history, "args": asdict(args), "run_id": run_id,
                        "data_state": {str(r): s for r, s in enumerate(data_state)}}
            (tmp / "progress.json").write_text(json.dumps(progress) + "\n")
            unwrapped = accelerator.unwrap_model(model)
            unwrapped.save_pretrained(tmp / "hf")
            extractor.save_pretrained(tmp / "hf")
            fsync_tree(tmp)
    except (OSError, RuntimeError) as error:
        if not disk_full(error, folder):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # give the space back; the complete checkpoints are untouched
        raise disk_full_error(error, folder, f"checkpoint {target.name}", output_dir) from error
    if accelerator.is_main_process:
        os.replace(tmp, target)
        # Only this run's checkpoints are here (an earlier run's were set aside when this one started).
        for old in checkpoints(output_dir)[: -args.save_total_limit]:
            remove_checkpoint(old)
    accelerator.wait_for_everyone()


def run_pretrain(args: PretrainArguments) -> int:
    summary = pretrain(args)
    history = summary["history"]
    if summary["model"] is None:
        print(f"stopped after step {summary['stopped_at']}; resume with --resume")
    elif history:
        print(f"step {history[-1]['step']}: loss {history[-1]['loss']:.4f}, "
              f"reconstruction {history[-1]['reconstruction_loss']:.4f}; model in {summary['model']}")
    return 0
