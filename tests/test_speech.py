"""The CTC speech recogniser: front end, lengths, loss, decoding, save/load, bad inputs."""

import pathlib
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.io import wavfile

import zoo
from tests.helpers import run_model_checks
from zoo.data.audio import (
    frame_settings,
    log_mel_spectrogram,
    mfcc,
    normalize_frames,
    num_frames,
    vtlp_warp,
)
from zoo.data.augmentation import augment_waveform
from zoo.data.waveforms import shorten_pauses, standardize_edges
from zoo.layers.audio import LogMel, SpecAugment
from zoo.losses import ctc_loss
from zoo.models.speech import (
    SpeechRecognizer,
    ctc_speech,
    make_speech_examples,
)

FSDD = pathlib.Path(__file__).parent / "data" / "fsdd"
TINY = dict(units=8, num_layers=1, conv_filters=4, seed=0)
SMALL = dict(units=4, num_layers=1, conv_filters=2, seed=0)


def _batch(lengths, seed=0):
    rng = np.random.default_rng(seed)
    w = np.zeros((len(lengths), max(lengths)), "float32")
    for i, n in enumerate(lengths):
        w[i, :n] = rng.normal(size=n) * 0.1
    return {"waveform": w, "length": np.array(lengths, "int32")}


def _alone(x, i):
    n = x["length"][i]
    return {"waveform": x["waveform"][i : i + 1, :n], "length": x["length"][i : i + 1]}


@pytest.fixture(scope="module")
def model():
    return ctc_speech(units=16, num_layers=2, conv_filters=4, time_stride=2, seed=0)


@pytest.fixture(scope="module")
def small():
    return ctc_speech(**SMALL)


def test_registered():
    spec = zoo.registry.get("ctc_speech")
    assert spec.tasks == ("ctc",)
    m = zoo.build("ctc_speech", task="ctc", **TINY)
    assert isinstance(m, SpeechRecognizer)


def test_ctc_loss_matches_hand_computed_value():
    # Two frames, one character: "a" is emitted by a-a, a-blank and blank-a.
    p = np.array([[0.3, 0.7], [0.6, 0.4]])  # rows: frames; columns: blank, a
    expected = -np.log(p[0, 1] * p[1, 1] + p[0, 1] * p[1, 0] + p[0, 0] * p[1, 1])
    loss = ctc_loss(np.array([[1]]), np.log(p)[None].astype("float32"), np.array([2]))
    np.testing.assert_allclose(float(loss[0]), expected, rtol=1e-5)
    # Repeated labels need a blank between them: "aa" in 3 frames has one path, a-blank-a.
    p3 = np.array([[0.2, 0.8], [0.5, 0.5], [0.1, 0.9]])
    loss = ctc_loss(np.array([[1, 1]]), np.log(p3)[None].astype("float32"), np.array([3]))
    np.testing.assert_allclose(float(loss[0]), -np.log(0.8 * 0.5 * 0.9), rtol=1e-5)


def test_ctc_loss_agrees_with_keras_ops():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 12, 6)).astype("float32")
    labels = np.array([[1, 2, 2, 5], [3, 0, 0, 0], [4, 1, 0, 0]])
    frames = np.array([12, 7, 9])
    ours = np.asarray(ctc_loss(labels, logits, frames))
    theirs = np.asarray(keras.ops.ctc_loss(labels, logits, (labels > 0).sum(1), frames))
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_frames_follow_the_real_length_exactly(model):
    window, hop, span = frame_settings(8000)
    assert (window, hop, span) == (200, 80, 256)
    for n in (256, 257, 335, 336, 4001, 9999):
        logits = model(_alone(_batch([n]), 0))
        assert logits.shape[1] == model.output_lengths(np.array([n]))[0]
        features = model.front_end([np.zeros((1, n), "float32"), np.array([n])])
        assert features.shape[1] == num_frames(n, span, hop) == (n - 256) // 80 + 1


def test_padding_changes_nothing(model):
    """A padded batch gives each utterance its logits and loss alone (any batch size trains)."""
    x = _batch([8000, 5001, 3333])
    texts = ["one two", "three", "nine"]
    y = model.encode_texts(texts)
    batched = np.asarray(model(x))
    alone_losses = []
    for i in range(3):
        xi = _alone(x, i)
        alone = np.asarray(model(xi))
        np.testing.assert_allclose(batched[i, : alone.shape[1]], alone[0], atol=1e-5)
        alone_losses.append(float(model.compute_loss(xi, model.encode_texts([texts[i]]), alone)))
    batch_loss = float(model.compute_loss(x, y, batched))
    np.testing.assert_allclose(batch_loss, np.mean(alone_losses), rtol=1e-5)


def test_an_utterance_too_short_for_its_label_leaves_the_loss_finite(model):
    # Augmentation can shorten an utterance below its label's frames after fit's check: its
    # loss (infinite: no alignment) counts 0 and leaves the mean, whose gradient stays finite.
    # 600 samples: 5 frames, 3 after stride 2. "seven" needs 5 (TensorFlow's kernel raises),
    # "see" 4 (3 characters and a blank between the e's: the kernel gives inf).
    x = _batch([8000, 600, 600])
    y = model.encode_texts(["one two", "seven", "see"])
    assert model.output_lengths(x["length"]).tolist()[1:] == [3, 3]
    alone = float(model.compute_loss(_alone(x, 0), y[:1], model(_alone(x, 0))))
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x, y, model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    np.testing.assert_allclose(float(loss), alone, rtol=1e-5)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads if g is not None)
    weighted = model.compute_loss(x, y, model(x), sample_weight=np.array([2.0, 1.0, 1.0]))
    np.testing.assert_allclose(float(weighted), alone, rtol=1e-5)


def test_features_of_padded_frames_are_zero_and_normalised_over_real_frames():
    layer = LogMel(8000)
    x = _batch([8000, 4000])
    f = np.asarray(layer([x["waveform"], x["length"]]))
    real = num_frames(4000, layer.span, layer.hop)
    assert (f[1, real:] == 0).all()
    np.testing.assert_allclose(f[1, :real].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(f[1, :real].std(0), 1, atol=1e-2)
    # one length for two waveforms was broadcast to both (normalize=False: no other check)
    for normalize in (True, False):
        with pytest.raises(ValueError, match=r"one length per waveform: 2 waveforms, got 1 len"):
            LogMel(8000, normalize=normalize)([x["waveform"], x["length"][:1]])


def test_instance_norm_uses_real_frames_only_and_removes_a_speaker_offset():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    lengths = np.array([7, 4])  # the model's instance norm: normalize_frames, epsilon 1e-3
    y = np.asarray(normalize_frames(x, lengths, epsilon=1e-3))
    assert (y[1, 4:] == 0).all()
    for i, n in enumerate((7, 4)):
        np.testing.assert_allclose(y[i, :n].mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(y[i, :n].std(0), 1, atol=1e-2)
    # a per-channel offset and scale over the utterance (a voice's constant colour) is removed
    shifted = x * np.array([2.0, 4.0, 3.0], "float32") + np.array([5.0, -1.0, 0.3], "float32")
    np.testing.assert_allclose(normalize_frames(shifted, lengths, epsilon=1e-3), y, atol=1e-2)
    # and what lies in the padding changes nothing
    x[1, 4:] = 99.0
    np.testing.assert_allclose(normalize_frames(x, lengths, epsilon=1e-3), y, atol=1e-5)


def test_instance_norm_model_pads_like_its_items_and_saves(tmp_path):
    m = ctc_speech(**TINY, instance_norm=True)
    assert m.get_config()["instance_norm"] is True
    x = _batch([6000, 3001])
    batched = np.asarray(m(x))
    alone = np.asarray(m(_alone(x, 1)))
    np.testing.assert_allclose(batched[1, : alone.shape[1]], alone[0], atol=1e-5)
    # the option changes the model's output
    plain = ctc_speech(**TINY)
    assert not np.allclose(np.asarray(plain(x)), batched, atol=1e-3)
    path = tmp_path / "m.keras"
    m.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), batched, atol=1e-6)


def test_speaker_adversary_reverses_its_gradient_and_ignores_unknown_speakers():
    lam = 0.5
    m = ctc_speech(**TINY, speaker_adversary=lam, num_speakers=3)
    rng = np.random.default_rng(0)
    frames = tf.Variable(rng.normal(size=(2, 5, 16)).astype("float32"))
    keep = tf.constant([[True] * 5, [True] * 3 + [False] * 2])
    speakers = tf.constant([2, 0])

    def plain_ce(x):  # the same cross-entropy without the reversal, by hand
        logits = m.adversary[1](m.adversary[0](x))
        logp = tf.nn.log_softmax(logits)
        ce = -tf.gather(logp, [2, 0], axis=2, batch_dims=0)  # (2, 5, 2): both speakers' columns
        ce = tf.stack([ce[0, :, 0], ce[1, :, 1]])
        w = tf.cast(keep, ce.dtype)
        return tf.reduce_sum(ce * w) / tf.reduce_sum(w)

    with tf.GradientTape(persistent=True) as tape:
        adv = m.adversary_loss(frames, speakers, keep)
        ref = plain_ce(frames)
    np.testing.assert_allclose(float(adv), float(ref), rtol=1e-5)
    # the encoder side gets -lam times the gradient; the adversary learns as usual
    g_adv, g_ref = tape.gradient(adv, frames), tape.gradient(ref, frames)
    np.testing.assert_allclose(g_adv, -lam * g_ref, atol=1e-6)
    assert float(tf.reduce_max(tf.abs(g_ref[1, 3:]))) == 0  # padded frames do not count
    kernel = m.adversary[1].kernel
    np.testing.assert_allclose(tape.gradient(adv, kernel), tape.gradient(ref, kernel), atol=1e-6)
    # unknown speakers (-1) count for nothing
    assert float(m.adversary_loss(frames, tf.constant([-1, -1]), keep)) == 0.0
    one = m.adversary_loss(frames, tf.constant([2, -1]), keep)
    np.testing.assert_allclose(float(one), float(m.adversary_loss(frames[:1], [2], keep[:1])))


def test_speaker_adversary_adds_a_loss_in_training_only_and_saves(tmp_path):
    m = ctc_speech(**TINY, speaker_adversary=1.0, num_speakers=3)
    x = {**_batch([6000, 4000]), "speaker": np.array([0, 1])}
    out = m(x, training=True)
    assert len(m.losses) == 1 and float(m.losses[0]) > 0
    m(x, training=False)
    assert m.losses == []  # inference: no adversary, and the logits are the plain model's
    np.testing.assert_allclose(np.asarray(m(x)), np.asarray(m(_batch([6000, 4000]))), atol=1e-6)
    assert out.shape == m(x).shape
    assert m.get_config()["speaker_adversary"] == 1.0
    history = m.fit(x, m.encode_texts(["one", "two"]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = tmp_path / "m.keras"
    m.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(m(x)), atol=1e-6)
    assert loaded.get_config()["num_speakers"] == 3


def test_speaker_adversary_takes_numpy_ints():
    m = ctc_speech(
        **SMALL, speaker_adversary=1.0, num_speakers=np.int64(3), adversary_layer=np.int64(0)
    )
    config = m.get_config()
    assert (config["num_speakers"], config["adversary_layer"]) == (3, 0)
    assert type(config["num_speakers"]) is type(config["adversary_layer"]) is int
    assert m.adversary[1].units == 3


def test_spec_augment_masks_real_frames_in_training_only():
    aug = SpecAugment(freq_masks=1, freq_width=5, time_masks=1, time_width=0.2, seed=0)
    f = np.ones((4, 60, 20), "float32")
    lengths = np.array([60, 30, 10, 45])
    assert (np.asarray(aug([f, lengths], training=False)) == f).all()
    out = np.asarray(aug([f, lengths], training=True))
    assert out.min() == 0 and out.mean() < 1
    for i, n in enumerate(lengths):
        dropped_frames = (out[i].sum(-1) == 0).sum()
        assert dropped_frames <= int(0.2 * n) + 1  # no wider than the utterance's own 20%
        assert (out[i, n:].sum(-1) > 0).all()  # no time mask past the real frames
        assert (out[i].sum(0) == 0).sum() <= 5  # at most 5 mel bins masked
    assert SpecAugment.from_config(aug.get_config()).get_config() == aug.get_config()


def test_fit_save_load_and_transcribe(tmp_path):
    m = ctc_speech(**TINY)
    x = _batch([6000, 4000])
    y = m.encode_texts(["one", "two"])
    run_model_checks(m, x, y, tmp_path, run_eagerly=True)
    m.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    waves = [(x["waveform"][0, :6000] * 20000).astype("int16"), x["waveform"][1, :4000]]
    assert loaded.transcribe(waves) == m.transcribe(waves)
    # A model that has transcribed still saves.
    m.save(tmp_path / "again.keras")


def test_export_serves_logits_and_transcripts_for_any_batch_and_length(tmp_path):
    m = ctc_speech(**TINY)
    bias = m.get_layer("logits").bias
    bias.assign(np.r_[-10.0, np.zeros(bias.shape[0] - 1)].astype("float32"))  # no blank wins
    m.export(str(tmp_path / "export"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    for lengths in ([6000, 4000], [2500]):
        x = _batch(lengths, seed=len(lengths))
        logits = served.serve(x["waveform"], x["length"]).numpy()
        np.testing.assert_allclose(logits, m(x).numpy(), atol=1e-5)
        texts = [t.decode() for t in served.transcribe(x["waveform"], x["length"]).numpy()]
        waves = [x["waveform"][i, :n] for i, n in enumerate(lengths)]
        assert texts == m.transcribe(waves, trim_silence=False) and all(texts)
    # rows narrower than one window: no frame to read (it failed in a convolution); '' each
    narrow = np.zeros((2, 100), "float32"), np.array([100, 0], "int32")
    assert served.serve(*narrow).shape[1] == 1
    assert served.transcribe(*narrow).numpy().tolist() == [b"", b""]
    # one length for two waveforms was broadcast over the batch
    for endpoint in (served.serve, served.transcribe):
        with pytest.raises(tf.errors.InvalidArgumentError, match="one length per waveform"):
            endpoint(np.zeros((2, 4000), "float32"), np.array([4000], "int32"))
    with pytest.raises(ValueError, match=r"lengths must hold one length per waveform: 2 wave"):
        m.greedy_strings(np.zeros((2, 4000), "float32"), np.array([4000], "int32"))


def _digit_clips():
    clips = {}
    for path in sorted(FSDD.glob("*_george_*.wav")):
        digit = int(path.name.split("_")[0])
        clips.setdefault(digit, wavfile.read(path)[1])
    return clips


@pytest.mark.slow
def test_learns_to_transcribe_real_speech():
    """A small model overfits a few FSDD digit strings: greedy transcripts become exact."""
    words = "zero one two three four five six seven eight nine".split()
    clips = _digit_clips()
    strings = [(3, 1), (4,), (7, 2), (9, 0, 5), (6, 8)]
    pause = np.zeros(800, "int16")
    waves = [np.concatenate([x for d in s for x in (clips[d], pause)]) for s in strings]
    texts = [" ".join(words[d] for d in s) for s in strings]
    keras.utils.set_random_seed(0)
    m = ctc_speech(units=48, num_layers=1, conv_filters=8, spec_augment=False, seed=0,
                   learning_rate=3e-3)  # fmt: skip
    lengths = np.array([len(w) for w in waves])
    padded = np.zeros((len(waves), lengths.max()), "float32")
    for i, w in enumerate(waves):
        padded[i, : len(w)] = w / 32768.0
    m.fit({"waveform": padded, "length": lengths}, m.encode_texts(texts), epochs=250,
          batch_size=5, verbose=0)  # fmt: skip
    # (as it was trained: these strings have no lead-in for `trim_silence` to standardise)
    assert m.transcribe(waves, trim_silence=False) == texts
    assert m.transcribe(waves, lexicon=words, trim_silence=False) == texts


def test_activation_reaches_the_cells_and_warns_off_the_cudnn_path(monkeypatch):
    monkeypatch.setattr(zoo.models.base, "_warned", set())
    monkeypatch.setattr(zoo.models.base, "_has_gpu", lambda: True)  # (said where cuDNN runs)
    with pytest.warns(UserWarning, match="activation='relu' .* cuDNN"):
        m = ctc_speech(**{**TINY, "activation": "relu"})
    assert m.rnns[0].forward_layer.cell.activation.__name__ == "relu"
    assert m.get_config()["activation"] == "relu"


def test_resampling_and_pcm_scaling():
    m = ctc_speech(**TINY)
    rng = np.random.default_rng(0)
    wave8k = rng.normal(size=8000).astype("float32") * 0.1
    (a,) = m.prepare_waveforms([wave8k])
    (b,) = m.prepare_waveforms([np.repeat(wave8k, 2)], sample_rate=16000)
    assert a.dtype == b.dtype == np.float32 and len(b) == 8000
    (c,) = m.prepare_waveforms([np.array([16384, -32768] * 200, "int16")])
    assert c.max() == 0.5 and c.min() == -1.0
    # One utterance as a 1-D tensor or a list of samples, as well as a 1-D array.
    samples = [0.25, -0.5] * 200
    for one in (tf.constant(samples), samples, np.array(samples)):
        (d,) = m.prepare_waveforms(one)
        np.testing.assert_array_equal(d, np.array(samples, "float32"))
    (e,) = m.prepare_waveforms([16384, -32768] * 200)  # ints: 16-bit PCM
    np.testing.assert_array_equal(e, c)


def test_make_speech_examples_adds_speaker_ids():
    fn = make_speech_examples(speakers=["ann", "bob"])
    x, _ = fn(tf.constant([1, 2], tf.int16), tf.constant("one"), tf.constant("bob"))
    assert int(x["speaker"]) == 1
    with pytest.raises(ValueError, match="maps \\(audio, text, speaker\\) triples"):
        fn(tf.constant([1, 2], tf.int16), tf.constant("one"))
    with pytest.raises(ValueError, match="speakers must be a list of distinct speaker names"):
        make_speech_examples(speakers=["ann", "ann"])


def test_make_speech_examples_lowercases_and_rejects_unknown_characters():
    fn = make_speech_examples()
    x, y = fn(tf.constant([1, 2, 3], tf.int16), tf.constant("IT'S A"))
    assert int(x["length"]) == 3 and x["waveform"].dtype == tf.float32
    assert y.numpy().tolist() == [9, 20, 27, 19, 28, 1]
    with pytest.raises(
        ValueError,
        match=r"transcript 'Route 66!' holds characters outside the vocabulary: \['6', '!'\] "
        r"\(the vocabulary is .*, after lowercasing\)",
    ):
        fn(tf.constant([1, 2], tf.int16), tf.constant("Route 66!"))
    with pytest.raises(ValueError, match=r"audio must be mono.*got shape \(3, 2\)"):
        fn(tf.zeros([3, 2], tf.int16), tf.constant("one"))
    # TFDS's Audio feature gives int64 by default: 16-bit samples in a wider type; Python ints
    # are read as NumPy reads them (int64); an int32 tensor (16 or 32 bits?) is refused.
    for audio in (tf.constant([16384], tf.int64), [16384]):
        np.testing.assert_allclose(fn(audio, tf.constant("a"))[0]["waveform"].numpy(), [0.5])
    with pytest.raises(TypeError, match="int32 tensor is ambiguous"):
        fn(tf.constant([16384], tf.int32), tf.constant("a"))
    np.testing.assert_allclose(
        fn(tf.constant([192], tf.uint8), tf.constant("a"))[0]["waveform"].numpy(), [0.5]
    )


@pytest.mark.parametrize("lowercase", [1, None, "yes"])
def test_make_speech_examples_takes_a_bool_lowercase(lowercase):
    with pytest.raises(TypeError, match=f"lowercase must be True or False, got {lowercase!r}"):
        make_speech_examples(lowercase=lowercase)


def test_make_speech_examples_refuses_float_audio_beyond_full_scale(small):
    fn = make_speech_examples()
    message = (
        r"the audio of transcript 'ab' has float samples outside \[-1, 1\] \(\|x\| up to 30000; "
        r".*int16 values held as floats\? Scale them by 1/32768"
    )
    with pytest.raises(ValueError, match=message):
        fn(tf.constant([30000.0, 0.0]), tf.constant("ab"))
    with pytest.raises(ValueError, match="the audio of transcript 'ab' .* up to nan"):
        fn(tf.constant([np.nan, 0.0]), tf.constant("ab"))
    x, _ = fn(tf.constant([1.0, -1.0, 0.25]), tf.constant("ab"))  # full scale passes
    np.testing.assert_array_equal(x["waveform"].numpy(), [1.0, -1.0, 0.25])
    audio = tf.constant([[0.1] * 4000, [30000.0] + [0.0] * 3999])
    ds = tf.data.Dataset.from_tensor_slices((audio, ["cd", "ab"])).map(fn)
    with pytest.raises(tf.errors.InvalidArgumentError, match="has float samples outside"):
        list(ds)
    with pytest.raises(ValueError, match=message):  # fit reads the check's message back
        small.fit(ds.batch(2), epochs=1, verbose=0)


def test_make_speech_examples_refuses_int64_audio_beyond_16_bits(small):
    # int64 holding 32-bit PCM (2**30) became waveform 32768.0, and 40000 became 1.22, unchecked.
    from zoo.data.waveforms import waveform_to_float

    fn = make_speech_examples()
    message = (
        r"the audio of transcript 'ab' has int64 samples outside the 16-bit range "
        r"\[-32768, 32767\] \(values from -1073741824 to 1073741824; int64 is read as 16-bit PCM"
        r".*32-bit PCM\? Pass it as floats in \[-1, 1\] \(x / 2\*\*31\)"
    )
    for audio in (tf.constant([2**30, -(2**30)], tf.int64), np.array([2**30, -(2**30)])):
        with pytest.raises(ValueError, match=message):
            fn(audio, tf.constant("ab"))
    with pytest.raises(ValueError, match=r"16-bit range .*values from 0 to 40000"):
        fn([40000, 0], tf.constant("ab"))  # Python ints: int64, as in NumPy
    with pytest.raises(ValueError, match=r"values from -32769 to 0, outside \[-32768, 32767\]"):
        waveform_to_float(tf.constant([-32769, 0], tf.int64))  # as for a NumPy array
    x, _ = fn(tf.constant([-32768, 32767, 0], tf.int64), tf.constant("ab"))  # the range passes
    np.testing.assert_array_equal(x["waveform"].numpy(), [-1.0, 32767 / 32768, 0.0])
    assert int(fn(tf.zeros([0], tf.int64), tf.constant("ab"))[0]["length"]) == 0
    audio = tf.constant([[1] * 4000, [2**30] + [0] * 3999], tf.int64)
    ds = tf.data.Dataset.from_tensor_slices((audio, ["cd", "ab"])).map(fn)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int64 samples outside the 16-bit"):
        list(ds)
    with pytest.raises(ValueError, match=message.replace("-1073741824 to", "0 to")):
        small.fit(ds.batch(2), epochs=1, verbose=0)  # fit reads the check's message back


def test_unknown_characters_in_a_pipeline_name_the_characters_and_their_transcript():
    fn = make_speech_examples()
    texts = ["one", 'Route 66 "B"', "two"]
    ds = tf.data.Dataset.from_tensor_slices((tf.zeros([3, 4000], tf.int16), texts)).map(fn)
    message = r"""transcript 'Route 66 "B"' holds characters outside the vocabulary: \['6', '"'\]"""
    with pytest.raises(tf.errors.InvalidArgumentError, match="6.* holds characters outside"):
        list(ds)
    # the model's fit checks its data first, and gives the message as a ValueError
    m = ctc_speech(**TINY)
    with pytest.raises(ValueError, match=message + r" \(the vocabulary is"):
        m.fit(ds.batch(3), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\['é', '\\n'\]"):
        m.check_examples(
            tf.data.Dataset.from_tensors((tf.zeros([4000], tf.int16), "é\n")).map(fn).batch(1)
        )

    def fails(x, y):
        with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(y < 0), ["unrelated"])]):
            return x, tf.identity(y)

    other = tf.data.Dataset.from_tensors(({"length": [4000]}, [[1]])).map(fails)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unrelated"):
        m.check_examples(other)  # other errors pass through as they are


def test_augment_waveform():
    x = {"waveform": tf.sin(tf.range(8000, dtype=tf.float32)), "length": tf.constant(8000)}
    tf.random.set_seed(0)
    out, _ = augment_waveform(speed=(0.8, 0.8), gain_db=None, noise_snr_db=None)(x, 0)
    # Positions 0, 0.8, 1.6, ... up to the last real sample 7999: 9999 of them.
    assert int(out["length"]) == 9999 == out["waveform"].shape[0]
    out, _ = augment_waveform(speed=None, gain_db=(6.0, 6.0), noise_snr_db=None)(x, 0)
    np.testing.assert_allclose(out["waveform"], x["waveform"] * 10 ** (6 / 20), rtol=1e-5)
    f = augment_waveform(speed=None, gain_db=None, noise_snr_db=(10.0, 10.0), noise_probability=1)
    out, _ = f(x, 0)
    noise = out["waveform"] - x["waveform"]
    snr = 10 * np.log10(np.mean(x["waveform"] ** 2) / np.mean(noise**2))
    assert abs(snr - 10) < 0.5
    with pytest.raises(
        ValueError, match=r"speed must be None or a \(low, high\) pair .* \(1.2, 0.8\)"
    ):
        augment_waveform(speed=(1.2, 0.8))
    with pytest.raises(
        ValueError, match=r"speed .* 0 < low <= high, e.g. \(0.9, 1.1\); got \(0, 1\)"
    ):
        augment_waveform(speed=(0, 1))
    with pytest.raises(ValueError, match=r"gain_db .* got 'loud'"):
        augment_waveform(gain_db="loud")


def test_augment_waveform_edges_pad_with_silence_and_keep_the_noise_level():
    # cos: the first and last samples are not zero, so the speech's start can be found
    x = {"waveform": tf.cos(tf.range(4000, dtype=tf.float32)), "length": tf.constant(4000)}
    off = dict(speed=None, gain_db=None, noise_snr_db=None)
    tf.random.set_seed(0)
    leads = set()
    for _ in range(5):
        out, y = augment_waveform(edge_ms=(0.0, 500.0), **off)(x, "label")
        wave, n = np.asarray(out["waveform"]), int(out["length"])
        assert y == "label" and n == wave.shape[0] and 4000 <= n <= 4000 + 2 * 4000
        start = int(np.flatnonzero(wave)[0])
        leads.add(start)
        assert (wave[:start] == 0).all() and start <= 4000  # 500 ms at 8 kHz
        np.testing.assert_allclose(wave[start : start + 4000], x["waveform"][:4000], atol=1e-6)
        assert (wave[start + 4000 :] == 0).all()
    assert len(leads) > 1  # each utterance draws its own lengths
    # exact lengths: 100 ms before and after at 16 kHz
    f = augment_waveform(edge_ms=(100.0, 100.0), sample_rate=16000, **off)
    assert int(f(x, 0)[0]["length"]) == 4000 + 2 * 1600
    # the noise is set by the speech, not lowered by the padding, and fills the pauses
    f = augment_waveform(
        speed=None, gain_db=None, noise_snr_db=(10.0, 10.0), noise_probability=1,
        edge_ms=(1000.0, 1000.0),
    )  # fmt: skip
    wave = np.asarray(f(x, 0)[0]["waveform"])
    pause = wave[:8000]
    snr = 10 * np.log10(np.mean(np.asarray(x["waveform"]) ** 2) / np.mean(pause**2))
    assert abs(snr - 10) < 0.5
    with pytest.raises(ValueError, match=r"edge_ms must not be negative, got \(-5.0, 10.0\)"):
        augment_waveform(edge_ms=(-5.0, 10.0))
    with pytest.raises(ValueError, match=r"sample_rate must be a positive int, got 0"):
        augment_waveform(edge_ms=(0.0, 10.0), sample_rate=0)


def test_standardize_edges_cuts_quiet_ends_keeps_onsets_and_pads_noise():
    rng = np.random.default_rng(0)
    noise = 1e-3
    speech = (0.3 * np.cos(np.arange(3200) * 0.2)).astype("float32")  # 400 ms, loud
    onset = (0.01 * rng.normal(size=400)).astype("float32")  # 50 ms, 30 dB under it ("f")
    core = np.concatenate([onset, speech])
    quiet = [rng.normal(0, noise, 8000).astype("float32") for _ in range(2)]  # 1 s each side
    framed = np.concatenate([np.zeros(4000, "float32"), quiet[0], core, quiet[1]])
    out = standardize_edges(framed, 8000)
    # 1.5 s of zeros and quiet before the speech become 100 ms of noise + at most 100 ms kept
    first = int(np.flatnonzero(np.abs(speech) > 0.2)[0])  # where the loud part starts
    lead = int(np.flatnonzero(np.abs(out) > 0.2)[0]) - first
    assert 800 + 400 <= lead <= 800 + 400 + 800 + 80
    np.testing.assert_array_equal(out[lead - 400 : lead], onset)  # the weak onset is kept
    assert len(out) < len(framed) / 2
    edge = out[:800]
    assert 0.5 * noise < edge.std() < 2 * noise  # the recording's own noise level
    np.testing.assert_array_equal(standardize_edges(framed, 8000), out)  # seeded
    # a recording trimmed to its speech gains the edges; digital silence stays silent
    assert len(standardize_edges(speech, 8000)) == 3200 + 1600
    assert (standardize_edges(np.zeros(800, "float32"), 8000) == 0).all()


def test_shorten_pauses_cuts_the_middle_of_long_pauses_and_fills_zeros():
    rng = np.random.default_rng(0)
    word = (0.3 * np.cos(np.arange(2400) * 0.2)).astype("float32")  # 300 ms
    quiet = rng.normal(0, 1e-3, 16000).astype("float32")  # 2 s of room noise
    short = rng.normal(0, 1e-3, 1600).astype("float32")  # 200 ms: kept
    x = np.concatenate([word, quiet, word, short, word])
    out = shorten_pauses(x, 8000)
    assert len(out) == 3 * 2400 + 2400 + 1600  # the 2 s pause keeps 300 ms
    np.testing.assert_array_equal(out[:2400], word)
    np.testing.assert_array_equal(out[2400:3600], quiet[:1200])  # its first and last 150 ms
    np.testing.assert_array_equal(out[3600:4800], quiet[-1200:])
    np.testing.assert_array_equal(out[-(2400 + 1600 + 2400) :], np.concatenate([word, short, word]))
    # digital silence between two words: shortened, and filled with noise of one int16 step
    room = rng.normal(0, 1e-3, 800).astype("float32")  # 100 ms of the room before each word
    zeros = np.concatenate([room, word, np.zeros(8000, "float32"), room, word])
    out = shorten_pauses(zeros, 8000)
    assert len(out) == 2 * (800 + 2400) + 2400 - 800  # 300 ms of quiet remain, room included
    gap = out[3200:4800]  # the zeros left
    assert (gap != 0).all() and 0.5e-3 < gap.std() < 2e-3  # the room's noise level
    np.testing.assert_array_equal(shorten_pauses(zeros, 8000), out)  # seeded
    np.testing.assert_array_equal(shorten_pauses(word, 8000), word)  # nothing to do


def test_transcribe_reads_a_recording_alike_with_or_without_silence_around_it():
    m = ctc_speech(**TINY)
    w = (0.3 * np.sin(np.arange(6000) * 0.05) * np.hanning(6000)).astype("float32")
    framed = np.concatenate([np.zeros(8000, "float32"), w, np.zeros(8000, "float32")])
    a, b = m._logits(
        [
            shorten_pauses(standardize_edges(x, 8000), 8000)
            for x in m.prepare_waveforms([w, framed])
        ],
        2,
    )
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert m.transcribe([w, framed])[0] == m.transcribe([w, framed])[1]
    raw = m._logits(m.prepare_waveforms([w, framed]), 2)
    assert raw[0].shape != raw[1].shape  # without it the zeros are read as audio
    with pytest.raises(TypeError, match="trim_silence must be True or False, got 'yes'"):
        m.transcribe([w], trim_silence="yes")


def test_augment_waveform_equaliser():
    t = tf.range(8000, dtype=tf.float32) / 8000.0  # 1 s at 8 kHz: 200 Hz and 3600 Hz tones
    low, high = tf.sin(2 * np.pi * 200 * t), tf.sin(2 * np.pi * 3600 * t)
    x = {"waveform": low + high, "length": tf.constant(8000)}
    off = dict(speed=None, gain_db=None, noise_snr_db=None)
    out, _ = augment_waveform(eq_db=(0.0, 0.0), **off)(x, 0)
    assert out["waveform"].shape == (8000,)
    np.testing.assert_allclose(out["waveform"], x["waveform"], atol=1e-4)
    # -20 dB everywhere: the curve through equal gains is flat
    out, _ = augment_waveform(eq_db=(-20.0, -20.0), **off)(x, 0)
    np.testing.assert_allclose(out["waveform"], 0.1 * x["waveform"], atol=1e-4)
    # an odd length comes back whole, and drawn gains change the two tones differently
    x = {"waveform": (low + high)[:7999], "length": tf.constant(7999)}
    tf.random.set_seed(3)
    out, _ = augment_waveform(eq_db=(-12.0, 12.0), eq_bands=3, **off)(x, 0)
    spectrum = np.abs(np.fft.rfft(out["waveform"]))
    ratio = spectrum[int(3600 * 7999 / 8000)] / spectrum[int(200 * 7999 / 8000)]
    assert out["waveform"].shape == (7999,) and not 0.8 < ratio < 1.25
    with pytest.raises(ValueError, match=r"eq_db must be None or a \(low, high\) pair"):
        augment_waveform(eq_db=(3.0, -3.0))
    with pytest.raises(ValueError, match="eq_bands must be an int >= 2, got 1"):
        augment_waveform(eq_db=(-3.0, 3.0), eq_bands=1)


def test_vtlp_moves_a_tone_to_the_band_of_the_warped_frequency_in_training_only():
    f = np.linspace(0.0, 4000.0, 401)
    np.testing.assert_allclose(vtlp_warp(f, 1.0, 8000), f, atol=1e-3)
    for alpha in (0.9, 1.1):
        w = np.asarray(vtlp_warp(f, alpha, 8000))
        assert w[0] == 0.0 and abs(w[-1] - 4000.0) < 1e-2 and (np.diff(w) > 0).all()
        np.testing.assert_allclose(w[f <= 2500.0], alpha * f[f <= 2500.0], rtol=1e-5)
    t = np.arange(8000) / 8000.0

    def peak_band(hz, warp=None):
        x = np.sin(2 * np.pi * hz * t).astype("float32")[None]
        return int(np.asarray(log_mel_spectrogram(x, 8000, 40, warp=warp)).mean(1).argmax())

    assert peak_band(1000.0, warp=[1.0]) == peak_band(1000.0)
    assert peak_band(1000.0, warp=[1.2]) == peak_band(1200.0) > peak_band(1000.0)
    assert peak_band(1000.0, warp=[0.8]) == peak_band(800.0) < peak_band(1000.0)
    # In the layer: off at inference, a new factor per utterance and call in training
    x = np.random.default_rng(0).normal(size=(2, 4000)).astype("float32")
    lengths = np.array([4000, 3000])
    plain = np.asarray(LogMel(8000)([x, lengths]))
    layer = LogMel(8000, vtlp=(0.9, 1.1), seed=0)
    np.testing.assert_allclose(layer([x, lengths], training=False), plain, atol=1e-5)
    a, b = (np.asarray(layer([x, lengths], training=True)) for _ in range(2))
    assert np.abs(a - plain).max() > 0.1 and np.abs(a - b).max() > 0.1
    assert (a[1, int(layer.num_frames(3000)) :] == 0).all()  # padding stays zero
    assert LogMel.from_config(layer.get_config()).vtlp == (0.9, 1.1)
    with pytest.raises(
        ValueError, match=r"vtlp must be None or a \(low, high\) pair .* \[1.1, 0.9\]"
    ):
        LogMel(8000, vtlp=[1.1, 0.9])


def test_fmin_leaves_out_the_frequencies_below_it():
    t = np.arange(8000) / 8000.0
    hum = np.sin(2 * np.pi * 100.0 * t).astype("float32")[None]  # 100 Hz: under 300 Hz
    full = np.asarray(LogMel(8000, 20, normalize=False)([hum, np.array([8000])]))
    band = np.asarray(LogMel(8000, 20, normalize=False, fmin=300.0)([hum, np.array([8000])]))
    assert full.max() > band.max() + 5.0  # e^5: the hum's power is (almost) all gone


def test_utterance_normalisation_keeps_a_noise_band_small():
    """Scale "band" lifts a faint noise band to unit variance; "utterance" keeps it small."""
    rng = np.random.default_rng(0)
    f = np.stack([rng.normal(size=50) * 10.0, rng.normal(size=50) * 0.1], axis=-1)[None]
    f = (f + 5.0).astype("float32")
    f[:, 40:] = 99.0  # padding
    lengths = np.array([40])
    band = np.asarray(normalize_frames(f, lengths, scale="band"))[0, :40]
    utt = np.asarray(normalize_frames(f, lengths, scale="utterance"))[0, :40]
    np.testing.assert_allclose(band.std(axis=0), [1.0, 1.0], rtol=1e-3)
    np.testing.assert_allclose(utt.mean(axis=0), [0.0, 0.0], atol=1e-4)
    assert utt[:, 1].std() < 0.02 and abs((utt**2).mean() - 1.0) < 1e-3
    layer = LogMel(8000, 20, normalize="utterance")
    assert LogMel.from_config(layer.get_config()).normalize == "utterance"


def test_num_ceps_gives_the_mfccs_of_the_shared_feature_module():
    x = (np.random.default_rng(0).normal(size=(1, 8000)) * 0.1).astype("float32")
    layer = LogMel(8000, 40, normalize=False, num_ceps=13)
    np.testing.assert_allclose(layer([x, np.array([8000])]), mfcc(x, 8000, 13, 40), atol=1e-4)
    assert LogMel.from_config(layer.get_config()).num_ceps == 13
    m = ctc_speech(**TINY, num_ceps=10)
    assert m.front_end.num_features == 10 and m.spec_augment.freq_width == 2


def test_preemphasis_is_a_first_order_high_pass():
    """x[t] - 0.97 x[t-1]: a DC offset loses 30 dB, a 3 kHz tone gains |1 - 0.97 e^-iw|^2."""
    t = np.arange(8000) / 8000.0
    tone = np.sin(2 * np.pi * 3000.0 * t).astype("float32")[None]
    dc = np.full((1, 8000), 0.5, "float32")
    lengths = np.array([8000])
    plain = LogMel(8000, 20, normalize=False, fmin=0.0)
    pre = LogMel(8000, 20, normalize=False, fmin=0.0, preemphasis=0.97)

    def gain(x, band):  # change of the band's log power, away from the first frame
        return float(
            (np.asarray(pre([x, lengths])) - np.asarray(plain([x, lengths])))[0, 5:, band].mean()
        )

    band = int(np.asarray(plain([tone, lengths]))[0, 5].argmax())
    w = 2 * np.pi * 3000.0 / 8000.0
    assert gain(tone, band) == pytest.approx(np.log(abs(1 - 0.97 * np.exp(-1j * w)) ** 2), abs=0.05)
    assert gain(dc, 0) < -6.0  # (1 - 0.97)^2: ln = -7.0
    assert LogMel.from_config(pre.get_config()).preemphasis == 0.97


def test_check_examples_names_the_short_example():
    m = ctc_speech(**TINY)
    y = m.encode_texts(["ab", "hello world"])
    ok, short = 8000, 1000  # 1000 samples: 10 frames, 5 after the stride; "hello world" needs 12
    with pytest.raises(
        ValueError,
        match=r"example 1 \(transcript 'hello world', 1000 samples = 0.12 s at 8000 Hz\) has 5 "
        r"output frames .* 7",
    ):
        m.check_examples({"length": np.array([ok, short])}, y)
    with pytest.raises(ValueError, match="example 1 .* frames short"):
        m.fit({"waveform": np.zeros((2, 8000), "float32"), "length": np.array([ok, short])}, y,
              epochs=1, verbose=0)  # fmt: skip
    lengths, labels = np.array([ok, ok, short]), m.encode_texts(["a", "b", "hello world"])
    ds = tf.data.Dataset.from_tensor_slices(({"length": lengths}, labels))
    with pytest.raises(ValueError, match="example 2 \\(transcript 'hello world', 1000 samples"):
        m.check_examples(ds.batch(2))
    with pytest.raises(ValueError, match="example 0 has an empty transcript"):
        m.check_examples({"length": np.array([ok])}, np.zeros((1, 3), "int32"))


@pytest.mark.parametrize(
    "labels, match",
    [
        ([[1, 2, 0], [1, 29, 0]], r"example 1 has label id 29 at position 1, outside \[0, 28\]"),
        ([[1, -1, 0], [1, 2, 0]], r"example 0 has label id -1 at position 1"),
        ([[1.5, 2.0], [1.0, 2.0]], "labels must be integer character ids"),
        ([[1, 2, 0]], "x holds 2 utterances but y holds 1 labels"),
        # (it said "y holds 1 labels": a 1-D array of transcripts read as one row)
        (["one two", "three"], r"labels must be integer character ids, got strings .*encode_texts"),
        ([[[1], [2]], [[3], [0]]], r"labels must be \(batch, characters\) .*got shape \(2, 2, 1\)"),
        # (a 0 inside a label trained as if the character were not there: "z ro")
        ([[26, 0, 18], [1, 2, 0]], r"example 0 has id 0 at position 1, before character ids"),
    ],
)
def test_check_examples_refuses_labels_ctc_would_misread(labels, match):
    # TensorFlow's CTC moves the blank last: id 29 would silently become the blank, larger ids
    # would be dropped, and a negative one fails deep in the loss.
    m = ctc_speech(**TINY)
    with pytest.raises(ValueError, match=match):
        m.check_examples({"length": np.array([8000, 8000])}, np.array(labels))


def test_evaluate_and_validation_data_refuse_labels_too_long_for_their_frames():
    # CTC has no alignment for them: the loss left them out, and a batch of only such
    # utterances evaluated to 0.0.
    m = ctc_speech(**TINY)
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    y, long = m.encode_texts(["ab", "c"]), m.encode_texts(["a" * 40, "c"])
    with pytest.raises(ValueError, match=r"^evaluate: example 0 \(transcript 'a+'.* frames short"):
        m.evaluate(x, long, verbose=0)
    assert np.isfinite(m.evaluate(x, long, check=False, verbose=0))  # (the loss unsaid)
    with pytest.raises(ValueError, match=r"^validation_data: example 0 .* frames short"):
        m.fit(x, y, validation_data=(x, long), epochs=1, verbose=0)
    val = tf.data.Dataset.from_tensor_slices((x, long)).batch(2)
    with pytest.raises(ValueError, match=r"^validation_data: example 0 .* frames short"):
        m.fit(x, y, validation_data=val, epochs=1, verbose=0)
    history = m.fit(x, y, validation_data=(x, y), epochs=1, verbose=0).history
    assert np.isfinite(history["val_loss"][0]) and history["val_loss"][0] > 0
    ints = {**x, "waveform": (x["waveform"] * 100).astype("int16")}
    with pytest.raises(TypeError, match=r"^fit: validation_data\[0\]\['waveform'\] must hold"):
        m.fit(x, y, validation_data=(ints, y), epochs=1, verbose=0)  # (it said x['waveform'])


@pytest.mark.parametrize(
    "speakers, match",
    [
        ([0, 5], r"example 1 has speaker id 5: x\['speaker'\] must hold one int .*\[0, 2\)"),
        ([-3, 0], r"example 0 has speaker id -3"),
        ([0.0, 0.5], r"example 1 has speaker id 0.5: x\['speaker'\] must hold one int"),
        ([0, 1, 1], r"x\['speaker'\] must hold one int .*got shape \(3,\) for 2 utterances"),
    ],
)
def test_fit_refuses_speaker_ids_the_adversary_cannot_read(speakers, match):
    m = ctc_speech(**SMALL, speaker_adversary=1.0, num_speakers=2)
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    y = m.encode_texts(["ab", "c"])
    with pytest.raises(ValueError, match=match):  # (5 failed in the graph, -3 passed)
        m.fit({**x, "speaker": np.array(speakers)}, y, epochs=1, verbose=0)
    if len(speakers) == 2:
        ds = tf.data.Dataset.from_tensor_slices(({**x, "speaker": np.array(speakers)}, y))
        with pytest.raises(ValueError, match=match):
            m.check_examples(ds.batch(1))
    # what the adversary reads as it did before the check: a column, whole floats, -1
    for ok in (np.array([[0], [1]]), np.array([1.0, -1.0])):
        assert np.isfinite(m.fit({**x, "speaker": ok}, y, epochs=1, verbose=0).history["loss"][0])


def test_fit_checks_datasets_that_carry_sample_weights():
    m = ctc_speech(**TINY)
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    labels = m.encode_texts(["ab", "c"])
    ds = tf.data.Dataset.from_tensor_slices((x, labels, np.ones(2, "float32"))).batch(2)
    m.check_examples(ds)  # (x, y, sample_weight) elements are read, not refused
    short = tf.data.Dataset.from_tensor_slices(
        ({"length": np.array([100])}, m.encode_texts(["hello world"]), np.ones(1))
    ).batch(1)
    with pytest.raises(ValueError, match="example 0 "):
        m.check_examples(short)
    wave = np.zeros((3, 4000), "float32")
    wave[2, 7] = np.nan  # a batch of NaN audio trained to a finite, meaningless loss
    x = {"waveform": wave, "length": np.array([4000] * 3)}
    nan = tf.data.Dataset.from_tensor_slices((x, m.encode_texts(["a", "b", "c"]))).batch(2)
    with pytest.raises(ValueError, match="the batch of examples 2-2 holds NaN or inf samples"):
        m.fit(nan, epochs=1, verbose=0)
    loud = {"waveform": np.full((1, 4000), 1.5, "float32"), "length": np.array([4000])}
    assert m.predict(loud, verbose=0).shape[0] == 1  # gain augmentation goes past full scale


def test_class_weight_is_refused_for_ctc():
    # Keras read each row of character ids as one one-hot label and weighed the utterance by it.
    m = ctc_speech(**TINY)
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    with pytest.raises(ValueError, match="class_weight does not apply to CTC"):
        m.fit(x, m.encode_texts(["ab", "c"]), class_weight={1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="class_weight does not apply to CTC"):
        m.train_on_batch(x, m.encode_texts(["ab", "c"]), class_weight={1: 2.0})
    assert np.isfinite(m.train_on_batch(x, m.encode_texts(["ab", "c"])))


def test_fit_takes_a_bool_check(small):
    x = {"waveform": np.zeros((1, 4000), "float32"), "length": np.array([4000])}
    with pytest.raises(TypeError, match="check must be True or False, got 1"):
        small.fit(x, small.encode_texts(["a"]), check=1, epochs=1, verbose=0)


@pytest.mark.parametrize("path", ["fit", "predict", "evaluate", "greedy_strings"])
def test_every_path_refuses_lengths_beyond_the_padded_waveforms(small, path):
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 5000], "int32")}
    with pytest.raises(ValueError, match=r"example 1 has length 5000, outside \[0, 4000\]"):
        if path == "greedy_strings":
            small.greedy_strings(x["waveform"], x["length"])
        elif path == "predict":
            small.predict(x, verbose=0)
        else:
            getattr(small, path)(x, small.encode_texts(["a", "b"]), verbose=0)


_INPUTS = r"x must be a dict \{'waveform': \(batch, samples\) float32, 'length': \(batch,\) int\}"
_W = np.zeros((2, 4000), "float32")


@pytest.mark.parametrize(
    "path, x, error, match",
    [
        ("fit", {"waveform": _W}, TypeError, "fit: " + _INPUTS + ".* without 'length'"),
        ("fit", _W, TypeError, "fit: " + _INPUTS + r".* got ndarray of shape \(2, 4000\)"),
        ("predict", _W, TypeError, "predict: " + _INPUTS + r".*transcribe\(waveforms\) takes raw"),
        ("predict", [_W[0]], TypeError, _INPUTS + ".* got list"),
        ("evaluate", {"length": np.array([4000, 4000])}, TypeError, _INPUTS + ".* 'waveform'"),
        (
            "predict",
            {"waveform": _W[0], "length": np.array([4000])},
            ValueError,
            _INPUTS + r".* got x\['waveform'\] of shape \(4000,\)",
        ),
        (
            "predict",
            {"waveform": _W, "length": np.array([4000.0, 4000.0])},
            TypeError,
            r"x\['length'\] must hold ints .* float64",
        ),
        (
            "fit",
            {"waveform": _W, "length": np.array([4000])},
            ValueError,
            "x holds 2 waveforms but 1 lengths",
        ),
        (
            "fit",
            {"waveform": np.full((2, 4000), np.nan, "float32"), "length": np.array([4000] * 2)},
            ValueError,
            r"fit: x\['waveform'\] holds NaN or inf",  # it trained to a finite loss
        ),
        (
            "evaluate",
            {"waveform": (_W * 32767).astype("int16"), "length": np.array([4000, 4000])},
            TypeError,
            r"x\['waveform'\] must hold float samples .* int16: .*waveform_to_float",
        ),
        (
            "fit",
            tf.data.Dataset.from_tensors((_W, [[1], [2]])),
            TypeError,
            "fit: the dataset's " + _INPUTS,
        ),
    ],
)
def test_fit_and_predict_name_the_inputs_they_take(small, path, x, error, match):
    with pytest.raises(error, match=match):
        if path == "predict":
            small.predict(x, verbose=0)
        elif isinstance(x, tf.data.Dataset):
            small.fit(x, epochs=1, verbose=0)
        else:
            getattr(small, path)(x, small.encode_texts(["a", "b"]), verbose=0)


_BATCHES = r"dataset must be a batched tf.data.Dataset of \(x, labels\)"


@pytest.mark.parametrize(
    "dataset, error, match",
    [
        (
            "examples",
            ValueError,
            _BATCHES + r".* it is not batched \(waveforms of shape \(4000,\)\)",
        ),
        (
            "pair",
            TypeError,
            _BATCHES + ".* got tuple: for arrays, tf.data.Dataset.from_tensor_slices",
        ),
        ("inputs", TypeError, _BATCHES + ".* its elements are"),
    ],
)
def test_error_rates_names_the_dataset_it_takes(small, dataset, error, match):
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    y = small.encode_texts(["a", "b"])
    data = {
        "examples": tf.data.Dataset.from_tensor_slices((x, y)),
        "pair": (x, y),
        "inputs": tf.data.Dataset.from_tensor_slices(x).batch(2),
    }[dataset]
    with pytest.raises(error, match=match):
        small.error_rates(data)


def test_error_rates_skip_an_empty_batch(small):
    # A batch of no utterances (a filter's leftover) failed inside the convolution.
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 3000])}
    y = small.encode_texts(["a", "b"])
    full = tf.data.Dataset.from_tensors((x, y))
    empty = tf.data.Dataset.from_tensors(
        ({"waveform": np.zeros((0, 4000), "float32"), "length": np.zeros(0, "int64")}, y[:0])
    )
    assert small.error_rates(empty.concatenate(full)) == small.error_rates(full)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(vocabulary=""), "vocabulary must be a non-empty string"),
        (dict(vocabulary="abca"), "repeats characters"),
        (dict(cell="rnn"), "cell must be one of"),
        (dict(units=0), "units must be a positive int"),
        (dict(time_stride=0), "time_stride must be a positive int"),
        (dict(sample_rate=-8000), "sample_rate must be a positive int"),
        (dict(dropout=1.0), "dropout must be in"),
        (dict(merge_mode="max"), "merge_mode must be one of"),
        (dict(task="classification"), "task must be one of"),
        (dict(frame_ms=0.1), "window of 1"),
        (dict(activation="gelu"), "activation must be one of"),
        (dict(fmin=300.0, fmax=200.0), r"need 0 <= fmin < fmax <= sample_rate / 2 = 4000.0"),
        (dict(fmin="low"), "fmin must be a frequency in Hz"),
        (dict(vtlp=(0.0, 1.1)), r"vtlp must be None or a \(low, high\) pair"),
        (dict(vtlp=0.9), r"vtlp must be None or a \(low, high\) pair .* got 0.9"),
        (dict(num_mels=128), r"num_mels=128 at sample_rate=8000 .* num_mels <= 95"),
        (dict(num_speakers="x"), r"num_speakers must be an int >= 2 .* got 'x'"),
        (dict(adversary_layer=5), r"adversary_layer must be an int in \[0, num_layers=1\) .* 5"),
        (dict(vtlp=(0.9, float("inf"))), r"vtlp must be None or a \(low, high\) pair of finite"),
        (dict(fmin=None), "fmin must be a frequency in Hz .* got None"),
        (dict(frame_ms=float("inf")), "frame_ms must be a finite float > 0, got inf"),
        (dict(normalize="channel"), r"normalize must be True, False or one of .* 'channel'"),
        (dict(num_mels=20, num_ceps=21), r"num_ceps must be None or an int <= num_mels=20, got 21"),
        (dict(preemphasis=1.0), r"preemphasis must be a number in \[0, 1\).* 1.0"),
        (dict(instance_norm="yes"), "instance_norm must be"),
        (dict(speaker_adversary=-1.0), r"speaker_adversary must be a finite float >= 0, got -1.0"),
        (dict(speaker_adversary=1.0), r"num_speakers must be an int >= 2 .* got None"),
        (
            dict(speaker_adversary=1.0, num_speakers=4, adversary_layer=1),
            r"adversary_layer must be an int in \[0, num_layers=1\) .* got 1",
        ),
        (
            dict(speaker_adversary=1.0, num_speakers=4, adversary_layer=0.0),
            r"adversary_layer must be an int in \[0, num_layers=1\) .* got 0.0",
        ),
    ],
)
def test_bad_factory_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ctc_speech(**{**TINY, **kwargs})


def test_bad_transcription_inputs():
    m = ctc_speech(**TINY)
    with pytest.raises(ValueError, match="texts\\[1\\] .* outside the vocabulary: \\['7'\\]"):
        m.encode_texts(["ok", "route 7"])
    with pytest.raises(ValueError, match="texts\\[0\\] must be a non-empty string"):
        m.encode_texts([""])
    with pytest.raises(ValueError, match="mono"):
        m.transcribe([np.zeros((4000, 2), "int16")])
    with pytest.raises(ValueError, match="2-D array"):
        m.transcribe(np.zeros((2, 4000), "float32"))
    with pytest.raises(TypeError, match="must hold int16, int32, int64"):
        m.transcribe([np.array(["a"] * 400)])
    with pytest.raises(ValueError, match="sample_rate must be a positive int, got 0"):
        m.transcribe([np.zeros(4000)], sample_rate=0)
    with pytest.raises(TypeError, match="sample_rate must be a positive int, got 8000.0"):
        m.transcribe([np.zeros(4000)], sample_rate=8000.0)
    with pytest.raises(ValueError, match="sample_rate must be an audio sample rate in Hz, 4000 to"):
        m.transcribe([np.zeros(4000)], sample_rate=1)  # it used to resample to hours of audio
    with pytest.raises(ValueError, match="shorter than one frame of the front end"):
        m.transcribe([np.zeros(100, "int16")])
    with pytest.raises(ValueError, match="NaN or inf"):
        m.transcribe([np.full(4000, np.nan)])
    with pytest.raises(ValueError, match="beam_width"):
        m.transcribe([np.zeros(4000)], beam_width=0)
    with pytest.raises(TypeError, match=r"lexicon must be a list of words, got one string 'one'"):
        m.transcribe([np.zeros(4000)], lexicon="one")
    with pytest.raises(TypeError, match="texts must be a list of strings, got one string 'one'"):
        m.encode_texts("one")
    with pytest.raises(ValueError, match=r"waveforms\[1\]: int64 audio is read as 16-bit PCM"):
        m.transcribe([np.zeros(4000, "int64"), np.full(4000, 40000, "int64")])
    with pytest.raises(TypeError, match=r"waveforms\[0\]: .*int32 tensor is ambiguous"):
        m.transcribe(tf.constant(np.full(4000, 300).tolist()))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 28\] .* got 29"):
        m.decode_ids([1, 29])
    y = m.encode_texts(["one", "two"])
    for lengths, bad in (([9000, 4000], 9000), ([4000, -5], -5)):
        x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array(lengths)}
        with pytest.raises(ValueError, match=rf"has length {bad}, outside \[0, 4000\]"):
            m.check_examples(x, y)


@pytest.mark.parametrize("beam_width", [None, 4])
def test_decode_logits_refuses_nan_naming_the_utterance_and_frame(small, beam_width):
    # (greedy decoding read NaN as a class; the beam search named its own log_probs_or_logits)
    broken = np.zeros((5, 29))
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"^logits\[1\] holds NaN \(frame 3\)"):
        small.decode_logits([np.zeros((5, 29)), broken], beam_width=beam_width)


@pytest.mark.parametrize(
    "logits, beam_width, error, match",
    [
        ([np.zeros((5, 3))], None, ValueError, r"logits\[0\] of shape \(5, 3\) \(3 classes\)"),
        ([np.zeros((5, 3))], 4, ValueError, r"logits\[0\] of shape \(5, 3\) \(3 classes\)"),
        ([np.zeros(29)], None, ValueError, r"logits\[0\] of shape \(29,\)"),
        (None, None, TypeError, "got NoneType: None"),
        (np.zeros((2, 5, 29)), None, TypeError, r"array of shape \(2, 5, 29\): cut a padded"),
        (["abc"], None, TypeError, r"got logits\[0\] = 'abc'"),
    ],
)
def test_decode_logits_refuses_what_is_not_per_utterance_logits(
    small, logits, beam_width, error, match
):
    what = r"logits must be a list of 2-D arrays \(frames_i, 29\), one per utterance"
    with pytest.raises(error, match=what + ".*" + match):
        small.decode_logits(logits, beam_width=beam_width)
    assert small.decode_logits([]) == []


@pytest.mark.parametrize(
    "method, value, match",
    [
        ("decode_ids", [1.5], "got the id 1.5"),
        ("decode_ids", [1, float("inf")], "got the id inf"),
        ("decode_ids", "ab", "got the string 'ab'"),
        ("decode_ids", [[1, 2]], r"decode a batch row by row"),
        ("decode_ids", [[1, 2], [3]], "got list"),
        ("decode_ids", None, "got NoneType: None"),
        ("decode_ids", [True, False], r"got list: \[True, False\]"),
        ("encode_texts", None, "texts must be a list of strings, got NoneType: None"),
        ("encode_texts", 5, "texts must be a list of strings, got int: 5"),
    ],
)
def test_label_conversions_name_what_they_take(small, method, value, match):
    if method == "decode_ids":
        match = r"ids must be a 1-D sequence of int character ids .*" + match
    with pytest.raises(TypeError, match=match):
        getattr(small, method)(value)
    assert (
        small.decode_ids(np.array([1.0, 0.0, 2.0])) == small.decode_ids(tf.constant([1, 2])) == "ab"
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(lexicon=5), TypeError, "lexicon must be a list of words, got int: 5"),
        (
            dict(lexicon=["one", 2]),
            TypeError,
            r"lexicon must be a list of strings, got items \[2\]",
        ),
        (dict(lexicon=[]), ValueError, "lexicon must hold at least one word"),
        (
            dict(beam_width=10**6),
            ValueError,
            r"beam_width must be at most MAX_BEAM_WIDTH = 1024 .* got 1000000",
        ),
        (dict(beam_width=1025, lexicon=["one"]), ValueError, "beam_width must be at most"),
    ],
)
def test_transcribe_checks_its_decoding_arguments(small, kwargs, error, match):
    with pytest.raises(error, match=match):
        small.transcribe([np.full(4000, 0.1)], **kwargs)
    with pytest.raises(error, match=match):
        small.decode_logits([np.zeros((5, 29))], **kwargs)


def test_transcribe_refuses_floats_beyond_full_scale():
    # int16 values held as floats would reach the front end 90 dB too loud
    m = ctc_speech(**TINY)
    speech = np.random.default_rng(0).normal(size=4000) * 0.1
    with pytest.raises(
        ValueError,
        match=r"waveforms\[1\] has float samples up to \|x\| = 16384, outside \[-1, 1\] .* "
        r"int16 values held as floats\? Scale them by 1/32768 .* or pass the int16 array",
    ):
        m.transcribe([speech, np.concatenate([[16384.0], np.round(speech * 10000)])])
    with pytest.raises(ValueError, match=r"waveforms\[0\] has .* \|x\| = 1.5, .* clip them"):
        m.prepare_waveforms([np.concatenate([speech, [1.5]]).astype("float32")])
    # full scale, a hair over it, and integer PCM at full scale pass
    for wave in (speech / np.abs(speech).max(), speech / np.abs(speech).max() * 1.0005):
        assert np.abs(m.prepare_waveforms([wave])[0]).max() <= 1.0005
    assert m.prepare_waveforms([np.full(4000, -32768, "int16")])[0].min() == -1.0


@pytest.mark.parametrize(
    "waveforms, match",
    [
        (None, r"waveforms must be a 1-D array of samples .* got None"),
        (
            "x.wav",
            r"waveforms must be .* got the path 'x.wav': read the file first .* `rnnzoo transcribe",
        ),
        (pathlib.Path("x.wav"), r"got the path 'x.wav'"),
        (0.5, r"waveforms must be .* got the single number 0.5"),
        (np.float32(2.0), r"got the single number 2.0"),
        (["a.wav", "b.wav"], r"waveforms\[0\] must be a 1-D array of samples, got the path"),
        ([np.zeros(4000), None], r"waveforms\[1\] must be a 1-D array of samples, got None"),
        (tf.constant(["a"] * 400), r"waveforms must hold int16, .* got dtype string"),
        # (WAV bytes were read as a path: "got the path '\udce6\udcff...'")
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", r"got 16 bytes: for a WAV file's bytes, read them"),
    ],
)
def test_transcribe_refuses_what_is_not_audio(waveforms, match):
    with pytest.raises(TypeError, match=match):
        ctc_speech(**TINY).transcribe(waveforms)


def test_a_model_without_spec_augment_builds_without_keras_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "build() was called ... unbuilt state"
        ctc_speech(**{**TINY, "spec_augment": False})


def test_digital_silence_transcribes_as_nothing():
    m = ctc_speech(**TINY)
    bias = m.get_layer("logits").bias
    bias.assign(np.r_[-10.0, np.zeros(bias.shape[0] - 1)].astype("float32"))  # no blank wins
    noise = np.random.default_rng(0).normal(scale=0.1, size=4000).astype("float32")
    texts = m.transcribe([np.zeros(4000, "int16"), noise, np.zeros(3000)], trim_silence=False)
    assert texts[0] == texts[2] == "" and texts[1] != ""
    assert m.transcribe([np.zeros(4000)], lexicon=["one"]) == [""]


def test_trains_under_mixed_precision():
    """Front end and logits stay float32 under mixed_float16 (the GPU policy); the RNNs go half."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        m = ctc_speech(**TINY)
        x = _batch([6000, 4000])
        assert m.rnns[0].forward_layer.compute_dtype == "float16"
        assert m(x).dtype == "float32" and m.front_end.compute_dtype == "float32"
        history = m.fit(x, m.encode_texts(["one", "two"]), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_a_log_mel_layer_with_empty_bands_warns_so_old_models_still_load():
    with pytest.warns(UserWarning, match="num_mels=128 at sample_rate=8000"):
        LogMel(8000, num_mels=128)


def test_log_mel_takes_lengths_of_shape_batch_1_and_names_other_shapes():
    x = np.random.default_rng(0).normal(size=(2, 4000)).astype("float32")
    layer = LogMel(8000)
    plain = np.asarray(layer([x, np.array([4000, 2000])]))
    column = np.asarray(layer([x, np.array([[4000], [2000]])]))
    assert plain.shape == column.shape == (2, 47, 40)
    np.testing.assert_array_equal(column, plain)
    with pytest.raises(
        ValueError, match=r"waveforms must be 2-D \(batch, samples\), got shape \(4000,\)"
    ):
        layer([x[0], np.array([4000])])
    with pytest.raises(ValueError, match=r"waveforms must be 2-D.*got shape \(1, 2, 4000\)"):
        layer([x[None], np.array([4000, 2000])])
    with pytest.raises(ValueError, match=r"lengths must be \(batch,\) or \(batch, 1\).*\(2, 2\)"):
        layer([x, np.array([[4000, 1], [2000, 1]])])
    inputs = [keras.Input((None,)), keras.Input((1,), dtype="int32")]  # a functional model too
    model = keras.Model(inputs, LogMel(8000)(inputs))
    assert model.output_shape == (None, None, 40)


def test_model_inputs_of_the_wrong_scale_or_too_narrow_are_named():
    # int16 waveforms in a dataset were cast unscaled (other logits, other hypotheses in
    # error_rates); float waveforms at int16 scale trained; a batch narrower than one window
    # failed deep inside the front end ("Negative dimension size").
    m = ctc_speech(**SMALL)
    x = _batch([4000, 3000])
    labels = m.encode_texts(["ab", "a"])
    pcm = {"waveform": (x["waveform"] * 32767).astype("int16"), "length": x["length"]}
    ints = tf.data.Dataset.from_tensors((pcm, labels))
    for call in (lambda: m.predict(ints, verbose=0), lambda: m.error_rates(ints)):
        with pytest.raises(TypeError, match=r"waveforms must hold float samples .*got int16"):
            call()
    loud = {"waveform": x["waveform"] * 32768, "length": x["length"]}
    with pytest.raises(ValueError, match=r"float samples up to \|x\| = .*integer PCM held as"):
        m.fit(loud, labels, epochs=1, verbose=0)
    narrow = {"waveform": np.zeros((2, 100), "float32"), "length": np.array([100, 50])}
    with pytest.raises(ValueError, match=r"holds 100 samples per row, fewer than one window"):
        m.predict(narrow, verbose=0)
    texts = tf.data.Dataset.from_tensors((x, tf.constant(["ab", "a"])))
    with pytest.raises(ValueError, match=r"its labels are string of shape \(2,\): transcripts"):
        m.error_rates(texts)  # (it blamed the waveforms: "it is not batched")
    weighted = tf.data.Dataset.from_tensors((x, labels, np.ones(2, "float32")))
    assert set(m.error_rates(weighted)) == {"cer", "wer"}  # (x, y, w) as fit takes it


def test_int32_audio_within_the_16_bit_range_warns():
    # 16-bit samples held as int32 read as 32-bit PCM: -96 dBFS, transcribed as "" silently.
    from zoo.data.waveforms import waveform_to_float

    pcm = (np.sin(np.arange(4000) * 0.3) * 20000).astype("int32")
    with pytest.warns(UserWarning, match=r"every sample is within the 16-bit range.*int16"):
        waveform_to_float(pcm)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        waveform_to_float(pcm * 65536)  # real 32-bit PCM: no warning
        waveform_to_float(np.zeros(10, "int32"))  # digital silence: nothing to say


def test_uppercase_transcripts_and_lexicon_words_are_told_to_lowercase():
    # Refused without a word on case, though make_speech_examples lowercases by default.
    m = ctc_speech(**SMALL)
    with pytest.raises(ValueError, match=r"\['F'\] .*; lowercase it: 'four'\."):
        m.encode_texts(["Four"])
    noise = [np.random.default_rng(0).normal(size=4000) * 0.1]
    with pytest.raises(ValueError, match=r"'One' \('O'\), 'Two' \('T'\); lowercase them"):
        m.transcribe(noise, lexicon=["One", "Two"])
    with pytest.raises(
        ValueError, match=r"'On3' \('O3'\)\. The vocabulary: "
    ):  # lowercasing would not do
        m.transcribe(noise, lexicon=["On3"])
