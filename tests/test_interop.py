"""braindecode and scikit-learn interop on real EEG: Face13 s01, face vs house (upright), 8 electrodes, 1 s windows."""

import numpy as np
import pytest
import torch
from helpers import tiny_config

from modeling_neuript import NeurIPTFeatureExtractor, NeurIPTForSequenceClassification

CHANNELS = ["A15", "A28", "B7", "B26", "C5", "C17", "D17", "D23"]
LABELS = {"face-upright": "face", "house-upright": "house"}


@pytest.fixture(scope="module")
def face_house(face13_raw):
    """µV and companded windows (1 s from -0.2 s), labels, channel info of face/house-upright trials of s01."""
    from modeling_neuript.data.event_windows import event_windows

    raw = face13_raw.copy().pick(CHANNELS)
    extractor = NeurIPTFeatureExtractor()
    microvolts = event_windows(raw, LABELS, tmin=-0.2, window_seconds=1.0, extractor=extractor, companded=False)
    companded = event_windows(raw, LABELS, tmin=-0.2, window_seconds=1.0, extractor=extractor)
    return {**companded, "microvolts": microvolts["input_values"], "chs_info": raw.info["chs"]}


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    return NeurIPTForSequenceClassification(tiny_config(num_labels=2)).eval()


def test_event_windows_are_the_contract(face_house):
    from modeling_neuript.feature_extraction_neuript import a_law_compress

    assert face_house["label_names"] == ["face", "house"]
    counts = np.bincount(face_house["labels"])
    assert counts.min() > 150 and counts.sum() == len(face_house["input_values"])  # ≈ 200 trials per class
    assert face_house["input_values"].shape[1:] == (8, 64)
    np.testing.assert_allclose(face_house["input_values"], a_law_compress(face_house["microvolts"]), rtol=1e-6,
                               atol=1e-7)
    assert np.all(np.diff(face_house["onset_seconds"]) > 0)


# ----------------------------------------------------------------------------------------------------------------------
# braindecode


@pytest.fixture(scope="module")
def braindecode():
    """braindecode, importable here only with the torchaudio stand-in (no torchaudio wheel matches torch 2.13)."""
    from modeling_neuript.interop.braindecode_support import import_braindecode

    return import_braindecode(allow_torchaudio_stand_in=True)


def test_adapter_equals_the_neuript_classifier(face_house, classifier, braindecode):
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode

    module = NeurIPTBraindecode(chs_info=face_house["chs_info"], n_times=64, neuript=classifier, sfreq=64).eval()
    assert (module.n_chans, module.n_times, module.n_outputs, module.sfreq) == (8, 64, 2, 64)
    assert module.input_window_seconds == 1.0 and module.final_layer is classifier.classifier
    np.testing.assert_allclose(module.channel_positions.numpy(), face_house["channel_positions"], atol=1e-7)

    volts = torch.as_tensor(face_house["microvolts"][:16]) * 1e-6  # braindecode windows hold volts
    with torch.no_grad():
        ours = module(volts)
        reference = classifier(torch.as_tensor(face_house["input_values"][:16]),
                               torch.as_tensor(face_house["channel_positions"])[None].expand(16, -1, -1))
        features = module(volts, return_features=True)["features"]
    assert ours.shape == (16, 2)
    torch.testing.assert_close(ours, reference.logits, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(features, reference.pooled_output, rtol=1e-4, atol=1e-5)
    assert module.aux_loss is not None


def test_adapter_input_errors(face_house, classifier, braindecode):
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode, positions_from_chs_info

    with pytest.raises(ValueError, match="chs_info is required"):
        NeurIPTBraindecode(n_outputs=2, n_chans=8, n_times=64)
    with pytest.raises(ValueError, match="resample"):
        NeurIPTBraindecode(chs_info=face_house["chs_info"], n_times=256, sfreq=256, neuript=classifier)
    with pytest.raises(ValueError, match="n_outputs=3"):
        NeurIPTBraindecode(n_outputs=3, chs_info=face_house["chs_info"], n_times=64, neuript=classifier)
    module = NeurIPTBraindecode(chs_info=face_house["chs_info"], n_times=64, neuript=classifier)
    with pytest.raises(ValueError, match="7 channels but the model was built for n_chans=8"):
        module(torch.zeros(2, 7, 64))
    # A set `loc` wins over the name; an unknown name without a position is an error naming it.
    loc = np.array([0.01, 0.02, 0.03] + [0.0] * 9)
    positions = positions_from_chs_info([{"ch_name": "Cz"}, {"ch_name": "my-electrode", "loc": loc}])
    np.testing.assert_allclose(positions[1], [0.01, 0.02, 0.03])
    with pytest.raises(ValueError, match="my-electrode"):
        positions_from_chs_info([{"ch_name": "Cz"}, {"ch_name": "my-electrode", "loc": np.zeros(12)}])


def test_eegclassifier_trains_and_predicts_on_face13(face_house, braindecode):
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode

    EEGClassifier = braindecode.EEGClassifier
    # Volts, as braindecode's windows datasets hold them; the first 96 trials train, the next 32 test (time order).
    X = face_house["microvolts"][:128] * np.float32(1e-6)
    y = face_house["labels"][:128]
    train, test = slice(0, 96), slice(96, 128)
    torch.manual_seed(0)
    module = NeurIPTBraindecode(n_outputs=2, chs_info=face_house["chs_info"], n_times=64, neuript="neuript-tiny")

    def training_loss():
        module.eval()
        with torch.no_grad():
            return float(torch.nn.functional.cross_entropy(module(torch.as_tensor(X[train])), torch.as_tensor(y[train])))

    before = training_loss()
    clf = EEGClassifier(module, max_epochs=2, lr=2e-3, batch_size=32, train_split=None, optimizer=torch.optim.AdamW,
                        iterator_train__shuffle=True, verbose=0)
    clf.fit(X[train], y[train])
    assert len(clf.history) == 2 and np.isfinite(clf.history[:, "train_loss"]).all()
    assert training_loss() < before  # 6 AdamW steps lower the loss on the data they saw

    proba = clf.predict_proba(X[test])
    predicted = clf.predict(X[test])
    assert proba.shape == (32, 2) and np.allclose(proba.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(predicted, proba.argmax(1))
    assert 0.0 <= clf.score(X[test], y[test]) <= 1.0

    # The trained module exports to a NeurIPT classifier that predicts the same (save_pretrained-ready).
    exported = module.to_neuript()
    with torch.no_grad():
        logits = exported(torch.as_tensor(face_house["input_values"][test]),
                          torch.as_tensor(face_house["channel_positions"])).logits
    np.testing.assert_allclose(torch.softmax(logits, -1).numpy(), proba, rtol=1e-4, atol=1e-5)


def test_reset_head(face_house, classifier, braindecode):
    import copy

    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode

    module = NeurIPTBraindecode(chs_info=face_house["chs_info"], n_times=64, neuript=copy.deepcopy(classifier))
    module.reset_head(4)
    assert module.n_outputs == 4 and module(torch.zeros(1, 8, 64)).shape == (1, 4)
    assert module.to_neuript().config.num_labels == 4


# ----------------------------------------------------------------------------------------------------------------------
# scikit-learn


def test_embedder_passes_sklearn_checks():
    from sklearn.base import clone
    from sklearn.utils import estimator_checks as checks

    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder

    embedder = NeurIPTEmbedder(channel_names=CHANNELS, batch_size=8)
    for check in (checks.check_estimator_cloneable, checks.check_no_attributes_set_in_init,
                  checks.check_get_params_invariance, checks.check_parameters_default_constructible,
                  checks.check_estimator_repr, checks.check_mixin_order,
                  checks.check_do_not_raise_errors_in_init_or_set_params):
        check("NeurIPTEmbedder", embedder)
    copy = clone(embedder.set_params(random_state=3))
    assert copy.get_params() == embedder.get_params() and copy is not embedder
    assert not hasattr(copy, "encoder_")


def test_embedder_features_are_iilp_pooled_output(face_house, classifier):
    from sklearn.base import clone

    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder

    X = face_house["input_values"][:20]
    embedder = NeurIPTEmbedder(classifier, channel_names=face_house["channel_names"], batch_size=7).fit()
    features = embedder.transform(X)
    with torch.no_grad():
        pooled = classifier(torch.as_tensor(X), torch.as_tensor(face_house["channel_positions"])).pooled_output
    assert features.shape == (20, pooled.shape[1])
    np.testing.assert_allclose(features, pooled.numpy(), rtol=1e-5, atol=1e-6)
    # µV input with A-law done by the embedder gives the same features; a clone computes the same.
    microvolts = clone(embedder).set_params(input_units="uV").fit()
    np.testing.assert_allclose(microvolts.transform(face_house["microvolts"][:20]), features, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="8 positions"):
        embedder.transform(X[:, :5])
    with pytest.raises(ValueError, match="exactly one"):
        NeurIPTEmbedder(channel_names=CHANNELS, channel_positions=np.zeros((8, 3))).fit()


def test_linear_probe_pipeline_on_face13(face_house, classifier):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from modeling_neuript.interop.sklearn_embedder import NeurIPTEmbedder

    X, y = face_house["input_values"][:240], face_house["labels"][:240]
    cut = 180  # time-ordered: the first 180 trials train, the next 60 test
    probe = make_pipeline(NeurIPTEmbedder(classifier, channel_names=face_house["channel_names"]), StandardScaler(),
                          LogisticRegression(C=0.01, max_iter=2000))
    probe.fit(X[:cut], y[:cut])
    predicted = probe.predict(X[cut:])
    # The same probe written by hand on the embedder's features gives the same predictions.
    features = probe[0].transform(X)
    manual = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)).fit(features[:cut], y[:cut])
    np.testing.assert_array_equal(predicted, manual.predict(features[cut:]))
    assert 0.0 <= balanced_accuracy_score(y[cut:], predicted) <= 1.0
    scores = cross_val_score(probe, X[:96], y[:96], cv=2, scoring="balanced_accuracy")  # clones the pipeline per fold
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))


def test_adapter_from_a_checkpoint_folder(face_house, classifier, tmp_path):
    from modeling_neuript.interop.braindecode_model import NeurIPTBraindecode

    classifier.save_pretrained(tmp_path)
    module = NeurIPTBraindecode.from_neuript(tmp_path, chs_info=face_house["chs_info"], n_times=64).eval()
    assert module.n_outputs == 2
    X = torch.as_tensor(face_house["input_values"][:4])
    module.input_units = "companded"
    with torch.no_grad():
        expected = classifier(X, torch.as_tensor(face_house["channel_positions"])).logits
        torch.testing.assert_close(module(X), expected, rtol=1e-5, atol=1e-6)
    fresh_head = NeurIPTBraindecode.from_neuript(tmp_path, chs_info=face_house["chs_info"], n_times=64, n_outputs=3)
    assert fresh_head.n_outputs == 3 and fresh_head.final_layer.out_features == 3
