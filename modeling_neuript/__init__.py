"""NeurIPT: the EEG foundation model of arXiv 2510.16548, as a Hugging Face transformers model.

`import modeling_neuript` registers the config, the models and the feature extractor with the Auto classes and the
`eeg-classification` / `eeg-feature-extraction` pipelines (the only global change importing this package makes), and
marks them for `save_pretrained` to copy their source files and write the full `auto_map`, so that every checkpoint
saved also loads with `trust_remote_code=True` where this package is not installed.

The package, by room:

- the Hub bundle, flat in this folder (`*_neuript.py`: configuration, modeling, kernels, feature extraction,
  electrodes + their generated table, pipelines, checkpoint checks, model card, EEG metrics): what a checkpoint
  carries; stdlib, numpy, torch, transformers only;
- `data/`: bundled recordings, `neuript prepare`, reading prepared datasets, splits, event windows;
- `training/`: model factory, `neuript pretrain`, `neuript finetune`, metrics, checkpoints, memory settings;
- `interop/`: Hub sharing, ONNX / torch.export, streaming, scikit-learn, braindecode, LoRA;
- `experiments/`: `neuript demo` and `neuript reproduce`;
- `cli.py` (the `neuript` command) and `resources.py` (the presets and recipes shipped inside the package).

Nothing here is needed at load time: the Hub bundle holds everything a checkpoint needs.
"""

import os
import sys
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# The module names of the previous release (`modeling_neuript.prepare`, `.training_utils`, ...) resolve, with a
# FutureWarning, to their new places for one release: see _moved/__init__.py.
__path__.append(os.path.join(os.path.dirname(__file__), "_moved"))

EXPORTS = (
    "NeurIPTConfig",
    "NeurIPTFeatureExtractor",
    "NeurIPTForPretraining",
    "NeurIPTForSequenceClassification",
    "NeurIPTModel",
    "NeurIPTPreTrainedModel",
)
__all__ = list(EXPORTS)

if TYPE_CHECKING:
    from .configuration_neuript import NeurIPTConfig
    from .feature_extraction_neuript import NeurIPTFeatureExtractor
    from .modeling_neuript import (
        NeurIPTForPretraining,
        NeurIPTForSequenceClassification,
        NeurIPTModel,
        NeurIPTPreTrainedModel,
    )


def register() -> None:
    """Import the model classes and register them with transformers' Auto classes, `save_pretrained`'s remote-code
    copying and the pipelines (idempotent). Runs when the package is imported, except inside the `neuript` command,
    which registers once it has parsed its arguments (so that `neuript --help` needs neither torch nor
    transformers)."""
    if "NeurIPTConfig" in globals():
        return
    from transformers import (
        AutoConfig,
        AutoFeatureExtractor,
        AutoModel,
        AutoModelForPreTraining,
        AutoModelForSequenceClassification,
    )

    from .configuration_neuript import NeurIPTConfig
    from .feature_extraction_neuript import NeurIPTFeatureExtractor
    from .modeling_neuript import (
        NeurIPTForPretraining,
        NeurIPTForSequenceClassification,
        NeurIPTModel,
        NeurIPTPreTrainedModel,
    )

    AutoConfig.register("neuript", NeurIPTConfig, exist_ok=True)
    AutoModel.register(NeurIPTConfig, NeurIPTModel, exist_ok=True)
    AutoModelForPreTraining.register(NeurIPTConfig, NeurIPTForPretraining, exist_ok=True)
    AutoModelForSequenceClassification.register(NeurIPTConfig, NeurIPTForSequenceClassification, exist_ok=True)
    AutoFeatureExtractor.register(NeurIPTConfig, NeurIPTFeatureExtractor, exist_ok=True)

    NeurIPTConfig.register_for_auto_class()
    NeurIPTModel.register_for_auto_class("AutoModel")
    NeurIPTForPretraining.register_for_auto_class("AutoModelForPreTraining")
    NeurIPTForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")
    NeurIPTFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")

    # pipeline("eeg-classification") and pipeline("eeg-feature-extraction") (pipeline_neuript.py).
    # transformers.pipelines imports torchaudio whenever it is installed; one built for another torch fails with
    # OSError, and must not take the model down with it.
    try:
        from .pipeline_neuript import register_pipelines
    except (ImportError, OSError) as error:
        import warnings

        warnings.warn(f"NeurIPT pipelines not registered: importing transformers.pipelines failed ({error}).", stacklevel=2)
    else:
        register_pipelines()
    globals().update(
        NeurIPTConfig=NeurIPTConfig,
        NeurIPTFeatureExtractor=NeurIPTFeatureExtractor,
        NeurIPTForPretraining=NeurIPTForPretraining,
        NeurIPTForSequenceClassification=NeurIPTForSequenceClassification,
        NeurIPTModel=NeurIPTModel,
        NeurIPTPreTrainedModel=NeurIPTPreTrainedModel,
    )


def __getattr__(name: str):
    if name in EXPORTS:
        register()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _started_by_the_neuript_command() -> bool:
    return os.path.basename(sys.argv[0] if sys.argv else "") in ("neuript", "neuript.exe")


if not _started_by_the_neuript_command():
    register()
