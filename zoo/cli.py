"""The `rnnzoo` command line: `rnnzoo list | info | run | tune | transcribe` (also `python -m zoo`).

Recipes are found by module name in the `recipes` package, so the library never imports one
until asked to.
"""

import argparse
import importlib
import logging
import os
import pkgutil
import re
import sys
import warnings
import zipfile

from zoo.validation import suggest


def recipe_names():
    """The names of every recipe module, sorted.

    Example:
        >>> "adding_gru" in recipe_names()
        True
    """
    import recipes

    modules = pkgutil.iter_modules(recipes.__path__)
    return sorted(m.name for m in modules if not m.ispkg and not m.name.startswith("_"))


def load_recipe(name):
    """Imports `recipes.NAME` and returns its `RECIPE`, with a one-line error when unknown.

    Example:
        >>> load_recipe("adding_lstm").model
        'lstm'
    """
    from zoo.recipe import RecipeError

    names = recipe_names()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name not in names:
        raise RecipeError(
            f"unknown recipe {name!r}." + suggest(name, names) + " `rnnzoo list` shows them all."
        )
    return importlib.import_module(f"recipes.{name}").RECIPE


def _list(args):
    from zoo.training import Recipe  # noqa: F401  (imports TFDS and registers our builders)

    rows = [("recipe", "model", "dataset", "task", "offline")]
    for name in recipe_names():
        r = load_recipe(name)
        rows.append((r.name, r.model, r.dataset, r.task, r.offline_status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


# `rnnzoo info`'s words for `Recipe.offline_status` (`rnnzoo list`'s offline column).
_OFFLINE = {
    "yes": "offline",
    "manual": "offline with --manual-dir DIR holding its files, else downloads",
    "no": "downloads",
}


def _info(args):
    from zoo import registry

    r = load_recipe(args.name)
    spec = registry.get(r.model)
    print(f"{r.name}: {r.description}")
    print(f"  model     {r.model} ({spec.description})")
    print(f"  dataset   {r.dataset} ({_OFFLINE.get(r.offline_status, r.offline_status)})")
    print(f"  task      {r.task}")
    print(f"  epochs    {r.epochs}, batch size {r.batch_size}, best epoch by {r.monitor}")
    for k, v in r.model_kwargs.items():
        print(f"  {k:<9} {v!r}")
    print(f"run it:     rnnzoo run {r.name}")


def _run(args):
    from zoo import training

    training.run_from_args(load_recipe(args.name), args)


def _tune(args):
    from zoo import recipe_tuning

    recipe_tuning.tune_from_args(load_recipe(args.name), args)


def read_wav(path):
    """Reads a WAV file: `(samples, sample_rate)`, with one-line errors for unreadable files.

    Example:
        >>> read_wav("missing.wav")
        Traceback (most recent call last):
        ...
        ValueError: cannot read 'missing.wav' as a WAV file: No such file or directory
    """
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", wavfile.WavFileWarning)
            rate, samples = wavfile.read(path)
    except (OSError, ValueError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise ValueError(f"cannot read {str(path)!r} as a WAV file: {reason}") from None
    for w in caught:  # scipy's warning pointed at this line, not at the file
        if issubclass(w.category, wavfile.WavFileWarning):
            print(f"{path}: {w.message} (a truncated file? read what is there)", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if samples.ndim != 1:
        raise ValueError(
            f"{path}: multi-channel audio ({samples.shape[1]} channels); the recogniser takes "
            "mono: mix it down first (e.g. sox in.wav -c 1 out.wav)."
        )
    return samples, rate


def check_model_file(path):
    """Refuses `path` unless it is a complete `.keras` archive, saying what it is instead.

    Keras's own errors mislead here: a WAV or JSON file gets advice about `TFSMLayer`, a
    truncated `.keras` file "File not found".

    Example:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "history.json")
        >>> with open(path, "w") as f:
        ...     _ = f.write("{}")
        >>> check_model_file(path)
        Traceback (most recent call last):
        ...
        ValueError: cannot load model '...history.json': the model must be a .keras file saved
        by rnn-zoo (e.g. runs/NAME/model.keras), not a .json file.
    """
    what = "no such file" if not os.path.exists(path) else "a folder"
    if not os.path.isfile(path):
        raise ValueError(
            f"cannot load model {path!r}: {what}; give the model.keras file a speech "
            "recipe wrote (e.g. runs/NAME/model.keras)."
        )
    with open(path, "rb") as f:
        head = f.read(12)
    if not str(path).endswith(".keras"):
        suffix = os.path.splitext(path)[1]
        what = f"a {suffix} file" if suffix else "a file without the .keras suffix"
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            what = "a WAV file: give the model first, then the WAV files"
        raise ValueError(
            f"cannot load model {path!r}: the model must be a .keras file saved by rnn-zoo "
            f"(e.g. runs/NAME/model.keras), not {what}."
        )
    problem = None
    if not zipfile.is_zipfile(path):
        problem = "not a zip archive, or its end is cut off: truncated?"
    else:
        with zipfile.ZipFile(path) as archive:
            missing = {"config.json", "metadata.json"} - set(archive.namelist())
        if missing:
            problem = f"it holds no {' or '.join(sorted(missing))}"
    if problem:
        raise ValueError(
            f"cannot load model {path!r}: not a valid or complete .keras archive ({problem}); "
            "give the model.keras file a speech recipe wrote (e.g. runs/NAME/model.keras)."
        )


def _transcribe(args):
    import keras

    import zoo  # noqa: F401  (registers rnn-zoo's layers and models for loading)

    if args.beam_width is not None and args.beam_width < 1:
        raise ValueError(f"--beam-width must be a positive int, got {args.beam_width}.")
    lexicon = None
    if args.lexicon is not None:
        lexicon = args.lexicon.replace(",", " ").split()
        if not lexicon:  # not greedy decoding in silence: the user meant to restrict it
            raise ValueError(
                f"--lexicon must name at least one word (comma- or space-separated), got "
                f"{args.lexicon!r}; leave --lexicon out to decode without one."
            )
    check_model_file(args.model)
    waves = [read_wav(path) for path in args.files]
    try:
        model = keras.models.load_model(args.model, safe_mode=True)
    except Exception as e:  # Keras raises many types for a file it cannot read
        reason = " ".join(str(e).split()) or type(e).__name__
        raise ValueError(f"cannot load model {args.model!r}: {reason}") from None
    if not hasattr(model, "transcribe"):
        raise ValueError(f"{args.model} holds a {type(model).__name__}, not a speech recogniser.")
    for path, (samples, rate) in zip(args.files, waves, strict=True):
        try:  # every file is checked before any is transcribed
            model.prepare_waveforms([samples], sample_rate=int(rate))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: {str(e).replace('waveforms[0] has', 'it has')}") from None
    for path, (samples, rate) in zip(args.files, waves, strict=True):
        (text,) = model.transcribe([samples], sample_rate=int(rate), beam_width=args.beam_width,
                                   lexicon=lexicon, trim_silence=args.trim_silence)  # fmt: skip
        print(f"{path}\t{text}")


def _as_given(message, argv):
    """`message` naming an option given on the command line as given (`--max-trials`).

    The library names its arguments as Python does (`max_trials must be ...`).

    A `--set` setting's message is prefixed with the setting as given.

    Example:
        >>> _as_given("max_trials must be a positive int, got 0.", ["tune", "--max-trials", "0"])
        '--max-trials must be a positive int, got 0.'
        >>> _as_given("units must be a positive int, got 0.", ["run", "r", "--set", "units=0"])
        '--set units=0: units must be a positive int, got 0.'
    """
    for flag in (a.split("=")[0] for a in argv if a.startswith("--")):
        name = flag[2:].replace("-", "_")
        if message.startswith(f"{name} "):
            return flag + message[len(name) :]
    settings = [b for a, b in zip(argv, argv[1:], strict=False) if a == "--set"]
    settings += [a[len("--set=") :] for a in argv if a.startswith("--set=")]
    for setting in settings:
        if message.startswith(setting.split("=")[0].strip() + " "):
            return f"--set {setting}: {message}"
    return message


def _within(path, folder):
    """Whether `path` (an `OSError`'s filename, maybe `None`) is `folder` or lies in it."""
    if path is None:
        return False
    path, folder = (os.path.abspath(os.fsdecode(p)) for p in (path, folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def parser():
    """The `rnnzoo` argument parser.

    Example:
        >>> args = parser().parse_args(["run", "adding_gru", "--epochs", "1", "--set", "units=4"])
        >>> args.command, args.name, args.epochs, args.set, args.func.__name__
        ('run', 'adding_gru', 1, ['units=4'], '_run')
        >>> parser().parse_args(["transcribe", "model.keras"])  # no WAV file: refused
        Traceback (most recent call last):
        ...
        SystemExit: 2
    """
    p = argparse.ArgumentParser(prog="rnnzoo", description="rnn-zoo: recurrent models, recipes.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the recipes").set_defaults(func=_list)
    info = sub.add_parser("info", help="describe a recipe")
    info.add_argument("name")
    info.set_defaults(func=_info)
    run = sub.add_parser("run", help="train and evaluate a recipe, write its results")
    run.add_argument("name")
    from zoo.training import add_run_arguments

    add_run_arguments(run)
    run.set_defaults(func=_run)
    tune = sub.add_parser("tune", help="search a recipe's hyperparameters with keras-tuner")
    tune.add_argument("name")
    from zoo.recipe_tuning import add_tune_arguments

    add_tune_arguments(tune)
    tune.set_defaults(func=_tune)
    tr = sub.add_parser("transcribe", help="transcribe WAV files with a saved speech model")
    tr.add_argument("model", help="a .keras file written by a speech recipe (model.keras)")
    tr.add_argument("files", nargs="+", help="mono WAV files (any sample rate: resampled)")
    tr.add_argument("--beam-width", type=int, help="CTC prefix beam search this wide")
    tr.add_argument("--lexicon", help="words the transcripts may use, comma- or space-separated")
    tr.add_argument(
        "--no-trim-silence", dest="trim_silence", action="store_false",
        help="read the files as they are, without giving them the training strings' short "
        "noise-filled edges (leading and trailing quiet cut, 100 ms of noise added)",
    )  # fmt: skip
    tr.set_defaults(func=_transcribe)
    return p


def _interrupted(args):
    """What a command stopped by Ctrl-C says: how to go on."""
    if args.command == "run":
        from zoo import run_folder, training

        out = training.output_folder(load_recipe(args.name), args.output)
        return run_folder.interrupted_message(out, args.overwrite)
    if args.command == "tune" and args.overwrite:  # it would set the new search aside
        from zoo import recipe_tuning, run_folder

        out = recipe_tuning.tune_folder(args.name, args.output)
        if not (out / run_folder.PREVIOUS).is_dir() and (out / "tuning.json").exists():
            return f"interrupted before the search in {out} was replaced: it is unchanged."
        return (
            "interrupted; the same command without --overwrite resumes the search (with "
            "--overwrite it starts again)."
        )
    if args.command == "tune":
        return "interrupted; the same command resumes the search."
    return "interrupted."


def main(argv=None):
    """Entry point of the `rnnzoo` console script; returns the exit code.

    Example:
        >>> main(["info", "adding_gru"])
        adding_gru: adding problem, T=200, GRU: ...
          model     gru (Gated recurrent unit (cuDNN-eligible by default))
          dataset   adding_problem/t200 (offline)
        ...
        run it:     rnnzoo run adding_gru
        0
        >>> import contextlib
        >>> with contextlib.redirect_stderr(sys.stdout):  # to show the error line here
        ...     main(["run", "adding_gru", "--epochs", "2", "--set", "epochs=3"])
        rnnzoo run: error: --set epochs=3 and --epochs 2 disagree; give one of them.
        2
    """
    from zoo.recipe import RecipeError
    from zoo.run_folder import os_error_message

    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (RecipeError, ValueError, TypeError, OSError) as e:
        message, out = _as_given(os_error_message(e), argv), getattr(args, "output", None)
        if isinstance(e, OSError) and out and _within(e.filename, out):  # (e.g. no permission)
            message = f"--output {out}: {message}; choose another --output"
        print(f"rnnzoo {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, not TensorFlow's traceback
        # nor its complaints about the graph objects the interruption left unused (a
        # TensorArray's "Object was never used" error, logged as they are collected at exit)
        logging.getLogger("tensorflow").setLevel(logging.CRITICAL)
        print(f"\nrnnzoo {args.command}: {_interrupted(args)}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
