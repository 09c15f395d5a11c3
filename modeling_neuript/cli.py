"""The `neuript` command line: `neuript <command> [--options]`.

Each command parses its own dataclass of arguments with `transformers.HfArgumentParser`, so every option is also
settable from a JSON/YAML file (`neuript pretrain configuration/pretrain-tiny.yaml`).
"""

import sys

from transformers import HfArgumentParser


def _lazy(module: str, arguments: str, function: str):
    """Import a command's module only when it runs (keeps `neuript --help` fast)."""
    import importlib

    loaded = importlib.import_module(f"modeling_neuript.{module}")
    names = (arguments,) if isinstance(arguments, str) else arguments
    return tuple(getattr(loaded, name) for name in names), getattr(loaded, function)


COMMANDS = {
    "demo": lambda: _lazy("demo", "DemoArguments", "run_demo"),
    "prepare": lambda: _lazy("prepare", "PrepareArguments", "run_prepare"),
    "pretrain": lambda: _lazy("pretrain", "PretrainArguments", "run_pretrain"),
    "finetune": lambda: _lazy("finetune", ("FinetuneArguments", "FinetuneTrainingArguments"), "run_finetune"),
    "reproduce": lambda: _lazy("reproduce", "ReproduceArguments", "run_reproduce"),
}

# Commands that allocate the same large activations step after step: glibc is told to keep freed memory
# (`training_utils.keep_freed_memory`; a third of the matrix-multiplication time on 2 CPU cores went to page faults).
TRAINING_COMMANDS = ("demo", "pretrain", "finetune", "reproduce")

# Commands whose first word after the command is a positional name, e.g. `neuript reproduce aamp_vs_random --quick`.
POSITIONAL = {"reproduce": "--experiment"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: neuript {" + ",".join(COMMANDS) + "} [--help] [options]")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    argument_classes, function = COMMANDS[argv[0]]()
    if argv[0] in TRAINING_COMMANDS:
        from .training_utils import keep_freed_memory

        keep_freed_memory()
    parser = HfArgumentParser(argument_classes, prog=f"neuript {argv[0]}")
    rest = argv[1:]
    if argv[0] in POSITIONAL and rest and not rest[0].startswith("-") and not rest[0].endswith((".json", ".yaml", ".yml")):
        rest = [POSITIONAL[argv[0]], rest[0], *rest[1:]]
    if len(rest) == 1 and rest[0].endswith((".json", ".yaml", ".yml")):
        loader = parser.parse_json_file if rest[0].endswith(".json") else parser.parse_yaml_file
        arguments = loader(rest[0])
    else:
        arguments = parser.parse_args_into_dataclasses(rest)
    return function(*arguments)


if __name__ == "__main__":
    sys.exit(main())
