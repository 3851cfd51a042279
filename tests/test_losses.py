import keras
import numpy as np
import pytest

from zoo.losses import (
    MaskedSequenceCrossentropy,
    PerStepError,
    SparseCategoricalCrossentropy,
    per_step_metric,
)
from zoo.metrics import BitsPerCharacter, MaskedTokenAccuracy, Perplexity


def _batch(seed=0, vocab=5):
    rng = np.random.default_rng(seed)
    y = np.array([[2, 3, 4, 0], [4, 2, 0, 0]])  # 5 real tokens
    logits = rng.normal(size=(2, 4, vocab)).astype("float32")
    return y, logits


def _manual(y, logits):
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
    mask = y != 0
    return -(picked * mask).sum() / mask.sum()


def test_token_average_ignores_padding():
    y, logits = _batch()
    loss = float(MaskedSequenceCrossentropy()(y, logits))
    assert loss == pytest.approx(_manual(y, logits), rel=1e-5)


def test_same_batch_padded_to_two_lengths_gives_the_same_loss():
    y, logits = _batch()
    y_long = np.pad(y, ((0, 0), (0, 5)))
    logits_long = np.concatenate([logits, np.random.default_rng(9).normal(size=(2, 5, 5))], 1)
    loss = MaskedSequenceCrossentropy()
    assert float(loss(y, logits)) == pytest.approx(float(loss(y_long, logits_long)), rel=1e-6)


def test_a_keras_mask_on_the_predictions_is_not_applied_twice():
    # A model whose output carries the target mask (as seq2seq's does) gives the same loss.
    y, logits = _batch()
    inp = keras.Input((None,), dtype="int32")
    emb = keras.layers.Embedding(6, 5, mask_zero=True)(inp)
    out = keras.layers.Lambda(lambda e: e * 0.0)(emb)  # keeps the mask, logits all 0
    model = keras.Model(inp, out)
    model.compile(loss=MaskedSequenceCrossentropy())
    got = model.evaluate(y, y, verbose=0)
    assert got == pytest.approx(np.log(5), rel=1e-5)


def test_loss_round_trips_and_checks_pad_id():
    loss = MaskedSequenceCrossentropy(pad_id=0)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, MaskedSequenceCrossentropy) and again.pad_id == 0
    with pytest.raises(ValueError, match="pad_id must be a non-negative int, got -1"):
        MaskedSequenceCrossentropy(pad_id=-1)


def test_metrics_count_real_tokens_only():
    y, logits = _batch()
    acc = MaskedTokenAccuracy()
    acc.update_state(y, logits)
    mask = y != 0
    expected = ((logits.argmax(-1) == y) & mask).sum() / mask.sum()
    assert float(acc.result()) == pytest.approx(expected)
    bpc, ppl = BitsPerCharacter(), Perplexity()
    for m in (bpc, ppl):
        m.update_state(y, logits)
        m.update_state(np.pad(y, ((0, 0), (0, 3))), np.pad(logits, ((0, 0), (0, 3), (0, 0))))
    nats = _manual(y, logits)
    assert float(bpc.result()) == pytest.approx(nats / np.log(2), rel=1e-5)
    assert float(ppl.result()) == pytest.approx(np.exp(nats), rel=1e-5)
    bpc.reset_state()
    assert float(bpc.result()) == 0.0


def test_a_per_sequence_sample_weight_weighs_every_token_of_its_sequence():
    rng = np.random.default_rng(0)
    y = rng.integers(1, 5, size=(4, 4))
    y[0, 2:] = 0
    p = rng.normal(size=(4, 4, 5)).astype("float32")
    w = np.array([1.0, 2.0, 1.0, 0.5], "float32")
    per = keras.losses.sparse_categorical_crossentropy(y, p, from_logits=True).numpy()
    real = y != 0
    loss = MaskedSequenceCrossentropy(from_logits=True)
    expected = (per * real * w[:, None]).sum() / real.sum()
    np.testing.assert_allclose(float(loss(y, p, sample_weight=w)), expected, rtol=1e-5)
    float(loss(y[:3], p[:3], sample_weight=w[:3]))  # a batch of 3 against 4 steps: no crash
    accuracy = MaskedTokenAccuracy()
    accuracy.update_state(y, p, sample_weight=w)
    hits = (p.argmax(-1) == y) * real * w[:, None]
    np.testing.assert_allclose(float(accuracy.result()), hits.sum() / (real * w[:, None]).sum())


def test_weights_per_token_then_per_sequence_train_one_model():
    # Keras relaxes a traced step to weights of any rank once it has seen two, and the loss
    # read their rank: "Cannot take the length of shape with unknown rank" on the second fit.
    import zoo

    model = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    x = {"source": model.encode_sources(["1+2", "30+4", "5+5"])}
    x["target_in"], y = model.encode_targets(["3", "34", "10"])
    rows = np.array([1.0, 0.0, 2.0], "float32")
    tokens = np.repeat(rows[:, None], y.shape[1], axis=1)
    for weights in (tokens, rows, tokens):
        history = model.fit(x, y, sample_weight=weights, epochs=1, verbose=0).history
        assert np.isfinite(history["loss"][0])
    by_token = model.evaluate(x, y, sample_weight=tokens, verbose=0)
    by_sequence = model.evaluate(x, y, sample_weight=rows, verbose=0)
    np.testing.assert_allclose(by_sequence, by_token, rtol=1e-6)


def _masked_steps(output_dim=1):
    """A model that outputs its (batch, T, output_dim) input, steps of all zeros masked."""
    inp = keras.Input((None, output_dim))
    return keras.Model(inp, keras.layers.Masking(0.0)(inp))


@pytest.mark.parametrize("error", ["mse", "mae"])
def test_per_step_error_takes_batch_by_steps_targets_when_output_dim_is_1(error):
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(3, 5, 1)).astype("float32")
    pred[0, 3:] = 0.0  # padding
    y = rng.normal(size=(3, 5)).astype("float32")
    model = _masked_steps()
    model.compile(loss=PerStepError(error), metrics=[per_step_metric(error)], run_eagerly=True)
    real = np.any(pred != 0, axis=-1)
    diff = pred[..., 0] - y
    expected = ((diff**2 if error == "mse" else np.abs(diff)) * real).sum() / real.sum()
    for targets in (y, y[..., None]):  # (batch, T) as (batch, T, 1)
        loss, metric = model.evaluate(pred, targets, verbose=0)
        assert loss == pytest.approx(expected, rel=1e-5) and metric == pytest.approx(loss)
    # Unmasked, the same value as Keras's own loss on (batch, T, 1) targets.
    keras_loss = {"mse": keras.losses.MeanSquaredError, "mae": keras.losses.MeanAbsoluteError}[
        error
    ]()
    assert float(PerStepError(error)(y, pred)) == pytest.approx(
        float(keras_loss(y[..., None], pred))
    )


def test_per_step_error_names_targets_that_do_not_fit_the_output():
    model = _masked_steps(output_dim=2)
    model.compile(loss=PerStepError(), run_eagerly=True)
    x = np.ones((2, 4, 2), "float32")
    with pytest.raises(ValueError, match=r"\(batch, T, output_dim=2\) .* got shape \(2, 4\)"):
        model.evaluate(x, np.ones((2, 4), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"error must be one of 'mse', 'mae', got 'huber'"):
        PerStepError("huber")


def test_per_step_error_round_trips():
    again = keras.losses.deserialize(keras.losses.serialize(PerStepError("mae")))
    assert isinstance(again, PerStepError) and again.error == "mae"
    metric = keras.metrics.deserialize(keras.metrics.serialize(per_step_metric("mse")))
    metric.update_state(np.ones((1, 2)), np.zeros((1, 2, 1), "float32"))
    assert metric.name == "mse" and float(metric.result()) == 1.0


def test_per_step_error_weighs_each_sequence_with_one_weight():
    # A (batch,) weight failed in a plain Keras model: "Incompatible shapes: [4] vs. [4,9]".
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(4, 9, 1)), rng.normal(size=(4, 9, 1)).astype("float32")
    rows = np.array([1.0, 0.0, 2.0, 1.0], "float32")
    loss = PerStepError("mse")
    by_sequence = float(loss(y, p, sample_weight=rows))
    by_step = float(loss(y, p, sample_weight=np.repeat(rows[:, None], 9, axis=1)))
    np.testing.assert_allclose(by_sequence, by_step, rtol=1e-6)
    np.testing.assert_allclose(
        by_sequence, np.mean((y - p)[..., 0] ** 2 * rows[:, None]), rtol=1e-5
    )


def test_sparse_crossentropy_is_keras_s_on_one_device_and_round_trips():
    # (Over several replicas it averages over every replica's real steps: test_distribute.)
    rng = np.random.default_rng(0)
    probs = keras.ops.softmax(rng.normal(size=(3, 5, 4)).astype("float32"))
    ids = rng.integers(0, 4, (3, 5))
    for kwargs in ({}, {"ignore_class": 0}, {"reduction": "sum"}):
        ours = SparseCategoricalCrossentropy(**kwargs)
        theirs = keras.losses.SparseCategoricalCrossentropy(**kwargs)
        assert float(ours(ids, probs)) == float(theirs(ids, probs))
        again = keras.losses.deserialize(keras.losses.serialize(ours))
        assert type(again) is SparseCategoricalCrossentropy
        assert again.get_config() == ours.get_config()
