"""The `rnnzoo` command line and `python -m recipes.NAME`."""

import json
import logging
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import zoo
from zoo import cli


def test_list_shows_every_recipe_with_offline_flag(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert set(lines) == set(cli.recipe_names())
    assert lines["adding_gru"][-1] == "yes" and lines["mnist_gru"][-1] == "no"
    # FSDD-based datasets build offline only from --manual-dir, else they download
    assert lines["spoken_digit_esn"][-1] == lines["spoken_digit_strings_ctc"][-1] == "manual"
    assert lines["synthetic_speech_ctc"][-1] == "yes"
    assert lines["imdb_bilstm"][1:4] == ["bidirectional", "imdb_reviews", "binary"]


@pytest.mark.parametrize(
    "name, says",
    [
        ("adding_lstm", "adding_problem/t200 (offline)"),
        ("spoken_digit_esn", "(offline with --manual-dir DIR holding its files, else downloads)"),
        ("mnist_gru", "mnist (downloads)"),
    ],
)
def test_info(name, says, capsys):
    assert cli.main(["info", name]) == 0
    out = capsys.readouterr().out
    assert says in out and f"rnnzoo run {name}" in out


@pytest.mark.parametrize("name", ["addng_gru", "../etc", "os"])
def test_unknown_recipe_is_one_line_and_nonzero(name, capsys):
    assert cli.main(["run", name]) == 2
    err = capsys.readouterr().err
    assert f"unknown recipe {name!r}" in err and len(err.strip().splitlines()) == 1
    if name == "addng_gru":
        assert "Did you mean 'adding_gru'" in err


def test_run_through_cli_and_python_m(tfds_data_dir, tmp_path, capsys):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    common = [
        "--epochs",
        "1",
        "--batch-size",
        "512",
        "--data-dir",
        str(tfds_data_dir),
        "--set",
        "dataset=adding_problem/t50",
        "--set",
        "units=2",
    ]
    for i, cmd in enumerate(
        (
            [sys.executable, "-m", "zoo", "run", "adding_simple_rnn"],
            [sys.executable, "-m", "recipes.adding_simple_rnn"],
        )
    ):
        out = tmp_path / str(i)
        done = subprocess.run(
            cmd + common + ["--output", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert (out / "model.keras").exists() and f"results in {out}" in done.stdout
        listed = done.stdout.split(f"results in {out}/:")[1].split()
        assert set(listed) == {p.name for p in out.iterdir()}  # every file (history.csv too)

    # the same folder again: refused in one line, the finished run kept; --overwrite replaces it
    out = tmp_path / "0"
    metrics = (out / "metrics.json").read_bytes()
    again = ["run", "adding_simple_rnn", *common, "--output", str(out)]
    assert cli.main(again) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnzoo run: error: --output") and "holds a finished run" in err
    assert "\n" not in err and (out / "metrics.json").read_bytes() == metrics
    assert cli.main([*again, "--overwrite", "--set", "units=3"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model_kwargs"]["units"] == 3 and (out / "metrics.json").read_bytes() != metrics


def test_bad_value_exits_nonzero_with_argument_named(tmp_path, capsys):
    code = cli.main(["run", "adding_gru", "--output", str(tmp_path), "--set", "dropout=1.5"])
    assert code == 2
    assert "dropout must be in [0, 1), got 1.5" in capsys.readouterr().err
    assert not (tmp_path / "model.keras").exists()


def test_multiworker_strategy_says_why_it_is_not_offered(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "adding_gru", "--output", str(tmp_path), "--strategy", "multiworker"])
    assert exit_.value.code == 2
    assert "'multiworker' is not offered" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args, error",
    [
        (["run", "adding_gru", "--epochs", "0"], "--epochs must be a positive int, got 0"),
        (["run", "adding_gru", "--batch-size", "0"], "--batch-size must be a positive int, got 0"),
        (["run", "adding_gru", "--seed", "-1"], "--seed must be an int in [0, 2**32 - 1], got -1"),
        (
            ["tune", "adding_gru", "--set", "batch_size=0"],
            "--set batch_size=0: batch_size must be a",
        ),
        (["tune", "adding_gru", "--epochs", "0"], "--epochs must be a positive int, got 0"),
        (["tune", "adding_gru", "--verbose", "7"], "--verbose must be one of 0, 1, 2, got 7"),
        (["tune", "adding_gru", "--seed", "-1"], "--seed must be an int in [0, 2**32 - 1]"),
        (["run", "adding_gru", "--set", "=5"], "--set takes key=value, got '=5': the key is empty"),
        (["tune", "adding_gru", "--set", " =5"], "got ' =5': the key is empty"),
        (
            ["run", "adding_gru", "--set", "optimizer=adamm"],
            "optimizer must be a Keras optimizer name (adadelta, ",
        ),  # fmt: skip
        (  # (units=[4,8] alone fixes num_layers=2 in a search: both fixed must agree)
            ["tune", "adding_gru", "--set", "units=[4,8]", "--set", "num_layers=3"],
            "(num_layers=3), got [4, 8]: give "
            "num_layers=2 with it (on the command line --set num_layers=2)",
        ),  # fmt: skip
    ],
)
def test_bad_numbers_are_one_line_errors(args, error, tmp_path, capsys):
    assert cli.main([*args, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnnzoo {args[0]}: error: ") and error in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_os_errors_are_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    assert cli.main(["run", "adding_gru", "--output", str(tmp_path / "config.json")]) == 2
    assert "config.json is a file, not a folder" in capsys.readouterr().err

    # a file above the folder: --output named, not a later write's "Not a directory"
    for command in ("run", "tune"):
        out = tmp_path / "config.json" / "sub"
        assert cli.main([command, "adding_gru", "--output", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (
            f"rnnzoo {command}: error: --output {out} cannot be a folder: "
            f"{tmp_path / 'config.json'} is a file; choose another --output."
        )

    def full_disk(args):
        raise OSError(28, "No space left on device", "runs/x/model.keras")

    monkeypatch.setattr(cli, "_run", full_disk)
    assert cli.main(["run", "adding_gru"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "rnnzoo run: error: No space left on device: 'runs/x/model.keras'"


@pytest.mark.parametrize(
    "name, flags, advice",
    [
        ("mnist_gru", ["--epochs", "1"], "Pass --data-dir DIR holding a copy prepared"),
        ("spoken_digit_esn", [], "Pass --manual-dir DIR holding its files (for FSDD, WAV"),
    ],
)
def test_a_download_offline_fails_at_once_in_one_line_leaving_no_files(
    name, flags, advice, tmp_path, capsys, monkeypatch
):

    looked_up = []  # offline: no name resolves (TFDS would retry each file for minutes)
    offline = lambda host, **_: looked_up.append(host) and False  # noqa: E731
    monkeypatch.setattr(zoo.downloads, "resolves", offline)
    data, out = tmp_path / "data", tmp_path / "out"
    start = time.perf_counter()
    assert cli.main(["run", name, *flags, "--data-dir", str(data), "--output", str(out)]) == 2
    assert time.perf_counter() - start < 60 and looked_up
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]  # after TFDS's progress bars (0 urls): one line, no traceback
    assert last.startswith("rnnzoo run: error: could not load dataset ")
    assert "Traceback" not in err and "Retrying" not in err
    err = last
    assert f"must be downloaded from {looked_up[0]}, whose name does not resolve" in err
    assert advice in err
    assert not data.exists() and not out.exists()  # no incomplete.* or empty folders left


@pytest.mark.parametrize("model", ["folder", "missing.keras", "notes.keras"])
def test_transcribe_with_a_bad_model_path_is_one_line(model, tmp_path, capsys):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.keras").write_text("not a zip")
    wav = tmp_path / "a.wav"
    from scipy.io import wavfile

    wavfile.write(wav, 8000, np.zeros(800, np.int16))
    assert cli.main(["transcribe", str(tmp_path / model), str(wav)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnnzoo transcribe: error: cannot load model '{tmp_path / model}'")
    assert "\n" not in err


def test_transcribe_says_what_the_model_file_is_instead(tmp_path, capsys):
    from scipy.io import wavfile

    model = zoo.models.ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0)
    model.save(tmp_path / "m.keras")
    (tmp_path / "t.keras").write_bytes((tmp_path / "m.keras").read_bytes()[:5000])
    (tmp_path / "history.json").write_text('{"loss": [1.0]}')
    wav = tmp_path / "ok.wav"
    wavfile.write(wav, 8000, np.full(4000, 300, np.int16))
    must = "the model must be a .keras file saved by rnn-zoo (e.g. runs/NAME/model.keras), not "
    for model, says in (
        (wav, must + "a WAV file: give the model first, then the WAV files."),  # ok.wav ok.wav
        (tmp_path / "history.json", must + "a .json file."),
        (
            tmp_path / "t.keras",
            "not a valid or complete .keras archive (not a zip archive, or its end is cut "
            "off: truncated?); give the model.keras file",
        ),
    ):
        assert cli.main(["transcribe", str(model), str(wav)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"rnnzoo transcribe: error: cannot load model '{model}': {says}")
        assert "\n" not in err and "TFSMLayer" not in err and "File not found" not in err


def test_transcribe_refuses_an_empty_lexicon_and_names_bad_characters_in_order(tmp_path, capsys):
    from scipy.io import wavfile

    zoo.models.ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0).save(tmp_path / "m.keras")
    wav = str(tmp_path / "ok.wav")
    wavfile.write(wav, 8000, np.full(4000, 300, np.int16))
    for lexicon, says in (
        ("", "--lexicon must name at least one word (comma- or space-separated), got ''"),
        (" , ", "--lexicon must name at least one word (comma- or space-separated), got ' , '"),
        (
            "Zero,ONE,x1",
            "lexicon words use characters outside the vocabulary: 'Zero' ('Z'), "
            "'ONE' ('ONE'), 'x1' ('1'). The vocabulary: \"abcdefghijklmnopqrstuvwxyz' \", "
            "words separated by ' '.",
        ),  # fmt: skip
    ):
        assert cli.main(["transcribe", str(tmp_path / "m.keras"), wav, "--lexicon", lexicon]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and says in captured.err


def test_transcribe_checks_every_file_before_printing_any(tmp_path, capsys):
    from scipy.io import wavfile

    model = zoo.models.ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0)
    model.save(tmp_path / "m.keras")
    wavfile.write(tmp_path / "good.wav", 8000, np.full(4000, 300, np.int16))
    wavfile.write(tmp_path / "short.wav", 8000, np.full(100, 300, np.int16))
    files = [str(tmp_path / "good.wav"), str(tmp_path / "short.wav")]
    assert cli.main(["transcribe", str(tmp_path / "m.keras"), *files]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{tmp_path / 'short.wav'}: it has 100 samples, shorter than one frame" in (captured.err)


def test_transcribe_says_which_file_is_truncated(tmp_path, capsys):
    # scipy's WavFileWarning pointed at zoo/cli.py, not at the file.
    from scipy.io import wavfile

    model = zoo.models.ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0)
    model.save(tmp_path / "m.keras")
    wavfile.write(tmp_path / "whole.wav", 8000, np.full(8000, 300, np.int16))
    data = (tmp_path / "whole.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    assert cli.main(["transcribe", str(tmp_path / "m.keras"), str(tmp_path / "cut.wav")]) == 0
    err = capsys.readouterr().err
    assert f"{tmp_path / 'cut.wav'}: " in err and "(a truncated file? read what is there)" in err


def test_ctrl_c_is_one_line_saying_how_to_resume(capsys, monkeypatch, tmp_path):
    def interrupted(args):
        raise KeyboardInterrupt

    # (in a folder of no runs: the message reads runs/adding_gru, which CI's quick start fills)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_run", interrupted)
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    try:
        assert cli.main(["run", "adding_gru"]) == 130
        # TensorFlow's errors about graph objects the interruption left unused stay silent
        assert tf_logger.level == logging.CRITICAL
    finally:
        tf_logger.setLevel(level)
    err = capsys.readouterr().err.strip()
    assert err == "rnnzoo run: interrupted; the same command resumes from the last finished epoch."


class _InterruptAfterEpoch(keras.callbacks.Callback):
    """Ctrl-C at the end of epoch `at` (0-based); records the epochs begun."""

    def __init__(self, at, begun):
        super().__init__()
        self.at, self.begun = at, begun

    def on_epoch_begin(self, epoch, logs=None):
        self.begun.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_under_overwrite_names_the_command_that_resumes(
    tfds_data_dir, tmp_path, capsys, monkeypatch
):
    from zoo import training

    out, begun = tmp_path / "run", []
    data = ["--data-dir", str(tfds_data_dir), "--set", "dataset=adding_problem/t50"]
    cmd = [
        "run",
        "adding_gru",
        "--batch-size",
        "512",
        *data,
        "--set",
        "units=2",
        "--output",
        str(out),
    ]
    assert cli.main([*cmd, "--epochs", "1"]) == 0  # a finished run, then its replacement
    fit_callbacks, at = training.fit_callbacks, [1]

    def interrupting(*args, **kwargs):
        return [*fit_callbacks(*args, **kwargs), _InterruptAfterEpoch(at[0], begun)]

    monkeypatch.setattr(training, "fit_callbacks", interrupting)
    assert cli.main([*cmd, "--epochs", "3", "--overwrite"]) == 130
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(
        "rnnzoo run: interrupted; the same command without --overwrite resumes from the last "
        "finished epoch (with --overwrite it starts again at epoch 1); the run it replaces "
        f"stays in {out / 'previous'}/"
    )
    # what it says is true: without --overwrite, the replacement resumes at its third epoch
    begun.clear()
    at[0] = -1
    assert cli.main([*cmd, "--epochs", "3"]) == 0
    assert begun == [2] and not (out / "previous").exists()
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3


@pytest.mark.parametrize("flags, batch", [([], 32), (["--batch-size", "16"], 16)])
def test_mackey_glass_lstm_trains_its_windows_in_the_runs_batch_size(
    flags, batch, tfds_data_dir, tmp_path, monkeypatch
):
    import keras

    fitted, fit = [], keras.Model.fit

    def recording_fit(self, *args, **kwargs):
        fitted.append(kwargs.get("batch_size"))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    out = tmp_path / "run"
    common = ["--epochs", "1", "--data-dir", str(tfds_data_dir), "--output", str(out)]
    assert cli.main(["run", "mackey_glass_lstm", *flags, *common, "--set", "units=2"]) == 0
    assert fitted == [batch]  # the windows trained in the batches config.json records
    assert json.loads((out / "config.json").read_text())["batch_size"] == batch


def test_an_output_folder_that_cannot_be_made_names_output(tmp_path, capsys, monkeypatch):
    # It said "Operation not permitted: '/sys/nope'", without naming --output.
    out = tmp_path / "nope"

    def refused(args):
        raise PermissionError(1, "Operation not permitted", str(out))

    monkeypatch.setattr(cli, "_run", refused)
    assert cli.main(["run", "adding_gru", "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"rnnzoo run: error: --output {out}: Operation not permitted: '{out}'; choose another "
        "--output"
    )
