"""The `neuript` command line: `neuript <command> [options]`, or `neuript <command> settings.yaml`.

Each command parses its own dataclass(es) of arguments with `transformers.HfArgumentParser`, so every option can also
come from a JSON or YAML file (`neuript pretrain configuration/pretrain-neuript-tiny.yaml`). The list of commands and
their one-line descriptions live here, so `neuript --help` answers without importing torch or transformers; a
command's module is imported only once its name has been checked.
"""

import argparse
import importlib
import sys
from typing import Optional

# name: (module, argument dataclasses, function, one-line description)
COMMANDS = {
    "demo": (
        "modeling_neuript.experiments.demo", ("DemoArguments",), "run_demo",
        "The main job: AAMP-pretrain and fine-tune NeurIPT on real EEG (Face13), compare it with baselines on the "
        "same splits, and write a report.",
    ),
    "prepare": (
        "modeling_neuript.data.prepare", ("PrepareArguments",), "run_prepare",
        "Turn EEG recordings into a prepared dataset of model-ready windows, following a recipe (processing/*.yaml).",
    ),
    "pretrain": (
        "modeling_neuript.training.pretrain", ("PretrainArguments",), "run_pretrain",
        "Pretrain with AAMP (amplitude-aware masking) on a prepared dataset, with Accelerate (CPU, GPU, DDP, FSDP).",
    ),
    "finetune": (
        "modeling_neuript.training.finetune", ("FinetuneArguments", "FinetuneTrainingArguments"), "run_finetune",
        "Fine-tune a classifier (IILP head) on a prepared labelled dataset with transformers' Trainer.",
    ),
    "benchmark": (
        "modeling_neuript.training.benchmark", ("BenchmarkArguments",), "run_benchmark",
        "Is NeurIPT worth it on my data? Fine-tune NeurIPT and train the compact baselines (EEGNet, ShallowFBCSPNet, "
        "tangent space, logistic regressions) on the same windows, splits and seeds of any prepared dataset or trial "
        "file; one table.",
    ),
    "reproduce": (
        "modeling_neuript.experiments.reproduce", ("ReproduceArguments",), "run_reproduce",
        "Rerun one of the paper's claims at small scale on real EEG and write a report with mean ± std over seeds.",
    ),
    "ablation": (
        "modeling_neuript.experiments.ablation", ("AblationArguments",), "run_ablation",
        "Rerun the demo's fine-tuning with one change per arm (configuration/ablation-face13.yaml) and tabulate what "
        "moved the number.",
    ),
    "convert-official": (
        "modeling_neuript.interop.official", ("ConvertOfficialArguments",), "run_convert_official",
        "Convert a checkpoint of the authors' NeurIPT code into a safetensors checkpoint that reproduces its outputs.",
    ),
}

# Commands whose first word after the command is a positional name, e.g. `neuript reproduce aamp_vs_random --quick`.
POSITIONAL = {"reproduce": "experiment", "convert-official": "checkpoint"}

# Commands that allocate the same large activations step after step: glibc is told to keep freed memory
# (`modeling_neuript.training.memory.keep_freed_memory`).
TRAINING_COMMANDS = ("demo", "pretrain", "finetune", "benchmark", "reproduce", "ablation")

# The TrainingArguments that `neuript finetune --help` shows next to its own options (those whose defaults it sets,
# and resuming); every other TrainingArguments option is accepted too and listed by `--help_all`.
FINETUNE_TRAINER_OPTIONS = (
    "output_dir", "num_train_epochs", "learning_rate", "weight_decay", "warmup_steps", "lr_scheduler_type",
    "per_device_train_batch_size", "per_device_eval_batch_size", "eval_strategy", "save_strategy", "save_total_limit",
    "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "logging_steps", "seed", "use_cpu",
    "report_to", "resume_from_checkpoint",
)


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: neuript <command> [options]     (or: neuript <command> settings.yaml)", "", "commands:"]
    lines += [f"  {name:<{width}}  {COMMANDS[name][3]}" for name in COMMANDS]
    lines += ["", "`neuript <command> --help` lists a command's options and their defaults."]
    return "\n".join(lines)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends `(default: ...)` to an option's help unless the help already says what the default is (options whose
    default depends on other settings say so in words), so no option shows two defaults."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default is None or "default" in text.lower() or action.default is argparse.SUPPRESS:
            return text
        return super()._get_help_string(action)


def build_parser(command: str, show_all: bool = True):
    """The `HfArgumentParser` of one command (importing its module). With `show_all=False`, `neuript finetune`'s help
    keeps to its own options and the TrainingArguments it sets, pointing to `--help_all` for the rest."""
    from transformers import HfArgumentParser

    module_name, classes, _, description = COMMANDS[command]
    module = importlib.import_module(module_name)
    parser = HfArgumentParser(
        tuple(getattr(module, name) for name in classes), prog=f"neuript {command}", description=description,
        formatter_class=HelpFormatter,
    )
    if command == "finetune" and not show_all:
        own = {action.dest for action in HfArgumentParser(module.FinetuneArguments)._actions}
        for action in parser._actions:
            if action.dest not in own and action.dest not in FINETUNE_TRAINER_OPTIONS and action.dest != "help":
                action.help = argparse.SUPPRESS
        parser.epilog = (
            "Every other transformers TrainingArguments option is accepted too (e.g. --gradient_accumulation_steps, "
            "--bf16, --max_steps, --early_stopping_patience through the options above): `neuript finetune "
            "--help_all` lists them all."
        )
    return parser, module


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"neuript: unknown command {command!r}; the commands are: {', '.join(COMMANDS)}.\n", file=sys.stderr)
        print(usage(), file=sys.stderr)
        return 2
    import modeling_neuript

    modeling_neuript.register()  # deferred by the package while `neuript` parsed its first word
    show_all = "--help_all" in rest
    rest = ["--help" if word == "--help_all" else word for word in rest]
    parser, module = build_parser(command, show_all=show_all)
    if command in POSITIONAL and rest and not rest[0].startswith("-") and not rest[0].endswith((".json", ".yaml", ".yml")):
        rest = [f"--{POSITIONAL[command]}", rest[0], *rest[1:]]
    if len(rest) == 1 and rest[0].endswith((".json", ".yaml", ".yml")):
        loader = parser.parse_json_file if rest[0].endswith(".json") else parser.parse_yaml_file
        arguments = loader(rest[0])
    else:
        arguments = parser.parse_args_into_dataclasses(rest)
    if command in TRAINING_COMMANDS:
        from modeling_neuript.training.memory import keep_freed_memory

        keep_freed_memory()
    import logging

    logging.basicConfig(format="%(message)s")
    logging.getLogger("modeling_neuript").setLevel(logging.INFO)  # one-line notes of our own (e.g. what was loaded)
    return getattr(module, COMMANDS[command][2])(*arguments)


if __name__ == "__main__":
    sys.exit(main())
