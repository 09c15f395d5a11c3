"""Security and integrity: no pickle loading anywhere in our code, damaged or mismatched checkpoints refused with a
`ValueError` that names the problem (each one counted in the reliability summary), and importing the package touches
neither the network nor the home directory."""

import json
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from helpers import REPO, tiny_config
from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification, NeurIPTModel
from reliability_registry import count

# ----------------------------------------------------------------------------------------------------------------------
# Pickles
# ----------------------------------------------------------------------------------------------------------------------

SCANNED = ("modeling_neuript", "examples", "benchmarks")
UNSAFE = [
    (re.compile(r"\btorch\.load\((?![^)]*weights_only\s*=\s*True)"), "torch.load without weights_only=True"),
    (re.compile(r"\b(c?pickle|dill|joblib|cloudpickle)\.loads?\("), "pickle-style load"),
    (re.compile(r"allow_pickle\s*=\s*True"), "np.load(allow_pickle=True)"),
    (re.compile(r"\bpd\.read_pickle\(|\bread_pickle\("), "pandas read_pickle"),
    (re.compile(r"\bweights_only\s*=\s*False"), "weights_only=False"),
    (re.compile(r"\byaml\.(unsafe_)?load\((?![^)]*Loader\s*=\s*yaml\.SafeLoader)"), "yaml.load without SafeLoader"),
]


def unsafe_loads(root: Path) -> list[str]:
    found = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for pattern, what in UNSAFE:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(root)}:{line}: {what}")
    return found


def test_nothing_in_the_package_examples_or_benchmarks_loads_a_pickle():
    found = unsafe_loads(REPO)
    assert not found, "unsafe deserialisation:\n" + "\n".join(found)


def test_the_pickle_scan_finds_what_it_looks_for(tmp_path):
    (tmp_path / "modeling_neuript").mkdir()
    (tmp_path / "modeling_neuript" / "bad.py").write_text(
        "import torch, pickle, numpy as np\nstate = torch.load(path)\nok = torch.load(path, weights_only=True)\n"
        "obj = pickle.load(handle)\narr = np.load(f, allow_pickle=True)\n")
    assert unsafe_loads(tmp_path) == [
        "modeling_neuript/bad.py:2: torch.load without weights_only=True",
        "modeling_neuript/bad.py:4: pickle-style load",
        "modeling_neuript/bad.py:5: np.load(allow_pickle=True)",
    ]


# ----------------------------------------------------------------------------------------------------------------------
# Damaged and mismatched checkpoints
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoint")
    torch.manual_seed(0)
    NeurIPTModel(tiny_config()).save_pretrained(folder)
    NeurIPTFeatureExtractor().save_pretrained(folder)
    return folder


def header_length(path: Path) -> int:
    return struct.unpack("<Q", path.read_bytes()[:8])[0]


def write_weights(transform):
    def damage(folder: Path):
        path = folder / "model.safetensors"
        path.write_bytes(transform(path.read_bytes(), header_length(path)))
    return damage


def edit_config(**changes):
    def damage(folder: Path):
        config = json.loads((folder / "config.json").read_text())
        config.update(changes)
        (folder / "config.json").write_text(json.dumps(config))
    return damage


def drop_weight(name):
    def damage(folder: Path):
        from safetensors.torch import load_file, save_file

        weights = load_file(folder / "model.safetensors")
        del weights[name]
        save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return damage


DAMAGED_WEIGHTS = {
    "truncated to half": (write_weights(lambda raw, n: raw[: len(raw) // 2]), "truncated or corrupted"),
    "truncated inside the header": (write_weights(lambda raw, n: raw[: n // 2]), "truncated or corrupted"),
    "8 bytes left": (write_weights(lambda raw, n: raw[:8]), "truncated or corrupted"),
    "empty file": (write_weights(lambda raw, n: b""), "truncated or corrupted"),
    "header length 1 TB": (write_weights(lambda raw, n: struct.pack("<Q", 10**12) + raw[8:]), "truncated or corrupted"),
    "garbage header": (write_weights(lambda raw, n: raw[:8] + b"x" * n + raw[8 + n:]), "truncated or corrupted"),
    "trailing junk": (write_weights(lambda raw, n: raw + b"junk"), "truncated or corrupted"),
    "last tensor cut": (write_weights(lambda raw, n: raw[:-4]), "truncated or corrupted"),
    "missing backbone weight": (drop_weight("layers.3.time_attention.qkv_proj.weight"), "lacks 1 backbone weight"),
    "missing expert weight": (drop_weight("layers.5.channel_feed_forward.moe.experts.down_proj"),
                              "lacks 1 backbone weight"),
    "hidden size differs": (edit_config(hidden_size=64), "do not match"),
    "more experts than trained": (edit_config(num_experts_per_layer=[0, 0, 2, 4, 4, 8]), "do not match"),
    "expert width differs": (edit_config(expert_intermediate_size=40), "do not match"),
    "more layers than trained": (edit_config(num_hidden_layers=7, merge_factors=[1, 4, 1, 2, 1, 2, 1],
                                             num_experts_per_layer=[0, 0, 2, 4, 4, 6, 6]), "lacks"),
    "fewer layers than trained": (edit_config(num_hidden_layers=5, merge_factors=[1, 4, 1, 2, 1],
                                              num_experts_per_layer=[0, 0, 2, 4, 4]), "no place for"),
    "invalid config value": (edit_config(hidden_size=-3), "hidden_size"),
    "experts list too short": (edit_config(num_experts_per_layer=[0, 2]), "num_experts_per_layer"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_WEIGHTS))
@pytest.mark.parametrize("model_class", [NeurIPTModel, NeurIPTForSequenceClassification])
def test_damaged_or_mismatched_checkpoint_is_refused_naming_the_problem(checkpoint, tmp_path, damage, model_class):
    folder = tmp_path / "damaged"
    shutil.copytree(checkpoint, folder)
    apply, message = DAMAGED_WEIGHTS[damage]
    apply(folder)
    with pytest.raises(ValueError, match=re.escape(message)):
        model_class.from_pretrained(folder)
    count("corrupt")


DAMAGED_EXTRACTOR = {
    "not JSON": ('{"feature_extractor_type": "NeurIPTFeatureExtractor", ', None),
    "negative window": ({"window_seconds": -1.0}, "window_seconds"),
    "unknown units": ({"units": "kV"}, "units must be one of"),
    "low-pass above Nyquist": ({"h_freq": 40.0}, "Nyquist"),
    "band-pass inverted": ({"l_freq": 35.0, "h_freq": 30.0}, "must be below h_freq"),
    "position bounds reversed": ({"position_bounds": [0.15, -0.15]}, "position_bounds"),
    "A-law A = 0": ({"alaw_A": 0.0}, "alaw_A must be positive"),
    "bad bipolar pair": ({"bipolar_pairs": ["Fp1"]}, "bipolar_pairs"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_EXTRACTOR))
def test_damaged_preprocessor_config_is_refused(checkpoint, tmp_path, damage):
    folder = tmp_path / "damaged"
    shutil.copytree(checkpoint, folder)
    change, message = DAMAGED_EXTRACTOR[damage]
    path = folder / "preprocessor_config.json"
    if isinstance(change, str):
        path.write_text(change)
        with pytest.raises((OSError, ValueError), match="(?i)json"):
            NeurIPTFeatureExtractor.from_pretrained(folder)
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
        with pytest.raises(ValueError, match=re.escape(message)):
            NeurIPTFeatureExtractor.from_pretrained(folder)
    count("corrupt")


# ----------------------------------------------------------------------------------------------------------------------
# No network, no home-directory state
# ----------------------------------------------------------------------------------------------------------------------

NO_NETWORK = textwrap.dedent("""
    import os, socket, sys
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(repr(address))
        raise OSError("network disabled by the test")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = lambda address, *a, **k: refuse(None, address)
    original_getaddrinfo = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):
        attempts.append(f"dns:{host}")
        raise OSError("DNS disabled by the test")

    socket.getaddrinfo = no_dns

    import modeling_neuript
    from modeling_neuript import NeurIPTConfig, NeurIPTFeatureExtractor, NeurIPTModel
    from modeling_neuript import cli  # the CLI's modules too
    from modeling_neuript.data import prepare, reading
    from modeling_neuript.training import checkpoints, factory, finetune, pretrain
    import numpy as np, torch
    config = NeurIPTConfig.from_json_file(sys.argv[1])
    model = NeurIPTModel(config).eval()
    features = NeurIPTFeatureExtractor()(np.random.default_rng(0).normal(scale=2e-5, size=(3, 1024)),
                                         channel_names=["Fp1", "Cz", "O2"], sampling_rate=256, return_metadata=False)
    out = model(**features)
    print("ATTEMPTS", attempts)
    print("SHAPE", tuple(out.last_hidden_state.shape))
""")


def test_import_and_use_touch_no_network_and_no_home_directory(tmp_path):
    import os

    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HF_", "XDG_", "TRANSFORMERS_", "NEURIPT_", "TORCH_HOME", "MPLCONFIGDIR"))}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    script = tmp_path / "no_network.py"
    script.write_text(NO_NETWORK)
    result = subprocess.run([sys.executable, str(script), str(REPO / "configuration" / "neuript-tiny.json")],
                            capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ATTEMPTS []" in result.stdout, result.stdout
    assert "SHAPE (1, 3, 16, 48)" in result.stdout
    created = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert created == [], f"files created in HOME: {created}"
