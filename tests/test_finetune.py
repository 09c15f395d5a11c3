"""Fine-tuning: IILP classifier, metrics, `neuript finetune` on real EEG, loading a fine-tuned checkpoint."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from modeling_neuript import NeurIPTForPretraining, NeurIPTForSequenceClassification
from modeling_neuript.training.metrics import EEGMetrics, load_eeg_metric
from modeling_neuript.electrodes_neuript import LOBE_GROUP_NAMES, lobe_membership, resolve_channel_positions
from helpers import tiny_config

REPO = Path(__file__).resolve().parents[1]



# ----------------------------------------------------------------------------------------------------------------------
# Metrics agree with scikit-learn
# ----------------------------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, derandomize=True)
@given(classes=st.integers(2, 5), n=st.integers(10, 60), seed=st.integers(0, 10_000))
def test_metric_modules_agree_with_sklearn(classes, n, seed):
    rng = np.random.default_rng(seed)
    references = np.concatenate([np.arange(classes), rng.integers(0, classes, n - classes)])
    logits = rng.normal(size=(n, classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    predictions = probabilities.argmax(1)
    results = EEGMetrics(["balanced_accuracy", "cohen_kappa", "weighted_f1", "roc_auc", "pr_auc"]).compute(logits, references)
    assert results["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(references, predictions))
    assert results["cohen_kappa"] == pytest.approx(skm.cohen_kappa_score(references, predictions))
    assert results["weighted_f1"] == pytest.approx(skm.f1_score(references, predictions, average="weighted"))
    if classes == 2:
        assert results["roc_auc"] == pytest.approx(skm.roc_auc_score(references, probabilities[:, 1]))
        assert results["pr_auc"] == pytest.approx(skm.average_precision_score(references, probabilities[:, 1]))
    else:
        assert results["roc_auc"] == pytest.approx(skm.roc_auc_score(references, probabilities, multi_class="ovr"))
        assert results["pr_auc"] == pytest.approx(
            skm.average_precision_score(np.eye(classes)[references], probabilities, average="macro"))


def test_unknown_metric_is_a_clear_error():
    with pytest.raises(ValueError, match="available"):
        load_eeg_metric("accuracy_hub")


# ----------------------------------------------------------------------------------------------------------------------
# The IILP head
# ----------------------------------------------------------------------------------------------------------------------


def test_iilp_is_mean_over_time_then_over_each_lobe_then_concatenated():
    config = tiny_config(lobe_grouping="functional", classifier_layers=2)
    model = NeurIPTForSequenceClassification(tiny_config(num_labels=3, lobe_grouping="functional", classifier_layers=2)).eval()
    names = ["Fp1", "Fp2", "C3", "C4", "O1", "O2", "T7", "T8"]
    positions = torch.tensor(resolve_channel_positions(names)[0], dtype=torch.float32)[None]
    values = torch.randn(1, 8, 64)
    out = model(values, positions, output_hidden_states=True)
    hidden = out.hidden_states
    membership = lobe_membership(positions, "functional")[0]  # (G, C)
    expected = []
    for h in (hidden[0], hidden[-2], hidden[-1]):  # embedding + last two layers
        per_channel = h[0].mean(dim=1)  # (C, D)
        expected.append(torch.stack([per_channel[m.bool()].mean(0) for m in membership]).flatten())
    torch.testing.assert_close(out.pooled_output[0], torch.cat(expected), atol=1e-5, rtol=1e-4)
    assert out.logits.shape == (1, 3)
    groups = len(LOBE_GROUP_NAMES["functional"])
    assert out.pooled_output.shape == (1, 3 * groups * config.hidden_size)


def test_time_keeping_pooling_is_iilp_per_time_segment():
    """`pooling_time_bins=k` pools each of k equal time segments by lobe; k = 1 is exactly the paper's IILP, and the
    features keep when a response happens (two windows that differ only by when an event occurs pool apart)."""
    names = ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]
    positions = torch.tensor(resolve_channel_positions(names)[0], dtype=torch.float32)  # (C, 3), shared by the batch
    torch.manual_seed(0)
    paper = NeurIPTForSequenceClassification(tiny_config(num_labels=2)).eval()
    one = NeurIPTForSequenceClassification(tiny_config(num_labels=2, pooling_time_bins=1)).eval()
    one.load_state_dict(paper.state_dict())
    four = NeurIPTForSequenceClassification(tiny_config(num_labels=2, pooling_time_bins=4)).eval()
    four.neuript.load_state_dict(paper.neuript.state_dict())
    values = torch.randn(2, 8, 64)
    with torch.no_grad():
        torch.testing.assert_close(one(values, positions).pooled_output, paper(values, positions).pooled_output)
        pooled = four(values, positions).pooled_output
        assert pooled.shape == (2, 4 * paper(values, positions).pooled_output.shape[1])
        early, late = torch.zeros(1, 8, 64), torch.zeros(1, 8, 64)
        early[..., 8], late[..., 56] = 3.0, 3.0
        assert not torch.allclose(four(early, positions).pooled_output, four(late, positions).pooled_output, atol=1e-3)
    with pytest.raises(ValueError, match="pooling_time_bins"):
        tiny_config(pooling_time_bins=0)


def test_layer_decay_gives_deeper_layers_larger_learning_rates():
    from modeling_neuript.training.finetune import RecipeTrainer, layer_depth

    model = NeurIPTForSequenceClassification(tiny_config(num_labels=2))
    layers = model.config.num_hidden_layers
    assert layer_depth("neuript.embeddings.value_embedding.weight", layers) == 0
    assert layer_depth("neuript.layers.3.time_attention.q_proj.weight", layers) == 4
    assert layer_depth("classifier.weight", layers) == layers + 1
    from modeling_neuript.training.finetune import FinetuneTrainingArguments

    args = FinetuneTrainingArguments(output_dir="unused", learning_rate=1e-3, use_cpu=True, report_to="none",
                                     eval_strategy="no", save_strategy="no", load_best_model_at_end=False)
    trainer = RecipeTrainer(model=model, args=args, layer_decay=0.5)
    optimizer = trainer.create_optimizer()
    rates = {}
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            rates[id(parameter)] = group["lr"]
    named = dict(model.named_parameters())
    assert rates[id(named["classifier.weight"])] == pytest.approx(1e-3)
    assert rates[id(named["neuript.embeddings.value_embedding.weight"])] == pytest.approx(1e-3 * 0.5 ** (layers + 1))
    assert len(rates) == sum(p.requires_grad for p in model.parameters())  # every parameter in exactly one group


def test_augmentation_changes_training_batches_only_and_keeps_a_channel():
    from modeling_neuript.feature_extraction_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.data.reading import WindowCollator
    from modeling_neuript.training.finetune import WindowAugmenter

    extractor = NeurIPTFeatureExtractor(window_seconds=1.0)
    positions = resolve_channel_positions(["C3", "C4", "O1"])[0].astype(np.float32)
    rows = [{"input_values": np.random.default_rng(i).normal(size=(3, 64)).astype(np.float32),
             "channel_positions": positions, "label": i % 2} for i in range(64)]
    collator = WindowCollator(extractor, with_labels=True)
    plain = collator(rows)
    torch.manual_seed(0)
    augmented = WindowAugmenter(collator, extractor, time_shift_seconds=0.1, amplitude_scale=0.2, channel_dropout=0.6)(rows)
    assert not torch.allclose(augmented["input_values"], plain["input_values"])
    assert (augmented["channel_mask"].sum(-1) >= 1).all() and (augmented["channel_mask"] == 0).any()
    torch.testing.assert_close(augmented["labels"], plain["labels"])
    assert not WindowAugmenter(collator, extractor).active  # the defaults of the recipe leave batches alone


def test_lobe_groups_are_sensible_on_a_montage_never_seen():
    """EEGMMIDB's 64 dotted names: frontal sites go to the frontal group, occipital to occipital, T7/T8 sides right."""
    names = ["Fp1", "AF3", "Fz", "C3", "Cz", "Pz", "O1", "Oz", "O2", "T7", "T8", "FT7", "TP8"]
    positions = torch.tensor(resolve_channel_positions(names)[0], dtype=torch.float32)
    membership = lobe_membership(positions, "functional")
    groups = dict(zip(LOBE_GROUP_NAMES["functional"], membership))
    by_name = lambda group: {n for n, m in zip(names, groups[group]) if m > 0}
    frontal, occipital = [g for g in groups if "front" in g][0], [g for g in groups if "occip" in g][0]
    left, right = [g for g in groups if "left" in g][0], [g for g in groups if "right" in g][0]
    assert {"Fp1", "AF3"} <= by_name(frontal)
    assert {"O1", "Oz", "O2"} <= by_name(occipital)
    assert "T7" in by_name(left) and "T8" in by_name(right) and "T7" not in by_name(right)
    assert (membership.sum(0) > 0).all()  # every channel pooled somewhere


@pytest.mark.parametrize("problem_type, labels", [
    ("single_label_classification", torch.tensor([0, 2])),
    ("multi_label_classification", torch.tensor([[1.0, 0, 1], [0, 1, 0]])),
    ("regression", torch.tensor([[0.5, 1.0, -1.0], [0.0, 0.2, 0.1]])),
])
def test_problem_types_give_a_differentiable_loss(problem_type, labels):
    model = NeurIPTForSequenceClassification(tiny_config(num_labels=3, problem_type=problem_type))
    values, positions = torch.randn(2, 5, 64), (torch.rand(2, 5, 3) - 0.5) * 0.16
    out = model(values, positions, labels=labels)
    out.loss.backward()
    assert torch.isfinite(out.loss) and model.classifier.weight.grad.abs().sum() > 0


def test_balanced_bce_adds_the_logit_adjustment():
    from modeling_neuript.modeling_neuript import balanced_bce_loss

    logits, labels = torch.zeros(4, 2), torch.tensor([0, 0, 0, 1])
    priors = [0.75, 0.25]
    loss = balanced_bce_loss(logits, labels, priors, k=1.0)
    adjusted = torch.log(torch.tensor(priors) / (1 - torch.tensor(priors)))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        adjusted.expand(4, 2), torch.nn.functional.one_hot(labels, 2).float()) * 2
    torch.testing.assert_close(loss, expected)


def test_classifier_from_a_pretraining_checkpoint_says_what_is_new(tmp_path, caplog):
    import logging

    from modeling_neuript.training.factory import build_classifier

    NeurIPTForPretraining(tiny_config()).save_pretrained(tmp_path)
    with caplog.at_level(logging.INFO, logger="modeling_neuript"):
        classifier = build_classifier(str(tmp_path), 2, {0: "face", 1: "house"})
    (printed,) = [record.getMessage() for record in caplog.records if record.name.startswith("modeling_neuript")]
    assert "newly initialised: ['classifier.bias', 'classifier.weight']" in printed
    assert "decoder" in printed
    assert classifier.config.id2label == {0: "face", 1: "house"}


def test_a_missing_encoder_weight_is_refused(tmp_path):
    from safetensors.torch import load_file, save_file

    from modeling_neuript.training.factory import build_classifier

    NeurIPTForPretraining(tiny_config()).save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    del weights["neuript.layers.0.time_attention.qkv_proj.weight"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"lacks 1 backbone weight.*layers\.0\.time_attention\.qkv_proj\.weight"):
        build_classifier(str(tmp_path), 2, {0: "a", 1: "b"})


# ----------------------------------------------------------------------------------------------------------------------
# neuript finetune on Face13
# ----------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def face13_events(tmp_path_factory, load_or_skip):
    """Face13 face/house windows at 8 sites (CI size)."""
    from modeling_neuript.data.sources import load_face13
    from modeling_neuript.data.prepare import PrepareArguments, prepare

    load_or_skip(load_face13, "s01", preload=False)
    tmp_path = tmp_path_factory.mktemp("face13_events")
    recipe = yaml.safe_load((REPO / "processing" / "face13.yaml").read_text())
    recipe["channels"] = {"nearest": ["F3", "F4", "C3", "C4", "P7", "P8", "O1", "O2"]}
    path = tmp_path / "face13-small.yaml"
    path.write_text(yaml.safe_dump(recipe))
    prepare(PrepareArguments(recipe=str(path), output_dir=str(tmp_path / "prepared")))
    return tmp_path / "prepared"


def test_finetune_with_trainer_on_real_eeg_then_predict_from_a_fresh_process(face13_events, tmp_path):
    from modeling_neuript.training.finetune import FinetuneArguments, FinetuneTrainingArguments, finetune

    output = tmp_path / "run"
    results = finetune(
        FinetuneArguments(dataset=str(face13_events), task="face_vs_house", split="loso:s02", model="neuript-tiny"),
        FinetuneTrainingArguments(output_dir=str(output), num_train_epochs=1, per_device_train_batch_size=64,
                                  disable_tqdm=True),
    )
    test = results["test"]
    for key in ("test_balanced_accuracy", "test_weighted_f1", "test_roc_auc"):
        assert 0.0 <= test[key] <= 1.0
    assert -1.0 <= test["test_cohen_kappa"] <= 1.0
    from datasets import load_from_disk

    windows = load_from_disk(str(face13_events / "data"))
    in_task = [label < 4 for label in windows["label"]]  # face-* and house-* (processing/face13.yaml's face_vs_house)
    assert results["sizes"]["test"] == sum(s == "s02" and t for s, t in zip(windows["subject"], in_task))
    split = json.loads((output / "split.json").read_text())
    assert not set(split["train"]) & set(split["test"])
    model_dir = output / "model"
    for name in ("model.safetensors", "config.json", "preprocessor_config.json", "modeling_neuript.py",
                 "feature_extraction_neuript.py"):
        assert (model_dir / name).exists(), name
    assert json.loads((model_dir / "config.json").read_text())["id2label"] == {"0": "face", "1": "house"}

    script = textwrap.dedent(f"""
        import numpy as np, mne
        from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification
        extractor = AutoFeatureExtractor.from_pretrained({str(model_dir)!r}, trust_remote_code=True)
        model = AutoModelForSequenceClassification.from_pretrained({str(model_dir)!r}, trust_remote_code=True)
        from modeling_neuript.data.sources import load_eegmmidb_s001r02
        raw = load_eegmmidb_s001r02()
        features = extractor(raw, return_metadata=False, return_tensors="pt")
        labels = model(**features).logits.argmax(-1).tolist()
        print("PRED", len(labels), sorted(set(model.config.id2label[i] for i in labels)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    line = [l for l in result.stdout.splitlines() if l.startswith("PRED")][0]
    assert line.startswith("PRED 61 ")  # 61 s of EEGMMIDB → 61 windows of 1 s, on a 64-channel montage never seen


def test_the_recipe_file_writes_out_the_recipe_defaults():
    """configuration/finetune-face13.yaml is the recipe written out: every recipe key it sets has the value `neuript
    finetune` defaults to (so the file and the command cannot drift apart), and it sets every one of them."""
    import yaml

    from modeling_neuript.resources import resource_path
    from modeling_neuript.training.finetune import RECIPE, FinetuneArguments, FinetuneTrainingArguments

    written = yaml.safe_load(resource_path("configuration", "finetune-face13.yaml").read_text())
    assert {k: written.get(k) for k in RECIPE} == RECIPE
    assert FinetuneArguments(dataset="d").pooling_time_bins == RECIPE["pooling_time_bins"]
    assert FinetuneTrainingArguments(output_dir="o").num_train_epochs == RECIPE["num_train_epochs"]
