"""Parameter-efficient fine-tuning of NeurIPT with LoRA through `peft`.

    from modeling_neuript.interop.lora import add_lora
    model = add_lora(NeurIPTForSequenceClassification.from_pretrained("runs/pt/model", num_labels=2), r=8)
    ...train with Trainer as usual...
    merged = model.merge_and_unload()   # a plain NeurIPTForSequenceClassification again; save_pretrained as usual

Where the adapters go (`DEFAULT_TARGET_MODULES`, `DEFAULT_TARGET_PARAMETERS`):

| what | names | kind | peft mechanism |
|---|---|---|---|
| attention, both stages, every layer | `qkv_proj` `(3·D, D)`, `o_proj` `(D, D)` | `nn.Linear` | `target_modules` |
| dense feed-forwards (layers without experts) and the shared expert of each PMoE | `gate_up_proj` `(2·I, D)`, `down_proj` `(D, I)` | `nn.Linear` | `target_modules` |
| routed experts of each PMoE (`NeurIPTExperts`) | `experts.gate_up_proj` `(E, 2·I_e, D)`, `experts.down_proj` `(E, D, I_e)` | 3-D `nn.Parameter` | `target_parameters` (peft ≥ 0.17) |

The routed experts are not `nn.Linear` modules but stacked 3-D parameters (so transformers can dispatch them to
grouped matmuls); peft's `target_parameters` wraps each in a `ParamWrapper` that adds a rank-`r` update *per expert*
(`lora_A (E·r, in)`, `lora_B (out, E·r)`) through `torch.nn.utils.parametrize` for the duration of each forward, so the
expert code is unchanged. peft's `ParamWrapper` does not support `lora_dropout`, which is therefore 0 here.

The router (`router.weight`), the layer norms, the embeddings and the segment-merging projections stay frozen. The
classification head (`classifier`) is new for every task, so it is trained in full (`modules_to_save`). Everything else
(`add_lora(..., **kwargs)`) goes to `peft.LoraConfig`.
"""

import warnings
from typing import Optional, Sequence

import torch

DEFAULT_TARGET_MODULES = ("qkv_proj", "o_proj", "gate_up_proj", "down_proj")
DEFAULT_TARGET_PARAMETERS = ("experts.gate_up_proj", "experts.down_proj")
DEFAULT_MODULES_TO_SAVE = ("classifier",)


def lora_config(
    r: int = 8,
    lora_alpha: Optional[float] = None,
    target_modules: Optional[Sequence[str]] = DEFAULT_TARGET_MODULES,
    target_parameters: Optional[Sequence[str]] = DEFAULT_TARGET_PARAMETERS,
    modules_to_save: Optional[Sequence[str]] = DEFAULT_MODULES_TO_SAVE,
    **kwargs,
):
    """A `peft.LoraConfig` for NeurIPT: rank `r`, `lora_alpha` (default `2·r`), the target lists of the module
    docstring, no dropout (not supported on the 3-D expert parameters). Pass `target_parameters=None` to adapt the
    `nn.Linear` projections only."""
    try:
        from peft import LoraConfig
    except ImportError as error:  # pragma: no cover - peft is a dev/extra dependency
        raise ImportError("LoRA needs peft: `pip install peft` (>= 0.17 for the expert parameters).") from error
    if not isinstance(r, int) or isinstance(r, bool) or r <= 0:
        raise ValueError(f"r (the LoRA rank) must be a positive int, got {r!r}.")
    if kwargs.get("lora_dropout", 0.0) and target_parameters:
        raise ValueError(
            "lora_dropout must be 0 when adapting the expert parameters (peft's ParamWrapper cannot apply dropout); "
            "pass target_parameters=None to use dropout on the nn.Linear projections only."
        )
    kwargs.setdefault("lora_dropout", 0.0)
    return LoraConfig(
        r=r,
        lora_alpha=2 * r if lora_alpha is None else lora_alpha,
        target_modules=list(target_modules) if target_modules else [],
        target_parameters=list(target_parameters) if target_parameters else None,
        modules_to_save=list(modules_to_save) if modules_to_save else None,
        **kwargs,
    )


def add_lora(model: torch.nn.Module, r: int = 8, **kwargs):
    """Wrap a NeurIPT model (any of `NeurIPTModel`, `NeurIPTForSequenceClassification`, ...) with LoRA adapters.

    Args:
        model: the model to adapt; its weights are frozen in place (peft freezes everything but the adapters and
            `modules_to_save`).
        r (`int`, defaults to 8): LoRA rank.
        **kwargs: `lora_alpha`, `target_modules`, `target_parameters`, `modules_to_save` (see `lora_config`) and any
            other `peft.LoraConfig` argument.

    Returns:
        `peft.PeftModel`; `model(input_values=..., channel_positions=..., labels=...)` works as before, and
        `.merge_and_unload()` folds the adapters into the weights and returns the plain model.
    """
    from peft import get_peft_model

    config = lora_config(r=r, **kwargs)
    if config.modules_to_save:
        names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
        missing = [m for m in config.modules_to_save if m not in names]
        if missing:
            raise ValueError(
                f"modules_to_save {missing} are not modules of {type(model).__name__}; pass modules_to_save=None "
                "for a model without a classification head (e.g. NeurIPTModel)."
            )
    with warnings.catch_warnings():
        # peft reads transformers' deprecated `is_gradient_checkpointing` alias while wrapping; the warning is about
        # peft's code, not the caller's, and nothing the caller could change.
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        return get_peft_model(model, config)


def trainable_parameter_names(model: torch.nn.Module) -> list[str]:
    """Names of the parameters that will receive gradients (`requires_grad=True`)."""
    return [name for name, parameter in model.named_parameters() if parameter.requires_grad]


__all__ = ["DEFAULT_MODULES_TO_SAVE", "DEFAULT_TARGET_MODULES", "DEFAULT_TARGET_PARAMETERS", "add_lora", "lora_config",
           "trainable_parameter_names"]
