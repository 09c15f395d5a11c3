"""Old module names of `modeling_neuript` (before the package was split into data/, training/, interop/ and
experiments/), kept for one release.

`modeling_neuript/__init__.py` adds this folder to the package's `__path__`, so `import modeling_neuript.prepare` finds
`_moved/prepare.py`, which warns (FutureWarning) and makes the old name an alias of the new module.
"""

import importlib
import sys
import warnings


def warn_moved(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; the old name is removed in the next release.", FutureWarning, stacklevel=3)


def alias(old: str, new: str) -> None:
    """Warn, then make the module being imported as `old` the module `new` (one object under both names)."""
    warn_moved(old, new)
    sys.modules[old] = importlib.import_module(new)
