"""The `rnnzoo` command line and `python -m recipes.NAME`."""

import os
import subprocess
import sys

import pytest

from zoo import cli


def test_list_shows_every_recipe_with_offline_flag(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert set(lines) == set(cli.recipe_names())
    assert lines["adding_gru"][-1] == "yes" and lines["mnist_gru"][-1] == "no"
    assert lines["imdb_bilstm"][1:4] == ["bidirectional", "imdb_reviews", "binary"]


def test_info(capsys):
    assert cli.main(["info", "adding_lstm"]) == 0
    out = capsys.readouterr().out
    assert "adding_problem/t200" in out and "lstm" in out and "rnnzoo run adding_lstm" in out


@pytest.mark.parametrize("name", ["addng_gru", "../etc", "os"])
def test_unknown_recipe_is_one_line_and_nonzero(name, capsys):
    assert cli.main(["run", name]) == 2
    err = capsys.readouterr().err
    assert f"unknown recipe {name!r}" in err and len(err.strip().splitlines()) == 1
    if name == "addng_gru":
        assert "Did you mean 'adding_gru'" in err


def test_run_through_cli_and_python_m(tfds_data_dir, tmp_path):
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
