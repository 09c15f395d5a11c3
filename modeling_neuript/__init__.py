"""NeurIPT: the EEG foundation model of arXiv 2510.16548, as a Hugging Face transformers model.

`import modeling_neuript` registers the config, the models and the feature extractor with the Auto classes, and marks
them for `save_pretrained` to copy their source files and write the full `auto_map`, so that every checkpoint we save
also loads with `trust_remote_code=True` where this package is not installed.

Only the Hub-bundle files (configuration_/modeling_/feature_extraction_neuript.py and the helpers they import
relatively) hold what a checkpoint needs; nothing here is needed at load time.
"""

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

__version__ = "0.1.0"

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

# pipeline("eeg-classification") and pipeline("eeg-feature-extraction") (pipeline_neuript.py). transformers.pipelines
# imports torchaudio whenever it is installed; one built for another torch fails with OSError, and must not take the
# model down with it.
try:
    from .pipeline_neuript import register_pipelines
except (ImportError, OSError) as error:
    import warnings

    warnings.warn(f"NeurIPT pipelines not registered: importing transformers.pipelines failed ({error}).", stacklevel=2)
else:
    register_pipelines()

__all__ = [
    "NeurIPTConfig",
    "NeurIPTFeatureExtractor",
    "NeurIPTForPretraining",
    "NeurIPTForSequenceClassification",
    "NeurIPTModel",
    "NeurIPTPreTrainedModel",
]
