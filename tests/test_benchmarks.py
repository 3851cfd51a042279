"""The benchmark scripts refuse bad arguments up front: exit status 2, one line naming the flag.

Each script is imported from benchmarks/ (not a package) and its `main` called with the bad
arguments; whatever would load data, read recordings, load a model or train is replaced by a
function that fails the test, so a check that came after any of that work would show here.
"""

import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_loaded = {}


def load(name):
    """The module of benchmarks/NAME.py, imported once."""
    if name not in _loaded:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        with pytest.MonkeyPatch.context() as mp:  # esn_vs_reservoirpy sets the BLAS threads
            for var in BLAS_VARS:
                mp.setenv(var, os.environ.get(var, "1"))
            spec.loader.exec_module(module)
        _loaded[name] = module
    return _loaded[name]


def no_work(*args, **kwargs):
    raise AssertionError("the arguments must be checked before any benchmark work")


def refused(capsys, main, argv, *words):
    """Runs `main(argv)`, checks exit status 2, and returns the one-line error."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error:" in error
    for word in words:
        assert word in error, (word, error)
    return error


@pytest.fixture
def fsdd_dir(tmp_path):
    """A folder of (empty) files named as FSDD's, of two speakers: enough for the listing."""
    folder = tmp_path / "fsdd"
    folder.mkdir()
    for speaker in ("george", "theo"):
        for digit in range(10):
            (folder / f"{digit}_{speaker}_0.wav").write_bytes(b"")
    return folder


# ---- ctc_speed --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, value", [("--steps", "0"), ("--steps", "-1"), ("--utterances", "0"),
                    ("--utterances", "-3")]
)  # fmt: skip
def test_ctc_speed_refuses_non_positive_counts(capsys, monkeypatch, flag, value):
    mod = load("ctc_speed")
    monkeypatch.setattr(mod, "load_splits", no_work)
    refused(capsys, mod.main, ["--manual-dir", "x", flag, value], flag, value)


def test_ctc_speed_refuses_a_missing_model(capsys, monkeypatch, tmp_path):
    mod = load("ctc_speed")
    monkeypatch.setattr(mod, "load_splits", no_work)
    missing = str(tmp_path / "model.keras")
    refused(capsys, mod.main, ["--manual-dir", "x", "--model", missing], "--model", missing)


# ---- bucketing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, value",
    [("--rounds", "0"), ("--time-examples", "0"), ("--examples", "0"), ("--buckets", "0"),
     ("--batch-size", "0"), ("--vocab-size", "1"), ("--units", "-2")],
)  # fmt: skip
def test_bucketing_refuses_bad_sizes(capsys, monkeypatch, flag, value):
    mod = load("bucketing")
    monkeypatch.setattr(mod, "imdb_like_lengths", no_work)
    monkeypatch.setattr(mod, "dataset", no_work)
    refused(capsys, mod.main, [flag, value], flag, value)


# ---- esn_vs_reservoirpy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, flag",
    [(["--tuned", "0"], "--tuned"), (["--distribution", "0"], "--distribution"),
     (["--tuned", "-1"], "--tuned"), (["--blas-threads", "-3"], "--blas-threads"),
     (["--repeats", "0"], "--repeats"), (["--seeds", "0"], "--seeds"),
     (["--sizes", "500"], "--sizes"), (["--tuned-from", "/no/such.json"], "--tuned-from")],
)  # fmt: skip
def test_esn_vs_reservoirpy_refuses_bad_values(capsys, monkeypatch, argv, flag):
    mod = load("esn_vs_reservoirpy")
    for name in ("factory_defaults", "tuned", "tuned_from", "distribution", "compare", "_warm_up"):
        monkeypatch.setattr(mod, name, no_work)
    refused(capsys, mod.main, argv, flag, argv[1])


def test_esn_vs_reservoirpy_negative_blas_threads_sets_nothing():
    # The thread count is read from sys.argv before NumPy loads: a bad one must reach the parser
    # (exit 2) without being handed to OpenMP first (which only printed a warning and ran on).
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "esn_vs_reservoirpy.py"), "--blas-threads", "-3"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip().splitlines()[-1].endswith("--blas-threads must be at least 0, got -3")
    )
    assert "OMP" not in done.stderr and "libgomp" not in done.stderr


# ---- tuning_memory ----------------------------------------------------------------------------


def test_tuning_memory_refuses_release_without_baseline(capsys, monkeypatch):
    mod = load("tuning_memory")
    monkeypatch.setattr(mod, "baseline", no_work)
    monkeypatch.setattr(mod.recipe_tuning, "tune", no_work)
    refused(capsys, mod.main, ["--release"], "--release", "--baseline")
    refused(capsys, mod.main, ["--trials", "5"], "--trials", "5")


# ---- ctc_robustness ---------------------------------------------------------------------------


@pytest.mark.parametrize("contents", [[], ["notes.txt", "7_jackson_9.wav"]])
def test_ctc_robustness_wants_fsdd_files(capsys, monkeypatch, tmp_path, contents):
    mod = load("ctc_robustness")
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    model = tmp_path / "model.keras"
    model.write_bytes(b"")
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name in contents:  # (index 9: not one of the test recordings, 0-4)
        (folder / name).write_bytes(b"")
    refused(
        capsys, mod.main, [str(model), "--manual-dir", str(folder)],
        "--manual-dir", str(folder), "DIGIT_SPEAKER_INDEX.wav",
    )  # fmt: skip


def test_ctc_robustness_refuses_a_missing_model(capsys, monkeypatch, tmp_path, fsdd_dir):
    mod = load("ctc_robustness")
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    missing = str(tmp_path / "none.keras")
    refused(capsys, mod.main, [missing, "--manual-dir", str(fsdd_dir)], "model", missing)


# ---- ctc_folds --------------------------------------------------------------------------------


def test_ctc_folds_refuses_a_missing_run_folder(capsys, monkeypatch, tmp_path):
    mod = load("ctc_folds")
    monkeypatch.setattr(mod, "load_splits", no_work)
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    complete = tmp_path / "sds_holdout_george"
    complete.mkdir()
    for name in ("config.json", "metrics.json", "model.keras"):
        (complete / name).write_text("{}")
    missing = str(tmp_path / "sds_holdout_theo")
    # The second folder is checked before the first is evaluated.
    error = refused(capsys, mod.main, [str(complete), missing, "--manual-dir", "x"], missing)
    assert "no such folder" in error
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    error = refused(capsys, mod.main, [str(partial), "--manual-dir", "x"], str(partial))
    assert "metrics.json" in error and "model.keras" in error


# ---- ctc_fold_proxy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, flag",
    [(["--epochs", "0"], "--epochs"), (["--train", "-1"], "--train"),
     (["--mix-speakers", "1.5"], "--mix-speakers"), (["--speaker", "nobody"], "--speaker"),
     (["--set", "speaker_adversary"], "--set"), (["--augment", "speed"], "--augment"),
     (["--set", "speaker_adversary=1.0", "--set", "num_speakers=3"], "num_speakers")],
)  # fmt: skip
def test_ctc_fold_proxy_refuses_bad_values(capsys, monkeypatch, fsdd_dir, argv, flag):
    mod = load("ctc_fold_proxy")
    monkeypatch.setattr(mod.files, "read_wav", no_work)
    if "--speaker" not in argv:
        argv = [*argv, "--speaker", "george"]
    refused(capsys, mod.main, ["--manual-dir", str(fsdd_dir), *argv], flag)


def test_ctc_fold_proxy_wants_fsdd_files(capsys, monkeypatch, tmp_path):
    mod = load("ctc_fold_proxy")
    monkeypatch.setattr(mod.files, "read_wav", no_work)
    argv = ["--manual-dir", str(tmp_path), "--speaker", "george"]
    refused(capsys, mod.main, argv, "--manual-dir", "DIGIT_SPEAKER_INDEX.wav")


def test_ctc_fold_proxy_gives_the_adversary_speaker_ids():
    mod = load("ctc_fold_proxy")
    audio = np.zeros(800, np.int16)
    items = [(audio, "one", "jackson"), (audio, "two", ""), (audio, "three", "george")]
    x, _ = next(iter(mod.batched(items, 0, speakers=list(mod.SPEAKERS))))
    assert x["speaker"].numpy().tolist() == [mod.SPEAKERS.index("jackson"), -1, 0]
    x, _ = next(iter(mod.batched(items, 0)))  # no adversary: no speaker ids, as before
    assert "speaker" not in x


# ---- speech_feature_probe -------------------------------------------------------------------


def test_speech_feature_probe_checks_its_arguments(capsys, monkeypatch, tmp_path, fsdd_dir):
    mod = load("speech_feature_probe")
    monkeypatch.setattr(mod, "pooled_features", no_work)
    refused(capsys, mod.main, ["--manual-dir", str(tmp_path)], "--manual-dir", str(tmp_path))
    refused(capsys, mod.main, ["--manual-dir", str(fsdd_dir), "--c", "0"], "--c", "0")


def test_bucketing_counts_the_last_batch_and_says_slower(capsys, monkeypatch):
    # 10 sequences in one batch of (up to) 100: padded to the longest, 10 rows, not 100.
    mod = load("bucketing")
    seconds = iter([0.0, 0.0, 1.0, 3.7])  # warm-ups, then random and bucketed (round 0)
    monkeypatch.setattr(mod, "epoch_seconds", lambda model, batched: next(seconds))
    monkeypatch.setattr(mod.zoo.models, "gru", lambda **kwargs: None)
    mod.main("--examples 10 --batch-size 100 --time-examples 10 --rounds 1".split())
    out = capsys.readouterr().out
    longest = int(mod.imdb_like_lengths(10).max())
    row = next(line for line in out.splitlines() if line.startswith("global max"))
    assert row.split()[2] == f"{10 * longest:,}", row
    assert "epochs 3.70× slower" in out, out


@pytest.mark.parametrize("size", ["10x100", "10x200"])
def test_esn_vs_reservoirpy_wants_steps_beyond_the_washout(capsys, monkeypatch, size):
    mod = load("esn_vs_reservoirpy")
    for name in ("factory_defaults", "tuned", "tuned_from", "distribution", "compare", "_warm_up"):
        monkeypatch.setattr(mod, name, no_work)
    for argv in (["--sizes", size], ["--factory-defaults", "--sizes", size]):
        refused(capsys, mod.main, argv, "--sizes", size, "washout", "200")


@pytest.mark.parametrize(
    "text, words",
    [("not json", ["not JSON"]), ('{"trial": 1}', ["model_kwargs"]), ("[1, 2]", ["object"])],
)
def test_esn_vs_reservoirpy_wants_a_best_hyperparameters_json(
    capsys, monkeypatch, tmp_path, text, words
):
    mod = load("esn_vs_reservoirpy")
    for name in ("factory_defaults", "tuned", "tuned_from", "distribution", "compare", "_warm_up"):
        monkeypatch.setattr(mod, name, no_work)
    path = tmp_path / "best.json"
    path.write_text(text)
    refused(capsys, mod.main, ["--tuned-from", str(path)], "--tuned-from", str(path), *words)


def test_esn_vs_reservoirpy_factory_defaults_take_the_sizes(capsys, monkeypatch, tmp_path):
    mod = load("esn_vs_reservoirpy")
    calls = []
    monkeypatch.setattr(mod, "factory_defaults", lambda *args: calls.append(args))
    mod.main(["--factory-defaults", "--seeds", "2", "--sizes", "20x300", "30x400"])
    assert calls == [(2, 20, 300), (2, 30, 400)]
    calls.clear()
    mod.main(["--factory-defaults"])  # as before: 1000 units x 4000 steps
    assert calls == [(5, 1000, 4000)]
    for name in ("tuned", "tuned_from"):
        monkeypatch.setattr(mod, name, no_work)
    best = tmp_path / "best.json"
    best.write_text('{"trial": 1, "objective": "val_loss", "score": 0.1, "model_kwargs": {}}')
    for argv in (["--tuned", "3"], ["--tuned-from", str(best)]):
        refused(capsys, mod.main, [*argv, "--sizes", "20x300"], "--sizes", argv[0])


def test_esn_vs_reservoirpy_flags_diverged_free_runs(capsys, monkeypatch):
    mod = load("esn_vs_reservoirpy")
    nrmse = {"rnn-zoo": [1e-3, 2e-3, 4e-3], "reservoirpy": [2e-3, 1.2e70, 2e-3]}

    def lib(name):
        def fit(units, steps, setting, seed, s):
            return np.array([0.1, 0.1]), seed

        return fit, lambda seed, steps, s: (nrmse[name][seed], 1.1)

    monkeypatch.setattr(mod, "LIBS", {name: lib(name) for name in nrmse})
    monkeypatch.setattr(mod, "_series", lambda steps: np.zeros(steps + 3001))
    monkeypatch.setattr(mod, "_memory", lambda lib, size, setting: 1.0)
    mod.compare("10x300", "defaults", 3, 1)
    out = capsys.readouterr().out
    assert "diverged" in out and "reservoirpy seed 1" in out, out
    # The mean ratio over the seeds where neither diverged: (1e-3 + 4e-3) / (2e-3 + 2e-3).
    assert "mean ratio 1.25" in out, out
    assert not re.search(r"\d{10}", out), out


@pytest.mark.parametrize(
    "argv, words",
    [(["--set", "nonsense=1"], ["--set", "nonsense", "ctc_speech", "units"]),
     (["--set", "unitz=64"], ["--set", "unitz", "Did you mean 'units'"]),
     (["--set", "seed=3"], ["--set", "seed", "--seed"]),
     (["--augment", "sped=(0.8, 1.2)"], ["--augment", "sped", "Did you mean 'speed'"])],
)  # fmt: skip
def test_ctc_fold_proxy_refuses_unknown_names(capsys, monkeypatch, fsdd_dir, argv, words):
    mod = load("ctc_fold_proxy")
    monkeypatch.setattr(mod.files, "read_wav", no_work)
    argv = ["--manual-dir", str(fsdd_dir), "--speaker", "george", *argv]
    refused(capsys, mod.main, argv, *words)


def test_ctc_fold_proxy_result_names_the_training_and_test_strings(capsys, monkeypatch, fsdd_dir):
    mod = load("ctc_fold_proxy")
    rng = np.random.default_rng(0)
    monkeypatch.setattr(mod.files, "read_wav", lambda path: rng.integers(-99, 99, 800, np.int16))

    class Model:  # no training: the result line is what is checked
        def fit(self, *args, **kwargs):
            pass

        def error_rates(self, batched):
            return {"cer": 0.25, "wer": 0.5}

    monkeypatch.setattr(mod.zoo.models, "ctc_speech", lambda **kwargs: Model())
    monkeypatch.setattr(mod.WarmupCosine, "from_model", lambda *args, **kwargs: None)
    argv = ["--manual-dir", str(fsdd_dir), "--speaker", "george", "--train", "3", "--epochs", "1"]
    mod.main(argv)
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["train"] == 3 and result["test"] == 400, result
    assert result["cer"] == 25.0 and result["wer"] == 50.0


# ---- ctc_speaker_diagnosis --------------------------------------------------------------------


@pytest.mark.parametrize("top", ["0", "-1"])
def test_ctc_speaker_diagnosis_refuses_top_below_one(capsys, monkeypatch, tmp_path, fsdd_dir, top):
    mod = load("ctc_speaker_diagnosis")
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    model = tmp_path / "model.keras"
    model.write_bytes(b"")
    argv = [str(model), "--manual-dir", str(fsdd_dir), "--speaker", "george", "--top", top]
    refused(capsys, mod.main, argv, "--top", top)


def test_ctc_speaker_diagnosis_wants_a_speech_model(capsys, monkeypatch, tmp_path, fsdd_dir):
    mod = load("ctc_speaker_diagnosis")
    monkeypatch.setattr(mod.files, "read_wav", no_work)
    missing = str(tmp_path / "none.keras")
    argv = ["--manual-dir", str(fsdd_dir), "--speaker", "george"]
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    refused(capsys, mod.main, [missing, *argv], "model", missing)
    model = tmp_path / "model.keras"  # e.g. adding_gru's: a RecurrentModel, no `transcribe`
    model.write_bytes(b"")
    monkeypatch.setattr(mod.keras.models, "load_model", lambda *args, **kwargs: object())
    refused(capsys, mod.main, [str(model), *argv], str(model), "ctc_speech")


@pytest.mark.parametrize(
    "config, words",
    [('{"recipe": "adding_gru", "dataset": "adding_problem/t50"}',
      ["adding_gru", "spoken_digit_strings_ctc"]),
     ("not json", ["config.json", "not readable JSON"])],
)  # fmt: skip
def test_ctc_folds_wants_spoken_digit_strings_ctc_runs(
    capsys, monkeypatch, tmp_path, config, words
):
    mod = load("ctc_folds")
    monkeypatch.setattr(mod, "load_splits", no_work)
    monkeypatch.setattr(mod.keras.models, "load_model", no_work)
    run = tmp_path / "adding"
    run.mkdir()
    for name in ("metrics.json", "model.keras"):
        (run / name).write_text("{}")
    (run / "config.json").write_text(config)
    refused(capsys, mod.main, [str(run), "--manual-dir", "x"], str(run), *words)


def test_ctc_folds_means_the_held_out_speaker_folds_only(capsys, monkeypatch, tmp_path):
    # (an `all` run, whose test speakers were heard in training, was averaged in too)
    mod = load("ctc_folds")
    monkeypatch.setattr(mod, "load_splits", lambda *args, **kwargs: (None, None, None))
    monkeypatch.setattr(mod, "batches", lambda split, size: split)
    cer = {"holdout_theo": 0.02, "holdout_george": 0.04, "all": 0.5}

    class Model:
        def __init__(self, c):
            self.c = c

        def error_rates(self, data, lexicon=None):
            return {"cer": self.c, "wer": 2 * self.c}

    runs = []
    for config in cer:
        run = tmp_path / config
        run.mkdir()
        (run / "config.json").write_text(json.dumps({
            "recipe": "spoken_digit_strings_ctc", "dataset": f"spoken_digit_strings/{config}"
        }))  # fmt: skip
        (run / "metrics.json").write_text(json.dumps({
            "best_val_cer": cer[config], "train_seconds": 10.0, "train_cpu_seconds": 20.0
        }))  # fmt: skip
        (run / "model.keras").write_text(str(cer[config]))
        runs.append(str(run))
    monkeypatch.setattr(
        mod.keras.models, "load_model", lambda path, **k: Model(float(open(path).read()))
    )
    mod.main([*runs, "--manual-dir", "x"])
    out = capsys.readouterr().out
    assert "| all | 50.00% | 50.00% | 100.00% |" in out
    assert "| mean of the 2 held-out-speaker folds | 3.00% | 3.00% | 6.00% | 3.00% |" in out


# ---- step_overhead ----------------------------------------------------------------------------


def test_step_overhead_pairs_build_and_pass_their_sameness_checks():
    # The loss check read the zoo loss's MRO[1], which the replica-averaging mixin became: every
    # run, --quick included, stopped with "loss ... (zoo) != 'sparse_categorical_crossentropy'".
    mod = load("step_overhead")
    for name in ("lstm", "bigru"):
        zm, hm = mod.build_pair(name, (5, 3), 4, 3)
        assert zm.count_params() == hm.count_params()


def test_step_overhead_quick_gives_no_verdict(capsys, monkeypatch):
    mod = load("step_overhead")
    row = dict(name="GRU x2", control=False, params=1, zoo_ms=1.063, hand_ms=1.0, ratio=1.063,
               pair=1.063, iqr=(1.0, 1.1))  # fmt: skip
    monkeypatch.setattr(mod, "compare", lambda name, args, control=False: row)
    assert mod.main(["--quick", "--models", "gru"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "PASS" not in out, out
    assert "too few rounds" in out, out
    refused(capsys, mod.main, ["--quick", "--check"], "--check", "--quick")
    assert mod.main(["--models", "gru"]) == 0  # a full run still judges
    assert "FAIL: worst median pair ratio 1.0630" in capsys.readouterr().out


def test_ctc_speed_warns_that_few_steps_are_a_rough_figure(capsys):
    mod = load("ctc_speed")
    mod.parse_args(["--manual-dir", "x", "--steps", "1"])
    err = capsys.readouterr().err
    assert "warning: --steps 1" in err and "warm-up" in err, err
    mod.parse_args(["--manual-dir", "x", "--steps", "40"])
    assert "warning" not in capsys.readouterr().err
