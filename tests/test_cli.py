"""The `neuript` command as a newcomer meets it: the command list, errors for unknown commands, every option
explained with its default, `finetune --help` that leads with our options, and defaults that never write into the
checkout."""

import argparse
import dataclasses
import re
import subprocess
import sys

import pytest

from helpers import REPO
from modeling_neuript import cli


def run_cli(*args) -> subprocess.CompletedProcess:
    script = f"import sys\nsys.argv = ['neuript', *{list(args)!r}]\nfrom modeling_neuript.cli import main\nrc = main()\n" \
             "print('heavy modules:', sorted(m for m in ('torch', 'transformers', 'scipy') if m in sys.modules))\n" \
             "sys.exit(rc)\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)


def test_top_level_help_lists_every_command_with_a_sentence_and_imports_no_framework():
    """`neuript --help` parses before importing anything heavy (a count of imports, not a stopwatch)."""
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "heavy modules: []" in result.stdout
    for command in cli.COMMANDS:
        line = re.search(rf"^  {command}\s+(.+)$", result.stdout, re.M)
        assert line and len(line.group(1).split()) >= 6, command


def test_an_unknown_command_names_itself_and_the_valid_ones():
    result = run_cli("foo", "--bar")
    assert result.returncode == 2
    assert "unknown command 'foo'" in result.stderr
    assert all(command in result.stderr for command in cli.COMMANDS)


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_option_of_our_own_has_help_and_a_default(command):
    """Our dataclasses' options (not transformers' TrainingArguments): a help text, and a default that is shown or
    said in words (or the option is required). No option shows two defaults."""
    parser, module = cli.build_parser(command)
    ours = {f.name for name in cli.COMMANDS[command][1] for f in dataclasses.fields(getattr(module, name))
            if name != "FinetuneTrainingArguments" or f.name in cli.FINETUNE_TRAINER_OPTIONS}
    formatter = cli.HelpFormatter("neuript")
    for action in parser._actions:
        if action.dest not in ours or action.option_strings[0].startswith("--no_"):
            continue
        assert action.help and action.help != argparse.SUPPRESS, f"{command} --{action.dest} has no help"
        text = formatter._expand_help(action)
        assert action.required or "default" in text.lower(), f"{command} --{action.dest}: {text!r}"
        assert text.lower().count("default") <= 1, f"{command} --{action.dest} shows two defaults: {text!r}"


def test_finetune_help_leads_with_our_options_and_points_to_the_trainer_ones():
    parser, _ = cli.build_parser("finetune", show_all=False)
    text = parser.format_help()
    assert text.index("--dataset") < text.index("--output_dir") < text.index("--learning_rate")
    assert "--help_all" in text and "--gradient_accumulation_steps" not in text.split("options:")[1].split("Every other")[0]
    assert len(text.splitlines()) < 175  # our options (incl. the recipe knobs) and the Trainer ones we set
    full = cli.build_parser("finetune", show_all=True)[0].format_help()
    assert "--gradient_accumulation_steps" in full


def test_reproduce_takes_the_experiment_as_its_first_word():
    parser, module = cli.build_parser("reproduce")
    assert "first word after the command" in parser.format_help()


def test_no_command_writes_into_the_checkouts_tracked_files_by_default():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    tracked_dirs = {part for name in tracked for part in [name.split("/")[0]] if "/" in name}
    ignored = (REPO / ".gitignore").read_text().split()
    for command in cli.COMMANDS:
        _, module = cli.build_parser(command)
        for name in cli.COMMANDS[command][1]:
            for field in dataclasses.fields(getattr(module, name)):
                if not field.name.endswith(("_dir", "output")) or not isinstance(field.default, str):
                    continue
                top = field.default.split("/")[0]
                assert top not in tracked_dirs, f"{command} --{field.name} defaults into the checkout: {field.default}"
                assert f"{top}/" in ignored, f"{command} --{field.name}: {top}/ is not in .gitignore"
