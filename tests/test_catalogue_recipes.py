"""The TFDS catalogue classifiers end to end on mock data: speech_commands, genomics_ood and
smartwatch_gestures (their real data needs a download; `tfds.testing.mock_data` stands in)."""

import doctest
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.training import run

TINY = {"units": 4, "num_layers": 1}


def mock_dataset(examples, signature):
    """An `as_dataset_fn` for `tfds.testing.mock_data`: every split yields `examples`."""

    def as_dataset(builder, split, **kwargs):
        return tf.data.Dataset.from_generator(lambda: iter(examples), output_signature=signature)

    return as_dataset


def run_on_mock(recipe, examples, signature, tmp_path, overrides, batch_size=4):
    with tfds.testing.mock_data(as_dataset_fn=mock_dataset(examples, signature)):
        return run(
            recipe,
            epochs=1,
            batch_size=batch_size,
            output=tmp_path,
            overrides=overrides,
            verbose=0,
        )


def check_outputs(tmp_path, metrics, x, y):
    """metrics.json holds the returned metrics; the saved model, loaded with safe_mode=True,
    scores the test examples (the same as every split's here) as `metrics` says."""
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert {"test_loss", "test_accuracy", "best_epoch", "best_val_accuracy"} <= set(metrics)
    assert metrics["epochs_run"] == 1 and metrics["best_epoch"] == 1
    assert json.loads((tmp_path / "history.json").read_text())["val_accuracy"] == [
        metrics["best_val_accuracy"]
    ]
    model = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (len(y), model.output_shape[-1])
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)
    accuracy = float(np.mean(np.argmax(probs, axis=-1) == y))
    assert metrics["test_accuracy"] == pytest.approx(accuracy)
    loss = float(np.mean(-np.log(probs[np.arange(len(y)), y])))
    assert metrics["test_loss"] == pytest.approx(loss, rel=1e-4)
    return model


@pytest.mark.parametrize(
    "name", ["speech_commands_gru", "genomics_ood_bilstm", "smartwatch_gestures_gru"]
)
def test_docstring_examples(name):
    module = __import__(f"recipes.{name}", fromlist=["RECIPE"])
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.slow
def test_speech_commands_recipe_on_mock_data(tmp_path):
    from recipes.speech_commands_gru import CLIP_SAMPLES, FRAMES, LABELS, NUM_MELS, RECIPE, clip

    rng = np.random.default_rng(0)
    # Clips of 0.5-1 s (shorter ones are padded to one second) and one of 1.1 s (cut).
    lengths = [8000, 12000, 16000, 17600, 9000, 16000]
    audio = [(rng.normal(size=n) * 3000).astype("int16") for n in lengths]
    labels = [0, 3, 9, 10, 11, 5]
    examples = [{"audio": a, "label": y} for a, y in zip(audio, labels, strict=True)]
    signature = {
        "audio": tf.TensorSpec((None,), tf.int16),
        "label": tf.TensorSpec((), tf.int64),
    }
    metrics = run_on_mock(RECIPE, examples, signature, tmp_path, TINY)
    assert len(LABELS) == 12
    # The saved model takes the waveforms themselves: its LogMel front end makes the features.
    x = np.stack([clip(a).numpy() for a in audio])
    assert x.shape == (6, CLIP_SAMPLES) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :8000], audio[0] / 32768.0)
    assert not x[0, 8000:].any() and np.array_equal(x[3], audio[3][:CLIP_SAMPLES] / 32768.0)
    model = check_outputs(tmp_path, metrics, x, np.array(labels))
    assert model.input_shape == (None, CLIP_SAMPLES) and model.output_shape == (None, 12)
    log_mel = model.get_layer("log_mel")
    assert (log_mel.sample_rate, log_mel.num_mels) == (16000, NUM_MELS)
    assert tuple(log_mel.output.shape) == (None, FRAMES, NUM_MELS)


@pytest.mark.slow
def test_genomics_ood_recipe_on_mock_data(tmp_path):
    from recipes.genomics_ood_bilstm import GENERA, RECIPE, tokens

    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), size=250)) for _ in range(6)]
    seqs[0] = "N" + seqs[0][1:]
    labels = [0, 1, 2, 7, 8, 9]
    examples = [
        {"seq": s, "label": y, "seq_info": "mock", "domain": "in"}
        for s, y in zip(seqs, labels, strict=True)
    ]
    signature = {
        "seq": tf.TensorSpec((), tf.string),
        "label": tf.TensorSpec((), tf.int64),
        "seq_info": tf.TensorSpec((), tf.string),
        "domain": tf.TensorSpec((), tf.string),
    }
    overrides = {**TINY, "embedding_dim": 4}
    metrics = run_on_mock(RECIPE, examples, signature, tmp_path, overrides)
    x = np.stack([tokens(s).numpy() for s in seqs])
    assert x.shape == (6, 250) and x[0, 0] == 5 and set(np.unique(x[1])) <= {1, 2, 3, 4}
    model = check_outputs(tmp_path, metrics, x, np.array(labels))
    assert model.output_shape == (None, len(GENERA))


@pytest.mark.slow
def test_smartwatch_gestures_recipe_on_mock_data(tmp_path):
    from recipes.smartwatch_gestures_gru import AXES, RECIPE, accelerations

    rng = np.random.default_rng(2)
    lengths = [12, 30, 7, 45, 20, 33, 9, 26]
    labels = [0, 4, 19, 7, 0, 12, 3, 19]
    examples = []
    for n, y in zip(lengths, labels, strict=True):
        clocks = {k: np.arange(n, dtype="uint64") for k in ("time_millis", "time_nanos")}
        steps = {a: rng.normal(size=n) * 5 for a in AXES}
        examples.append({"features": {**clocks, "time_event": clocks["time_millis"], **steps}})
        examples[-1].update(participant=1, attempt=1, gesture=y)
    sequence = {k: tf.TensorSpec((None,), tf.uint64) for k in ("time_millis", "time_nanos")}
    sequence["time_event"] = tf.TensorSpec((None,), tf.uint64)
    sequence.update({a: tf.TensorSpec((None,), tf.float64) for a in AXES})
    signature = {
        "features": sequence,
        "participant": tf.TensorSpec((), tf.uint8),
        "attempt": tf.TensorSpec((), tf.uint8),
        "gesture": tf.TensorSpec((), tf.int64),
    }
    metrics = run_on_mock(RECIPE, examples, signature, tmp_path, {**TINY, "buckets": 2})
    assert json.loads((tmp_path / "config.json").read_text())["validation"] == "train[70%:85%]"
    # Padded to the longest, as a batch pads them: masking makes the padding irrelevant.
    x = np.zeros((len(lengths), max(lengths), 3), "float32")
    for i, e in enumerate(examples):
        steps, _ = accelerations({a: tf.constant(e["features"][a]) for a in AXES}, 0)
        x[i, : lengths[i]] = steps.numpy()
    model = check_outputs(tmp_path, metrics, x, np.array(labels))
    alone = model.predict(x[2:3, : lengths[2]], verbose=0)
    np.testing.assert_allclose(alone, model.predict(x[2:3], verbose=0), atol=1e-5)
