"""The package as users install it: what the wheel carries, what importing it does, the old module names, the README's
Quick start and CI, the repository paths the docs name, and the model's outputs across the move into subpackages."""

import ast
import importlib
import io
import re
import shutil
import subprocess
import sys
import tokenize
import warnings
import zipfile
from pathlib import Path

import pytest
import torch

from helpers import REPO, tiny_config

SHIPPED_FOLDERS = ("configuration", "processing")  # installed as modeling_neuript.configuration / .processing


def tracked_files() -> list[str]:
    """Files of the checkout (git's view when there is one, else the folder minus caches and build output)."""
    listing = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True)
    if listing.returncode == 0 and listing.stdout.strip():
        return [f for f in listing.stdout.split("\n") if f and (REPO / f).is_file()]
    skip = {".git", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis", "outputs", "runs"}
    return [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file() and not skip & set(p.parts)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` of a copy of the checkout (the build leaves nothing in the checkout)."""
    source = tmp_path_factory.mktemp("source")
    for name in tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("neuript-*.whl")
    return built


def test_wheel_carries_every_preset_recipe_accelerate_config_and_subpackage(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for name in tracked_files():
        parts = Path(name).parts
        if parts[0] in SHIPPED_FOLDERS:
            expected.add("modeling_neuript/" + name)
        elif parts[0] == "modeling_neuript" and name.endswith(".py"):
            expected.add(name)
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing}"
    for must in ("modeling_neuript/configuration/neuript-paper.json", "modeling_neuript/configuration/accelerate/cpu.yaml",
                 "modeling_neuript/processing/face13.yaml", "modeling_neuript/experiments/pooling.py",
                 "modeling_neuript/training/metric_modules/balanced_accuracy.py"):
        assert must in names
    assert not any(n.startswith(("tests/", "docs/", "examples/", "benchmarks/")) for n in names)


def test_installed_wheel_finds_presets_recipes_and_experiments_outside_the_checkout(wheel, tmp_path):
    """The wheel unpacked into its own site folder, used from an empty folder: every shipped file is found through the
    installed package, never through the checkout (the non-editable install of .ci/run in miniature)."""
    site, empty = tmp_path / "site", tmp_path / "empty"
    empty.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    script = (
        "import modeling_neuript, sys\n"
        "from modeling_neuript.resources import preset_path, recipe_path, resource_path\n"
        "from modeling_neuript.training.factory import resolve_config\n"
        "from modeling_neuript.experiments.common import load_recipe\n"
        "from modeling_neuript.experiments.reproduce import ReproduceArguments\n"
        "config = resolve_config('neuript-tiny')\n"
        "recipe = load_recipe(ReproduceArguments(experiment='pooling', quick=True))\n"
        "paths = [preset_path('neuript-paper'), recipe_path('face13-pretraining'), recipe_path('downstream/tuev.yaml'),\n"
        "         resource_path('configuration', 'accelerate/cpu-ddp.yaml'), modeling_neuript.__file__]\n"
        "print(config.hidden_size, recipe['size'], *paths, sep='\\n')\n"
        "import importlib, pkgutil\n"
        "names = [m.name for m in pkgutil.walk_packages(modeling_neuript.__path__[:1], 'modeling_neuript.')\n"
        "         if not m.name.startswith('modeling_neuript._moved') and not m.name.endswith('braindecode_model')]\n"
        "for name in names:\n"
        "    assert importlib.import_module(name).__file__.startswith(sys.argv[1]), name\n"
        "print(len(names), 'modules imported from the wheel')\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(site)], cwd=empty, capture_output=True, text=True,
                            env={"PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "PATH": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split("\n")
    assert lines[:2] == ["48", "quick"]
    assert all(line.startswith(str(site)) for line in lines[2:7]), lines
    assert int(lines[7].split()[0]) >= 40, lines[7]


def test_importing_any_module_changes_nothing_global():
    """Every module of the package, imported one after another into a process that already imported the package:
    no sys.modules stand-ins, no mallopt, no new experts or attention kernels in transformers' registries, no torch,
    logging, warnings, environment or import-path settings change (registering with the Auto classes and pipelines,
    at `import modeling_neuript`, is the one global change). Without torchaudio the braindecode adapter is a clear
    ImportError, not a stand-in."""
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("import_side_effects.py"))],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CHANGED" not in result.stdout, result.stdout
    assert int(re.search(r"(\d+) modules imported", result.stdout).group(1)) >= 40


@pytest.mark.parametrize("old, new", [
    ("modeling_neuript.prepare", "modeling_neuript.data.prepare"),
    ("modeling_neuript.datasets", "modeling_neuript.data.sources"),
    ("modeling_neuript.pretrain", "modeling_neuript.training.pretrain"),
    ("modeling_neuript.hub", "modeling_neuript.interop.hub"),
    ("modeling_neuript.sklearn_neuript", "modeling_neuript.interop.sklearn_embedder"),
])
def test_old_module_names_work_for_one_release_with_a_warning(old, new):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert any(issubclass(w.category, FutureWarning) and new in str(w.message) for w in caught)


def test_old_training_utils_names_still_import():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from modeling_neuript.training_utils import keep_freed_memory, load_prepared, save_checkpoint
    from modeling_neuript.data.reading import load_prepared as new_load_prepared

    assert load_prepared is new_load_prepared and callable(save_checkpoint) and callable(keep_freed_memory)


def test_quick_start_is_two_lines_and_ci_runs_them_verbatim():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S).group(1)
    lines = [line.split("#")[0].strip() for line in block.strip().split("\n")]
    assert len(lines) == 2, lines
    setup_and_main_job, tests = lines
    assert setup_and_main_job.endswith("&& neuript demo")
    setup = setup_and_main_job.removesuffix("&& neuript demo").strip()
    ci = (REPO / ".ci" / "run").read_text().split("\n")
    assert setup in ci and tests in ci
    assert re.search(r"neuript\"? demo --quick", "\n".join(ci)) and re.search(r"neuript\"? reproduce \w+ --quick", "\n".join(ci))


def _docstrings_and_comments(source: str) -> str:
    """The text of a module's docstrings and comments (string literals elsewhere may name files a test creates)."""
    pieces = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            pieces.append(ast.get_docstring(node, clean=False) or "")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            pieces.append(token.string)
    return "\n".join(pieces)


def test_every_repository_path_named_in_docs_docstrings_and_comments_exists():
    """Paths into the repository (`docs/...`, `configuration/...`, `modeling_neuript/...`, ...) and markdown links
    resolve; a bare `*.md` name is a file of the repository. Placeholders (`<experiment>`, globs) are skipped."""
    top = r"(?:docs|configuration|processing|examples|benchmarks|tests|modeling_neuript|\.ci)"
    path_pattern = re.compile(r"(?<![\w/.-])(" + top + r"/[A-Za-z0-9_./-]*[A-Za-z0-9_/])(?![<*{])")
    bare_pattern = re.compile(r"(?<![\w/.<{*-])([A-Za-z0-9_-]+\.md)(?![\w/])")
    files = tracked_files()
    basenames = {Path(f).name for f in files}
    broken = []
    for name in files:
        if not name.endswith((".md", ".py", ".yaml", ".cfg", ".toml", ".sh")) and name != ".ci/run":
            continue
        text = (REPO / name).read_text(errors="replace")
        if name.endswith(".py"):
            text = _docstrings_and_comments(text)
        broken += [(name, ref) for ref in path_pattern.findall(text) if not (REPO / ref).exists()]
        broken += [(name, ref) for ref in bare_pattern.findall(text) if ref not in basenames]
        if name.endswith(".md"):
            for link in re.findall(r"\]\(([^)\s]+)\)", text):
                target = link.split("#")[0]
                if target and not re.match(r"^[a-z]+:", target) and not (REPO / name).parent.joinpath(target).exists():
                    broken.append((name, link))
    assert not broken, broken


def test_tiny_preset_steps_give_the_losses_they_gave_before_the_package_was_split():
    """One training step of each head, seeded, on fixed inputs: the losses measured before the move into
    subpackages (the kernels moved out of the model file compute the same values)."""
    from modeling_neuript import NeurIPTForPretraining, NeurIPTForSequenceClassification
    from modeling_neuript.electrodes_neuript import resolve_channel_positions

    names = ["F3", "F4", "C3", "C4", "O1", "O2"]
    positions = torch.as_tensor(resolve_channel_positions(names)[0], dtype=torch.float32)[None].expand(3, -1, -1)
    values = torch.randn(3, 6, 256, generator=torch.Generator().manual_seed(1))
    losses = {}
    for head, model_class, extra in (
        ("pretrain", NeurIPTForPretraining, {}),
        ("classify", NeurIPTForSequenceClassification, {"labels": torch.tensor([0, 1, 2])}),
    ):
        torch.manual_seed(0)
        model = model_class(tiny_config(num_labels=3)).train()
        torch.manual_seed(2)
        output = model(values, positions, **extra)
        output.loss.backward()
        losses[head] = output.loss.item()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert losses == pytest.approx({"pretrain": 0.7156175374984741, "classify": 1.1230521202087402}, rel=1e-5)
