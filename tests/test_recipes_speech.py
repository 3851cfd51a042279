"""The speech recipes end to end on tiny data, and `rnnzoo transcribe` on their saved model."""

import importlib
import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from scipy.io import wavfile

from zoo.cli import main as cli
from zoo.training import run

FSDD = pathlib.Path(__file__).parent / "data" / "fsdd"
TINY_MODEL = {"units": 8, "num_layers": 1}


@pytest.fixture(scope="module")
def spoken_digits_run(tmp_path_factory, tfds_data_dir):
    pytest.importorskip("jiwer")
    from recipes.spoken_digit_strings_ctc import RECIPE

    out = tmp_path_factory.mktemp("spoken_digit_strings_ctc")
    # the speaker adversary on (`--set speaker_adversary=1.0`): speaker ids travel through the
    # recipe's pipeline, and the mixed synthetic voices (not FSDD speakers) count as unknown
    overrides = {"dataset": "spoken_digit_strings/tiny", "speaker_adversary": 1.0, **TINY_MODEL}
    try:  # synthetic voices mixed into the real ones, as `--set mix=...` does
        import espeakng_loader  # noqa: F401

        overrides["mix"] = {"synthetic_speech/tiny": 0.3}
    except ImportError:
        pass
    metrics = run(
        RECIPE,
        epochs=1,
        batch_size=8,
        output=out,
        data_dir=str(tfds_data_dir),
        manual_dir=str(FSDD),
        overrides=overrides,
        verbose=0,
    )
    return out, metrics


@pytest.mark.slow
def test_spoken_digit_strings_recipe_writes_error_rates(spoken_digits_run):
    out, metrics = spoken_digits_run
    for key in ("test_cer", "test_wer", "test_lexicon_cer", "test_lexicon_wer"):
        assert 0 <= metrics[key] and np.isfinite(metrics[key])
    assert json.loads((out / "metrics.json").read_text()) == metrics
    history = json.loads((out / "history.json").read_text())
    assert {"val_cer", "val_wer", "learning_rate"} <= set(history)
    assert metrics["best_val_cer"] == min(history["val_cer"])
    assert (out / "transcripts.png").exists() and (out / "model.keras").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["mix"] in (None, {"synthetic_speech/tiny": 0.3})
    assert config["model_kwargs"]["speaker_adversary"] == 1.0


@pytest.mark.slow
def test_spoken_digit_strings_model_keeps_the_pretrained_embedding(spoken_digits_run):
    # The recipe's front end is Google's speech embedding, frozen: training leaves the shipped
    # weights as they were, and the saved model holds them.
    import keras

    import zoo  # noqa: F401
    from zoo.layers.speech_embedding import load_weights

    out, _ = spoken_digits_run
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert model.get_config()["frontend"] == "speech_embedding"
    shipped = load_weights()
    assert model.front_end.trainable_weights == []
    for w in model.front_end.weights:
        np.testing.assert_array_equal(np.asarray(w), shipped[w.name][: w.shape[0]])


@pytest.mark.slow
def test_transcribe_command(spoken_digits_run, tmp_path, capsys):
    out, _ = spoken_digits_run
    wav = FSDD / "3_theo_0.wav"
    assert cli(["transcribe", str(out / "model.keras"), str(wav), "--lexicon", "three,four"]) == 0
    path, text = capsys.readouterr().out.strip().split("\t")
    assert (
        path == str(wav)
        and text in ("", "three", "four", "three four", "four three")
        or (set(text.split()) <= {"three", "four"})
    )
    rate, samples = wavfile.read(wav)
    wav16 = tmp_path / "16k.wav"
    wavfile.write(wav16, 16000, np.repeat(samples, 2))  # resampled back to 8 kHz
    assert cli(["transcribe", str(out / "model.keras"), str(wav16)]) == 0
    assert cli(["transcribe", str(out / "model.keras"), str(wav), "--no-trim-silence"]) == 0
    assert capsys.readouterr().out.count("\t") == 2
    stereo = tmp_path / "stereo.wav"
    wavfile.write(stereo, rate, np.stack([samples, samples], axis=1))
    assert cli(["transcribe", str(out / "model.keras"), str(stereo)]) == 2
    assert "multi-channel audio (2 channels)" in capsys.readouterr().err
    assert cli(["transcribe", str(out / "model.keras"), str(tmp_path / "none.wav")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert cli(["transcribe", str(tmp_path / "none.keras"), str(wav)]) == 2
    assert "cannot load model" in capsys.readouterr().err


def test_spoken_digit_strings_examples_carry_speaker_ids():
    from recipes.spoken_digit_strings_ctc import RECIPE
    from zoo.datasets.fsdd.files import SPEAKERS

    records = tf.data.Dataset.from_tensor_slices(
        {
            "audio": tf.zeros([3, 800], tf.int16),
            "text": ["one", "two", "three"],
            "speaker": ["theo", "someone else", "george"],
            "digits": tf.zeros([3, 1], tf.int32),
        }
    )
    ids = [int(x["speaker"]) for x, _ in RECIPE.examples(records).map(RECIPE.preprocess)]
    assert ids == [SPEAKERS.index("theo"), -1, SPEAKERS.index("george")]
    assert RECIPE.model_kwargs["num_speakers"] == len(SPEAKERS)


def test_synthetic_speech_recipe_is_the_real_speech_recipe_on_synthetic_voices():
    # Its dataset is trained on in the spoken-digit run above (mixed in); the rest is shared,
    # but for the front end: the real-speech recipe's pretrained embedding, here log-mels
    # learnt from scratch (the model measured in the README), to 4 kHz.
    from recipes.spoken_digit_strings_ctc import RECIPE as REAL
    from recipes.synthetic_speech_ctc import RECIPE

    assert RECIPE.dataset == "synthetic_speech/digits" and RECIPE.name == "synthetic_speech_ctc"
    assert REAL.model_kwargs["frontend"] == "speech_embedding"
    assert "frontend" not in RECIPE.model_kwargs  # the factory's default, log_mel
    own = {"num_mels": 20, "normalize": "utterance", "time_stride": 3, "conv_filters": 32}
    assert {k: RECIPE.model_kwargs[k] for k in own} == own
    shared = set(REAL.model_kwargs) - {"frontend", "time_stride"}
    assert {k: RECIPE.model_kwargs[k] for k in shared} == {k: REAL.model_kwargs[k] for k in shared}
    assert RECIPE.augment is REAL.augment


@pytest.mark.slow
def test_librispeech_recipe_on_mock_data(tmp_path):
    pytest.importorskip("jiwer")
    from recipes.librispeech_ctc import RECIPE

    rng = np.random.default_rng(0)
    texts = ["HELLO WORLD", "IT'S A TEST", "SPEECH", "ONE MORE LINE"]

    def as_dataset(builder, split, **kwargs):
        # TFDS's random mock audio is too short for CTC: 1-2 s of 16 kHz noise per transcript.
        speech = [(rng.normal(size=rng.integers(16000, 32000)) * 3000).astype("int16")]
        speech = speech + [(rng.normal(size=20000) * 3000).astype("int16") for _ in texts[1:]]
        return tf.data.Dataset.from_generator(
            lambda: ({"speech": s, "text": t} for s, t in zip(speech, texts, strict=True)),
            output_signature={
                "speech": tf.TensorSpec((None,), tf.int16),
                "text": tf.TensorSpec((), tf.string),
            },
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        metrics = run(
            RECIPE, epochs=1, batch_size=2, output=tmp_path, overrides=TINY_MODEL, verbose=0
        )
    assert 0 <= metrics["test_cer"] and 0 <= metrics["test_wer"]
    assert (
        json.loads((tmp_path / "config.json").read_text())["model_kwargs"]["sample_rate"] == 16000
    )


@pytest.mark.parametrize(
    "name", ["spoken_digit_strings_ctc", "synthetic_speech_ctc", "librispeech_ctc"]
)
def test_ctc_recipes_refuse_a_vocabulary_their_labels_are_not_spelt_in(name):
    # The labels are built by the recipe's make_speech_examples map, in its vocabulary:
    # `--set vocabulary=...` would give a model reading them as other characters.
    from zoo.models.speech import VOCABULARY, ctc_speech
    from zoo.recipe import RecipeError

    recipe = importlib.import_module(f"recipes.{name}").RECIPE
    assert recipe.preprocess.vocabulary == VOCABULARY
    recipe.check_model(ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0))
    other = ctc_speech(vocabulary="abcdefghijklmnopqrstuvwxyz", units=4, num_layers=1, seed=0)
    with pytest.raises(
        RecipeError,
        match=r"--set vocabulary='abcdefghijklmnopqrstuvwxyz': this recipe's preprocess encodes "
        r"its data with vocabulary=\"abcdefghijklmnopqrstuvwxyz' \" .* leave vocabulary out",
    ):
        recipe.check_model(other)


def test_synthetic_speech_recipe_refuses_a_speaker_adversary_it_could_not_train(tmp_path):
    # eSpeak's voices are none of the FSDD speakers its preprocessing names: every speaker id
    # was -1 and `--set speaker_adversary=1.0` trained exactly as without it.
    from recipes.synthetic_speech_ctc import RECIPE
    from zoo.recipe import RecipeError

    def as_dataset(builder, split, **kwargs):
        raise AssertionError("the data were read before the model was checked")

    adversary = {**TINY_MODEL, "speaker_adversary": 1.0}
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        with pytest.raises(RecipeError, match=r"--set speaker_adversary=1.0: synthetic_speech"):
            run(RECIPE, epochs=1, output=tmp_path / "r", overrides=adversary, verbose=0)
    assert not (tmp_path / "r").exists()


def test_run_and_tune_refuse_a_vocabulary_override_before_reading_data(tmp_path):
    from recipes.spoken_digit_strings_ctc import RECIPE
    from zoo.recipe import RecipeError
    from zoo.recipe_tuning import tune

    def as_dataset(builder, split, **kwargs):
        raise AssertionError("the data were read before the model was checked")

    overrides = {"vocabulary": "onetw ", **TINY_MODEL}
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        with pytest.raises(RecipeError, match="--set vocabulary='onetw '"):
            run(RECIPE, epochs=1, batch_size=2, output=tmp_path / "run", verbose=0,
                overrides=overrides)  # fmt: skip
        with pytest.raises(RecipeError, match="--set vocabulary='onetw '"):
            tune(RECIPE, max_trials=1, epochs=1, output=tmp_path / "tune", overrides=overrides)
    assert not list(tmp_path.rglob("*.json"))


def test_speech_recipe_helpers_docstring_examples():
    import doctest

    import recipes._speech

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(recipes._speech, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0
