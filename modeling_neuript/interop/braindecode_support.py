"""Importing braindecode where no torchaudio build matches the installed torch.

braindecode 1.8 imports torchaudio when it is imported (for a few models: filters, resampling, spectrograms), and
torchaudio wheels exist only for some torch releases. The parts NeurIPT uses — `EEGModuleMixin`, `EEGClassifier`,
EEGNet, ShallowFBCSPNet — never call torchaudio. `import_braindecode(allow_torchaudio_stand_in=True)` then puts a
stand-in module in `sys.modules["torchaudio"]` whose attributes raise `ImportError` when used. It does that only when
asked: importing this module (or any of the package) changes nothing.
"""

import importlib
import sys
import types


def torchaudio_importable() -> bool:
    """Whether a real torchaudio imports here (a stand-in put by this module does not count)."""
    module = sys.modules.get("torchaudio")
    if module is not None and getattr(module, "__neuript_stand_in__", False):
        return False
    try:
        importlib.import_module("torchaudio")
        return True
    except Exception:  # missing, or built for another torch (OSError, ImportError, RuntimeError)
        for name in [m for m in sys.modules if m == "torchaudio" or m.startswith("torchaudio.")]:
            del sys.modules[name]
        return False


def install_torchaudio_stand_in() -> bool:
    """Put the stand-in in `sys.modules` unless a real torchaudio imports; returns whether the stand-in is in use."""
    if torchaudio_importable():
        return False
    if "torchaudio" in sys.modules:  # ours, from an earlier call
        return True

    def stand_in(name: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__neuript_stand_in__ = True

        def attribute(attr):
            if attr.startswith("__"):
                raise AttributeError(attr)

            def unavailable(*args, **kwargs):
                raise ImportError(f"torchaudio is not installed for this torch ({name}.{attr} was called).")

            return type(attr, (), {"__init__": unavailable, "__call__": unavailable})

        module.__getattr__ = attribute
        sys.modules[name] = module
        return module

    root = stand_in("torchaudio")
    for sub in ("functional", "transforms"):
        setattr(root, sub, stand_in(f"torchaudio.{sub}"))
    return True


def import_braindecode(allow_torchaudio_stand_in: bool = False):
    """`import braindecode` and return it. Without a usable torchaudio this raises an `ImportError` that says what to
    do, unless `allow_torchaudio_stand_in=True` (then the stand-in above is installed first)."""
    if allow_torchaudio_stand_in:
        install_torchaudio_stand_in()
    try:
        import braindecode
        import braindecode.models  # noqa: F401  (imports every model module, torchaudio users included)
    except ImportError as error:
        raise ImportError(
            f"braindecode could not be imported ({error}). braindecode imports torchaudio; where no torchaudio build "
            f"matches your torch, call modeling_neuript.interop.braindecode_support.import_braindecode("
            f"allow_torchaudio_stand_in=True) first (EEGModuleMixin, EEGClassifier, EEGNet and ShallowFBCSPNet never "
            f"use torchaudio), or install braindecode with `pip install --no-deps braindecode==1.8.1`."
        ) from error
    except OSError as error:  # a torchaudio built for another torch fails to load its library
        raise ImportError(
            f"braindecode could not be imported: torchaudio failed to load ({error}). Install a torchaudio built for "
            f"torch {importlib.import_module('torch').__version__}, or uninstall it and call import_braindecode("
            f"allow_torchaudio_stand_in=True)."
        ) from error
    return braindecode
