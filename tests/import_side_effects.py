import importlib, logging, os, pkgutil, sys, warnings
import numpy, torch, transformers
# third-party packages our modules import: importing them is not our side effect
for name in ("datasets", "accelerate", "sklearn", "scipy.signal", "mne", "yaml", "evaluate", "tqdm", "safetensors",
             "huggingface_hub", "transformers.pipelines", "transformers.trainer", "matplotlib"):
    importlib.import_module(name)
import modeling_neuript  # registration with transformers: the allowed exception
from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

calls = []
sys.addaudithook(lambda event, args: calls.append(args[1]) if event == "ctypes.dlsym" else None)

def snapshot():
    return {
        "stand-ins": sorted(k for k, m in sys.modules.items() if m is not None and getattr(m, "__spec__", 1) is None and k != "__main__"),
        "experts": sorted(ALL_EXPERTS_FUNCTIONS), "attention": sorted(ALL_ATTENTION_FUNCTIONS),
        "torch": (torch.are_deterministic_algorithms_enabled(), torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled()),
        "environ": dict(os.environ), "sys.path": list(sys.path), "meta_path": [type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path],
        "logging": (logging.getLogger().level, len(logging.getLogger().handlers), logging.getLogger("modeling_neuript").level),
        "warnings": len(warnings.filters), "mallopt": [c for c in calls if "mallopt" in str(c)],
    }

before = snapshot()
failures = []
names = [m.name for m in pkgutil.walk_packages(modeling_neuript.__path__[:1], "modeling_neuript.")]
for name in names:
    if name.startswith("modeling_neuript._moved"):
        continue
    try:
        importlib.import_module(name)
    except ImportError as error:
        if name.endswith("braindecode_model") and "allow_torchaudio_stand_in" in str(error):
            print("braindecode_model: clear ImportError without torchaudio")
            continue
        raise
    after = snapshot()
    diff = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if diff:
        failures.append((name, {k: str(v)[:300] for k, v in diff.items()}))
        before = after
print(len(names), "modules imported")
for f in failures:
    print("CHANGED", f)
