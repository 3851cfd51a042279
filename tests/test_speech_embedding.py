"""The pretrained speech-embedding front end and `ctc_speech(frontend="speech_embedding")`."""

import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.io import wavfile

from zoo.data.waveforms import resample
from zoo.layers.speech_embedding import SpeechEmbedding, load_weights
from zoo.models.speech import SpeechRecognizer, ctc_speech

DATA = pathlib.Path(__file__).parent / "data"
TINY = dict(frontend="speech_embedding", units=8, num_layers=1, time_stride=4, seed=0)


def _clip(name="3_theo_0.wav"):
    rate, wave = wavfile.read(DATA / "fsdd" / name)
    return rate, wave.astype("float32") / 32768


def test_matches_onnx_runtime_reference():
    # tests/data/speech_embedding_reference.npz: a 16 kHz FSDD clip (tests/data/fsdd/3_theo_0.wav
    # resampled, 6000 zeros each side) and the embeddings that ONNX Runtime 1.23 gives for it
    # from openWakeWord 0.4.0's melspectrogram.onnx and embedding_model.onnx (windows of 76
    # frames every 8). The layer's embedding i (stride 2) is centred on frame 2i, so window j
    # (frames 8j..8j+75) is its embedding 4j + 19.
    ref = np.load(DATA / "speech_embedding_reference.npz")
    wave, expected = ref["waveform_16k"], ref["embeddings"]
    layer = SpeechEmbedding(sample_rate=16000, stride=2)
    out = np.asarray(layer([wave[None], np.array([len(wave)])]))[0]
    got = out[[4 * j + 19 for j in range(len(expected))]]
    np.testing.assert_allclose(got, expected, atol=1e-3 * np.abs(expected).max())


def test_8khz_matches_16khz():
    rate, wave = _clip()
    up = resample(wave, rate, 16000)
    e8 = np.asarray(SpeechEmbedding(8000, 4)([wave[None], np.array([len(wave)])]))[0]
    e16 = np.asarray(SpeechEmbedding(16000, 4)([up[None], np.array([len(up)])]))[0]
    n = min(len(e8), len(e16))
    assert abs(len(e8) - len(e16)) <= 1
    assert np.corrcoef(e8[:n].ravel(), e16[:n].ravel())[0, 1] > 0.999


@pytest.mark.parametrize(("stride", "level", "dim"), [(1, 5, 96), (8, 5, 96), (4, 3, 288)])
def test_padded_batch_equals_items_alone(stride, level, dim):
    _, a = _clip("3_theo_0.wav")
    _, b = _clip("7_george_5.wav")
    layer = SpeechEmbedding(8000, stride, level=level)
    n = max(len(a), len(b)) + 1234
    batch = np.zeros((2, n), "float32")
    batch[0, : len(a)], batch[1, : len(b)] = a, b
    lengths = np.array([len(a), len(b)])
    together = np.asarray(layer([batch, lengths]))
    assert together.shape[2] == dim
    frames = layer.num_frames(lengths)
    for i, wave in enumerate((a, b)):
        alone = np.asarray(layer([wave[None], lengths[i : i + 1]]))[0]
        assert len(alone) == frames[i]
        np.testing.assert_allclose(together[i, : frames[i]], alone, atol=1e-3)
        assert not together[i, frames[i] :].any()  # zeros past the utterance


def test_num_frames_counts_real_embeddings():
    layer = SpeechEmbedding(8000, 4)
    lengths = np.array([255, 256, 336, 8000, 8001])
    # 10 ms frames: 1 + (n - 256) // 80 of them, then one embedding per 4.
    np.testing.assert_array_equal(layer.num_frames(lengths), [0, 1, 1, 25, 25])
    x = np.random.default_rng(0).normal(0, 0.1, (1, 8000)).astype("float32")
    assert np.asarray(layer([x, np.array([8000])])).shape == (1, 25, 96)


def test_frozen_weights_are_the_shipped_ones():
    layer = SpeechEmbedding(16000, 8)
    layer.build(None)
    assert layer.trainable_weights == []
    shipped = load_weights()
    assert {w.name for w in layer.weights} == set(shipped)
    kernel = next(w for w in layer.weights if w.name == "kernel_7")
    np.testing.assert_array_equal(np.asarray(kernel), shipped["kernel_7"])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="sample_rate must be one of 8000, 16000, got 22050"):
        SpeechEmbedding(22050)
    with pytest.raises(ValueError, match="stride must be one of 1, 2, 4, 8, got 3"):
        SpeechEmbedding(8000, 3)
    with pytest.raises(ValueError, match="stride must be one of 1, 2, 4, got 8"):
        SpeechEmbedding(8000, 8, level=4)  # the inner features come every 4 frames
    with pytest.raises(ValueError, match="level must be one of 3, 4, 5, got 2"):
        SpeechEmbedding(8000, 4, level=2)
    with pytest.raises(ValueError, match="time_stride must be one of 1, 2, 4, 8, got 3"):
        ctc_speech(**{**TINY, "time_stride": 3})
    with pytest.raises(ValueError, match="sample_rate must be one of 8000, 16000, got 44100"):
        ctc_speech(**TINY, sample_rate=44100)
    with pytest.raises(
        ValueError, match=r"num_mels=20, fmax=3000.0 cannot be set with frontend=.speech_embedding."
    ):
        ctc_speech(**TINY, num_mels=20, fmax=3000.0)
    with pytest.raises(ValueError, match="frontend must be one of 'log_mel', 'speech_embedding'"):
        ctc_speech(frontend="wav2vec", units=8, num_layers=1)


def test_model_trains_saves_and_transcribes(tmp_path):
    model = ctc_speech(**TINY)
    assert isinstance(model, SpeechRecognizer)
    shipped = load_weights()
    frozen = [np.asarray(w).copy() for w in model.front_end.weights]
    for w, value in zip(model.front_end.weights, frozen, strict=True):
        np.testing.assert_array_equal(value, shipped[w.name][: len(value)])  # not zeros
    rate, wave = _clip()
    wave = np.pad(wave, 1600)  # 0.2 s of silence each side: frames for "three" at 40 ms
    x = {"waveform": np.stack([wave, wave]), "length": np.array([len(wave), len(wave) - 800])}
    y = model.encode_texts(["three", "three"])
    assert model(x).shape[1] == model.output_lengths(x["length"]).max()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    for before, w in zip(frozen, model.front_end.weights, strict=True):
        np.testing.assert_array_equal(before, np.asarray(w))  # not trained
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.get_config()["frontend"] == "speech_embedding"
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-5)
    assert loaded.transcribe([wave], sample_rate=rate) == model.transcribe([wave], sample_rate=rate)


def test_export_serves_the_pretrained_model_for_any_batch_and_length(tmp_path):
    model = ctc_speech(**TINY)
    model.export(str(tmp_path / "export"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    rng = np.random.default_rng(0)
    for lengths in ([9000, 4000], [2500]):
        x = np.zeros((len(lengths), max(lengths)), "float32")
        for i, n in enumerate(lengths):
            x[i, :n] = rng.normal(0, 0.1, n)
        lengths = np.array(lengths, "int32")
        logits = served.serve(x, lengths).numpy()
        np.testing.assert_allclose(
            logits, np.asarray(model({"waveform": x, "length": lengths})), atol=1e-4
        )
        assert len(served.transcribe(x, lengths).numpy()) == len(lengths)
    # a batch of empty utterances has no embedding to read (the recurrent layers failed on no
    # time steps): one masked frame each, transcribed as ''
    empty = np.zeros((2, 9000), "float32"), np.zeros(2, "int32")
    assert served.serve(*empty).shape[:2] == (2, 1)
    assert served.transcribe(*empty).numpy().tolist() == [b"", b""]


def test_trains_under_mixed_precision():
    # The normalised embedding (in the compute dtype) was multiplied by a float32 mask: "cannot
    # compute Mul as input #1 was expected to be a bfloat16 tensor", inside the factory.
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # a CPU's
    try:
        model = ctc_speech(**TINY)
        wave = np.pad(_clip()[1], 1600)  # frames enough for "three" at 40 ms
        x = {"waveform": np.stack([wave, wave]), "length": np.array([len(wave), len(wave) - 800])}
        assert model(x).dtype == "float32"  # logits for the CTC loss
        history = model.fit(x, model.encode_texts(["three", "three"]), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_predict_gives_one_array_over_batches_of_other_widths():
    # The pretrained front end cuts each batch to its longest utterance: Keras joined batches
    # of 25, 18 and 12 frames into a tf.RaggedTensor (np.asarray of it: a 0-d object).
    model = ctc_speech(**TINY)
    rng = np.random.default_rng(0)
    x = {
        "waveform": rng.uniform(-0.1, 0.1, (5, 8000)).astype("float32"),
        "length": np.array([8000, 7000, 6000, 5000, 4000]),
    }
    logits = model.predict(x, batch_size=2, verbose=0)
    assert isinstance(logits, np.ndarray) and logits.shape[:2] == (5, 25)
    frames = model.output_lengths(x["length"])
    for i, n in enumerate(frames):  # each utterance's real frames, as alone
        alone = {
            "waveform": x["waveform"][i : i + 1, : x["length"][i]],
            "length": x["length"][i : i + 1],
        }
        np.testing.assert_allclose(logits[i, :n], model.predict(alone, verbose=0)[0, :n], atol=1e-4)


def test_a_length_past_the_padding_reads_as_the_whole_row():
    # A served model cannot be checked as predict is: a length past the padded samples failed
    # in the front end ("ConcatOp : Dimension 1 in both shapes must be equal").
    model = ctc_speech(**TINY)
    wave = np.random.default_rng(0).uniform(-0.1, 0.1, (2, 8000)).astype("float32")
    past = model({"waveform": wave, "length": np.array([108000, 4000])})
    whole = model({"waveform": wave, "length": np.array([8000, 4000])})
    np.testing.assert_allclose(np.asarray(past), np.asarray(whole), atol=1e-6)
