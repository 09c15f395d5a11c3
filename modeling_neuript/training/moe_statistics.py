"""Expert-load statistics of the Progressive MoE, logged during training: which share of the routing slots each
expert receives, and a warning when one expert takes (nearly) everything."""

import math
import warnings
from typing import Sequence

import torch


def expert_load(router_logits: Sequence[torch.Tensor], config) -> list[dict]:
    """Per MoE module: the fraction of routing slots each expert received and its normalised entropy
    (1 = perfectly balanced, 0 = one expert takes everything)."""
    stats = []
    moe_layers = [i for i, e in enumerate(config.num_experts_per_layer) if e > 0]
    names = [f"layer{layer + 1}_{stage}" for layer in moe_layers for stage in ("time", "channel")]
    for name, logits in zip(names, router_logits):
        num_experts = logits.shape[-1]
        k = config.experts_per_token(num_experts)
        chosen = logits.detach().float().reshape(-1, num_experts).topk(k, dim=-1).indices
        counts = torch.bincount(chosen.reshape(-1), minlength=num_experts).float()
        fraction = counts / counts.sum()
        entropy = -(fraction * fraction.clamp(min=1e-12).log()).sum() / math.log(num_experts)
        stats.append({"module": name, "fraction": fraction.tolist(), "entropy": float(entropy), "top_k": k})
    return stats


def warn_on_collapse(stats: list[dict], threshold: float = 0.9) -> list[str]:
    """Warn (and return the modules) where one expert receives more than `threshold` of the tokens. Each token
    takes `top_k` distinct experts, so an expert's share of the tokens is its share of the routing slots × `top_k`
    (with top-2 routing one expert can hold at most half of the slots, and then it receives every token)."""
    collapsed = [
        s["module"] for s in stats
        if len(s["fraction"]) > s.get("top_k", 1) and max(s["fraction"]) * s.get("top_k", 1) > threshold
    ]
    if collapsed:
        warnings.warn(
            f"Expert collapse: in {collapsed} one expert receives more than {threshold:.0%} of the tokens. Raise "
            f"router_aux_loss_coef / importance_loss_weight, or use load_balance_loss='switch'.",
            stacklevel=2,
        )
    return collapsed
