"""rnn-zoo's ESN against reservoirpy on Jaeger's Mackey-Glass task, side by side in one run.

The same series (tau=17, Jaeger's protocol), the same hyperparameters (spectral radius 1.1, leak
rate 0.5, input scaling 0.5, ridge 1e-10, washout 200), two sizes (500 units x 4000 training
steps, 1000 units x 5000), and two settings:

- `pinned`: recurrent connectivity 10/units, input connectivity 1, input weights +-input_scaling
  (reservoirpy's `Win=bernoulli`; rnn-zoo's `input_distribution="bernoulli"`), no bias, the input
  fed to the readout, float64, in both libraries;
- `defaults`: each library's own defaults for everything the run does not set (reservoirpy: 10%
  recurrent and input connectivity, +-1 input weights, no bias, no input to the readout;
  rnn-zoo: 10/units, dense uniform input weights, bias scaling 0.2, input to the readout).

The input weights' distribution matters as much as `input_scaling`: uniform weights in [-1, 1]
drive the reservoir sqrt(3) times more weakly than +-1 ones at the same scaling, and at spectral
radius 1.1 a weakly driven reservoir often gives a free run that diverges (in both libraries).

For each: NRMSE84 (a 500-step teacher-forced warm-up ending at n, 84 free-running steps, the error
at n+84, over 20 start points n in the held-out part, divided by the series' std) per seed, the
realised spectral radius, the wall time of construction + reservoir harvest + readout fit through
each library's public API (median over seeds and repeats; the two libraries alternate, and take
turns going first, so that a busy machine slows both alike) and its CPU time (which a busy machine
disturbs less), and the peak resident memory that one fit adds, measured in a fresh subprocess
per library so that the figures do not mix. BLAS runs
single-threaded in both by default (`--blas-threads`): on a machine with more busy threads than
cores, a threaded BLAS waits on its own threads for most of a solve, and the timings then say more
about the machine's load than about either library.

A free run whose NRMSE84 is above 1 (worse than predicting the series' mean) has diverged: it is
named (library and seed), and left out of the mean ratios.

Two libraries drawing "the same" random reservoir from the same seed draw different matrices, and
NRMSE84 varies tenfold from one draw to the next, so a per-seed ratio of the two libraries'
draws says little. With `pinned`, rnn-zoo is therefore also run on reservoirpy's own matrices
(`W`, `W_in`, set with `Reservoir.set_weights`): the same reservoir in both, per seed.

reservoirpy is not a dependency of rnn-zoo: `pip install reservoirpy` to run this.

    python benchmarks/esn_vs_reservoirpy.py [--seeds 5] [--repeats 1] [--sizes 500x4000 1000x5000]
        [--blas-threads 1]
    python benchmarks/esn_vs_reservoirpy.py --factory-defaults   # rnn-zoo's defaults, 1000 units
    python benchmarks/esn_vs_reservoirpy.py --tuned 60   # rnn-zoo's tuner, closed-form readout
    python benchmarks/esn_vs_reservoirpy.py --tuned-from runs/NAME/best_hyperparameters.json
    python benchmarks/esn_vs_reservoirpy.py --distribution 30 --sizes 500x4000   # many seeds
"""

import argparse
import gc
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import time
import warnings


def _blas_threads():
    """`--blas-threads N` (default 1), read before NumPy starts its BLAS thread pool."""
    for i, arg in enumerate(sys.argv):
        if arg.startswith("--blas-threads="):
            return arg.split("=", 1)[1]
        if arg == "--blas-threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return "1"


BLAS_THREADS = _blas_threads()
# The children inherit it; a value that is not a whole number >= 0 is left to `main` to refuse
# (set as it is, it would only have libgomp print a warning).
if BLAS_THREADS.isdigit() and int(BLAS_THREADS) > 0:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = BLAS_THREADS

import numpy as np  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HP = dict(spectral_radius=1.1, leak_rate=0.5, input_scaling=0.5, ridge=1e-10, washout=200)
WARMUP, HORIZON, STARTS = 500, 84, 20
SIZES, FACTORY_SIZE = ("500x4000", "1000x5000"), "1000x4000"  # the default --sizes


def _series(train_steps):
    sys.path.insert(0, ROOT)
    from zoo.datasets.mackey_glass.mackey_glass_dataset_builder import mackey_glass

    return mackey_glass(train_steps + 3001, tau=17)


def _starts(train_steps):
    return np.linspace(train_steps + WARMUP + 100, train_steps + 3000 - HORIZON, STARTS).astype(int)


def _shown(values):
    """Hyperparameters as `name=value, ...`, floats to 3 significant digits."""
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def _status_mb(field):
    """`VmRSS` (resident now) or `VmHWM` (its peak) of this process, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak():
    """Resets `VmHWM` to the current RSS (Linux); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _clock():
    """Wall and CPU time (this process, all its threads) now, in seconds."""
    return np.array([time.perf_counter(), time.process_time()])


def _nrmse(preds, series, starts):
    truth = series[starts + HORIZON]
    return float(np.sqrt(np.mean((preds - truth) ** 2)) / np.std(series))


def fit_zoo(units, train_steps, setting, seed, s, weights=None):
    """Builds and fits rnn-zoo's ESN; returns `((wall, CPU) seconds, model)`.

    `weights` (`[W_in, W, b]` in Keras's row convention) replaces the drawn reservoir before the
    fit: the same-reservoir check.
    """
    import zoo

    x, y = s[None, :train_steps, None], s[None, 1 : train_steps + 1, None]
    kwargs = dict(
        units=units,
        spectral_radius=HP["spectral_radius"],
        leak_rate=HP["leak_rate"],
        input_scaling=HP["input_scaling"],
        ridge=HP["ridge"],
    )
    if setting == "pinned":
        kwargs.update(connectivity=10 / units, input_connectivity=1.0, bias_scaling=0.0)
        kwargs.update(input_distribution="bernoulli", input_to_readout=True, dtype="float64")
    start = _clock()
    model = zoo.models.esn(seed=seed, **kwargs)
    if weights is not None:
        model.reservoirs[0].set_weights(weights)
    model.fit_readout(x, y, washout=HP["washout"])
    return _clock() - start, model


def score_zoo(model, train_steps, s):
    from zoo.models.esn import free_run_nrmse

    nrmse = free_run_nrmse(model, s, _starts(train_steps), HORIZON, WARMUP)
    return nrmse, model.reservoirs[0].realised_spectral_radius()


def fit_rpy(units, train_steps, setting, seed, s):
    """Builds and fits reservoirpy's ESN; returns `((wall, CPU) seconds, (model, reservoir))`."""
    from reservoirpy import ESN
    from reservoirpy.nodes import Reservoir, Ridge

    x, y = s[:train_steps, None], s[1 : train_steps + 1, None]
    res_kwargs = dict(
        lr=HP["leak_rate"], sr=HP["spectral_radius"], input_scaling=HP["input_scaling"]
    )
    esn_kwargs = {}
    if setting == "pinned":
        res_kwargs.update(rc_connectivity=10 / units, input_connectivity=1.0, bias=0.0)
        res_kwargs.update(dtype=np.float64)
        esn_kwargs.update(input_to_readout=True)
    start = _clock()
    reservoir = Reservoir(units, seed=seed, **res_kwargs)
    model = ESN(reservoir=reservoir, readout=Ridge(ridge=HP["ridge"]), **esn_kwargs)
    model.fit(x, y, warmup=HP["washout"])
    return _clock() - start, (model, reservoir)


def _dense(matrix):
    import scipy.sparse

    return matrix.toarray() if scipy.sparse.issparse(matrix) else np.asarray(matrix)


def score_rpy(fitted, train_steps, s):
    import scipy.linalg

    model, reservoir = fitted
    starts = _starts(train_steps)
    preds = []
    for n in starts:
        model.reset()
        last = model.run(s[n - WARMUP + 1 : n + 1, None])[-1]
        for _ in range(HORIZON - 1):
            last = model.step(last)
        preds.append(float(np.ravel(last)[0]))
    radius = float(np.abs(scipy.linalg.eigvals(_dense(reservoir.W))).max())
    return _nrmse(np.array(preds), s, starts), radius


def rpy_weights(fitted):
    """The `[W_in, W, b]` of a fitted reservoirpy ESN, in Keras's row convention."""
    reservoir = fitted[1]
    bias = np.broadcast_to(
        np.ravel(np.asarray(reservoir.bias, dtype=np.float64)), (reservoir.units,)
    )
    return [_dense(reservoir.Win).T, _dense(reservoir.W).T, bias]


LIBS = {"rnn-zoo": (fit_zoo, score_zoo), "reservoirpy": (fit_rpy, score_rpy)}


def _warm_up(s):
    """One-time costs (imports, first Keras model) out of the timed region."""
    for fit, _ in LIBS.values():
        fit(20, 300, "defaults", 0, s)


def _child(args):
    """Peak resident memory that one fit adds, in a fresh process (one library only)."""
    units, steps = map(int, args.child_size.split("x"))
    s = _series(steps)
    fit = LIBS[args.child_lib][0]
    fit(20, 300, "defaults", 0, s)
    gc.collect()
    base = _status_mb("VmRSS")
    if not _reset_peak():  # the lifetime peak then, which import-time peaks can hide
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fit(units, steps, args.child_setting, 0, s)
    print(json.dumps({"peak_mb": _status_mb("VmHWM") - base}))


def _memory(lib, size, setting):
    cmd = [sys.executable, __file__, "--child-lib", lib, "--child-size", size]
    cmd += ["--child-setting", setting]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"{lib} {size} {setting} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"]


def factory_defaults(seeds, units=1000, train_steps=4000):
    """NRMSE84 of `zoo.models.esn(units=1000)` with every other argument at its default."""
    import zoo
    from zoo.models.esn import free_run_nrmse

    s = _series(train_steps)
    x, y = s[None, :train_steps, None], s[None, 1 : train_steps + 1, None]
    nrmse = []
    for seed in range(seeds):
        model = zoo.models.esn(units=units, seed=seed)
        model.fit_readout(x, y, washout=HP["washout"])
        nrmse.append(free_run_nrmse(model, s, _starts(train_steps), HORIZON, WARMUP))
    print(
        f"rnn-zoo factory defaults, {units} units x {train_steps} steps, fit_readout(washout="
        f"{HP['washout']}): NRMSE84 mean {np.mean(nrmse):.2e}, max {np.max(nrmse):.2e} over "
        f"{seeds} seeds ({', '.join(f'{v:.1e}' for v in nrmse)}){_diverged_note(nrmse)}"
    )


def tuned(trials, seeds, units=1000, train_steps=4000, val_starts=10, trial_seeds=3):
    """Tunes rnn-zoo's ESN with rnn-zoo's tuner, the readout fitted in closed form.

    The tuner is `zoo.tuning.ZooHyperModel` over the `esn` search space (`input_scaling` widened
    to 4, `bias_scaling` added), its `fit` replaced by `fit_readout` on the training steps. A
    trial scores NRMSE84 from `val_starts` start points between the training steps and the first
    test start point (their targets all come before it), averaged over `trial_seeds` reservoirs so
    that the search picks a setting rather than a lucky draw; the best setting is then scored on
    the test start points over `seeds` reservoirs.
    """
    import tempfile

    import keras_tuner

    import zoo
    from zoo.models.esn import free_run_nrmse
    from zoo.tuning import ZooHyperModel

    s = _series(train_steps)
    starts = np.linspace(train_steps, train_steps + WARMUP, val_starts).astype(int)
    assert starts.max() + HORIZON < _starts(train_steps).min()
    x, y = s[None, :train_steps, None], s[None, 1 : train_steps + 1, None]
    fixed = dict(input_shape=(None, 1), units=units, seed=0, compile=False)

    def score(values, seed, points):
        model = zoo.models.esn(**{**fixed, **values, "seed": seed})
        model.fit_readout(x, y, washout=HP["washout"])
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging free run scores inf
            return free_run_nrmse(model, s, points, HORIZON, WARMUP)

    class ClosedForm(ZooHyperModel):
        def fit(self, hp, model, *args, **kwargs):
            values = self.tuned_kwargs(hp)
            value = float(np.mean([score(values, seed, starts) for seed in range(trial_seeds)]))
            return {"val_nrmse84": value if np.isfinite(value) and value < 1e3 else 1e3}

    def space(hp):
        return {
            "input_scaling": hp.Float("input_scaling", 0.05, 4.0, sampling="log"),
            "bias_scaling": hp.Float("bias_scaling", 0.0, 1.0),
        }

    hm = ClosedForm("esn", fixed, space=space, batch_sizes=None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        search = keras_tuner.BayesianOptimization(
            hm,
            objective=keras_tuner.Objective("val_nrmse84", "min"),
            max_trials=trials,
            seed=0,
            directory=folder,
            project_name="esn",
            overwrite=True,
        )
        search.search(verbose=0)
        best = search.oracle.get_best_trials(1)[0]
    values = hm.tuned_kwargs(best.hyperparameters.copy())
    seconds = time.perf_counter() - start
    nrmse = [score(values, seed, _starts(train_steps)) for seed in range(seeds)]
    shown = _shown(values)
    print(
        f"rnn-zoo tuned ({trials} Bayesian trials in {seconds:.0f} s; validation NRMSE84 "
        f"{best.score:.2e}, {val_starts} start points after the training steps, mean of "
        f"{trial_seeds} reservoirs): {shown}\n"
        f"  test NRMSE84 ({units} units, {train_steps} steps): mean {np.mean(nrmse):.2e}, max "
        f"{np.max(nrmse):.2e} over {seeds} seeds ({', '.join(f'{v:.1e}' for v in nrmse)})"
        f"{_diverged_note(nrmse)}"
    )


def distribution(size, seeds, pairs=5, bootstrap=20000):
    """NRMSE84 of both libraries over many seeds (`pinned`): are the two draws alike?

    Two independent draws of a reservoir differ tenfold in NRMSE84 at these settings, so a
    per-seed ratio of the two libraries' draws (`compare`) says more about luck than about
    either library. Over `seeds` seeds this compares the two distributions (median, geometric
    mean, tail counts, a Mann-Whitney U test), the same-reservoir ratio per seed, and how often
    `pairs` independent pairs all land within 2x of each other, drawn from the measured values
    (`bootstrap` times): for rnn-zoo against reservoirpy and for reservoirpy against itself.
    """
    import scipy.stats

    units, steps = map(int, size.split("x"))
    s = _series(steps)
    zoo_v, rpy_v, same = [], [], []
    for seed in range(seeds):
        zoo_v.append(score_zoo(fit_zoo(units, steps, "pinned", seed, s)[1], steps, s)[0])
        fitted = fit_rpy(units, steps, "pinned", seed, s)[1]
        rpy_v.append(score_rpy(fitted, steps, s)[0])
        _, twin = fit_zoo(units, steps, "pinned", seed, s, rpy_weights(fitted))
        same.append(score_zoo(twin, steps, s)[0])
    zoo_v, rpy_v, same = map(np.array, (zoo_v, rpy_v, same))
    print(f"\n{size} pinned, NRMSE84 over seeds 0-{seeds - 1}:")
    print(f"  {'':>11} {'median':>8} {'geomean':>8} {'p90':>8} {'max':>8}  >1e-3 >1e-2")
    for name, v in (("rnn-zoo", zoo_v), ("reservoirpy", rpy_v)):
        print(
            f"  {name:>11} {np.median(v):8.1e} {np.exp(np.mean(np.log(v))):8.1e} "
            f"{np.quantile(v, 0.9):8.1e} {v.max():8.1e}  {np.sum(v > 1e-3):5d} "
            f"{np.sum(v > 1e-2):5d}"
        )
    test = scipy.stats.mannwhitneyu(zoo_v, rpy_v)
    print(f"  Mann-Whitney U (rnn-zoo vs reservoirpy draws): p = {test.pvalue:.2f}")
    ratio = same / rpy_v
    print(
        f"  same reservoir (rnn-zoo on reservoirpy's W, W_in) / reservoirpy: {ratio.min():.4g}"
        f" to {ratio.max():.4g} over the {seeds} seeds"
    )
    for name, v in (("rnn-zoo", zoo_v), ("reservoirpy", rpy_v), ("rnn-zoo on its W/Win", same)):
        if _diverged(v):
            print(f"  {_diverged_note(v, name)[2:]}")
    rng = np.random.default_rng(0)

    def within_2x(a, b):
        i, j = rng.integers(0, seeds, (2, bootstrap, pairs))
        return float(np.mean(np.max(a[i] / b[j], axis=1) <= 2))

    print(
        f"  P({pairs} independent pairs all within 2x), resampled: rnn-zoo/reservoirpy "
        f"{within_2x(zoo_v, rpy_v):.2f}, reservoirpy/reservoirpy {within_2x(rpy_v, rpy_v):.2f}"
    )


BEST_KEYS = ("trial", "objective", "score", "model_kwargs")  # of best_hyperparameters.json


def read_best(path):
    """The dict of a search's `best_hyperparameters.json`; `ValueError` saying what is wrong."""
    try:
        with open(path) as f:
            best = json.load(f)
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"is not JSON ({e})") from None
    if not isinstance(best, dict):
        raise ValueError(f"holds a {type(best).__name__}, not a JSON object")
    missing = [k for k in BEST_KEYS if k not in best]
    if missing:
        raise ValueError(f"has no {', '.join(missing)} (keys: {', '.join(map(str, best))})")
    if not isinstance(best["model_kwargs"], dict):
        raise ValueError(f"has model_kwargs {best['model_kwargs']!r}, not a JSON object")
    return best


def tuned_from(path, seeds, units=1000, train_steps=4000):
    """Scores the best setting of an `rnnzoo tune mackey_glass_esn` search over `seeds` seeds.

    `path` is the search's `best_hyperparameters.json`. The search scored trials on the
    validation split (steps 4000-5000 of the series); these start points are those of the
    recipe's test split (steps 5000-7000: the recipe's `nrmse84`), which no trial saw.
    """
    import zoo
    from zoo.models.esn import free_run_nrmse

    best = read_best(path)
    values = {k: v for k, v in best["model_kwargs"].items() if k != "seed"}
    values.setdefault("units", units)
    s = _series(train_steps)
    test_start = train_steps + 1000  # the recipe's test split
    starts = test_start + np.linspace(WARMUP - 1, 2000 - HORIZON - 1, STARTS).astype(int)
    x, y = s[None, :train_steps, None], s[None, 1 : train_steps + 1, None]
    nrmse = []
    for seed in range(seeds):
        model = zoo.models.esn(**{**values, "seed": seed})
        model.fit_readout(x, y, washout=HP["washout"])
        with np.errstate(over="ignore", invalid="ignore"):
            nrmse.append(free_run_nrmse(model, s, starts, HORIZON, WARMUP))
    shown = _shown(values)
    print(
        f"rnn-zoo tuned by `rnnzoo tune` (best trial {best['trial']}: {best['objective']} "
        f"{best['score']:.3g} on the validation split): {shown}\n  test NRMSE84 "
        f"({values['units']} units, {train_steps} steps, {STARTS} start points of the test "
        f"split): mean {np.mean(nrmse):.2e}, max "
        f"{np.max(nrmse):.2e} over {seeds} seeds ({', '.join(f'{v:.1e}' for v in nrmse)})"
        f"{_diverged_note(nrmse)}"
    )


def _fmt(values):
    return " ".join(f"{v:8.1e}" for v in values)


def _diverged(nrmse):
    """The seeds (indices) whose free run diverged: NRMSE84 above 1 or not finite.

    An NRMSE84 above 1 is worse than predicting the series' mean at every start point.
    """
    return [i for i, v in enumerate(nrmse) if not (np.isfinite(v) and v <= 1)]


def _diverged_note(nrmse, name="rnn-zoo"):
    """`""`, or `"; diverged: NAME seeds 1, 3 (NRMSE84 ...)"` for the seeds `_diverged` names."""
    bad = _diverged(nrmse)
    if not bad:
        return ""
    seeds = ", ".join(f"{i} ({nrmse[i]:.1e})" for i in bad)
    return (
        f"; free run diverged (NRMSE84 > 1: worse than predicting the mean): {name} "
        f"seed{'s' if len(bad) > 1 else ''} {seeds}"
    )


def _ratio_summary(num, den):
    """`mean ratio R, worst seed W` over the seeds where neither free run diverged."""
    bad = sorted(set(_diverged(num)) | set(_diverged(den)))
    kept = [i for i in range(len(num)) if i not in bad]
    if not kept:
        return "no seed where neither free run diverged: no ratio"
    num, den = np.asarray(num)[kept], np.asarray(den)[kept]
    text = f"mean ratio {num.mean() / den.mean():.3g}, worst seed {(num / den).max():.3g}"
    if bad:
        text += f" (diverged seed{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} left out)"
    return text


def compare(size, setting, seeds, repeats):
    """Runs both libraries on one size and setting and prints the figures."""
    units, steps = map(int, size.split("x"))
    s = _series(steps)
    times = {lib: [] for lib in LIBS}
    scores = {lib: [] for lib in LIBS}
    same = []
    for seed in range(seeds):
        for rep in range(repeats):
            order = list(LIBS) if (seed + rep) % 2 == 0 else list(LIBS)[::-1]
            for lib in order:
                fit, score = LIBS[lib]
                seconds, fitted = fit(units, steps, setting, seed, s)
                times[lib].append(seconds)
                if rep == 0:
                    scores[lib].append(score(fitted, steps, s))
                    if lib == "reservoirpy" and setting == "pinned":
                        _, twin = fit_zoo(units, steps, setting, seed, s, rpy_weights(fitted))
                        same.append(score_zoo(twin, steps, s)[0])
    nrmse = {lib: np.array([v[0] for v in scores[lib]]) for lib in LIBS}
    radius = {lib: np.array([v[1] for v in scores[lib]]) for lib in LIBS}
    zn, rn = nrmse["rnn-zoo"], nrmse["reservoirpy"]
    print(f"\n{size} {setting}: NRMSE84 per seed {list(range(seeds))}")
    for lib in LIBS:
        v = nrmse[lib]
        print(f"  {lib:>26} {_fmt(v)}   mean {v.mean():.2e} max {v.max():.2e}")
    print(f"  {'ratio zoo/rpy':>26} {_fmt(zn / rn)}   {_ratio_summary(zn, rn)}")
    if same:
        same = np.array(same)
        print(
            f"  {'rnn-zoo, reservoirpy W/Win':>26} {_fmt(same)}   mean {same.mean():.2e} "
            f"max {same.max():.2e}"
        )
        print(f"  {'ratio (same reservoir)':>26} {_fmt(same / rn)}   {_ratio_summary(same, rn)}")
    for lib in LIBS:
        if _diverged(nrmse[lib]):
            print(f"  {_diverged_note(nrmse[lib], lib)[2:]}")
    if len(same) and _diverged(same):
        print(f"  {_diverged_note(same, 'rnn-zoo on reservoirpy W/Win')[2:]}")
    for lib in LIBS:
        r = radius[lib]
        print(
            f"  realised spectral radius {lib:>11}: {r.min():.6f} to {r.max():.6f} (error up to "
            f"{np.abs(r - HP['spectral_radius']).max():.1e})"
        )
    zt, rt = (np.median(times[lib], axis=0) for lib in LIBS)
    peak = {lib: _memory(lib, size, setting) for lib in LIBS}
    print(
        f"  construction + harvest + fit, median of {len(times['rnn-zoo'])}: wall rnn-zoo "
        f"{zt[0]:.3f} s, reservoirpy {rt[0]:.3f} s, ratio {zt[0] / rt[0]:.2f}; CPU rnn-zoo "
        f"{zt[1]:.3f} s, reservoirpy {rt[1]:.3f} s, ratio {zt[1] / rt[1]:.2f}"
    )
    print(
        f"  peak memory of one fit: rnn-zoo {peak['rnn-zoo']:.1f} MB, reservoirpy "
        f"{peak['reservoirpy']:.1f} MB"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seeds", type=int, default=5, help="reservoir seeds, 0..N-1 (default: %(default)s)"
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="timed fits per seed and library (default: 1)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads in both libraries (default 1; 0 leaves the BLAS default): a threaded "
        "BLAS on a machine with more busy threads than cores spends most of its time waiting",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        metavar="UNITSxSTEPS",
        help=f"reservoir units x training steps (more than the washout, {HP['washout']}); "
        f"default: {' '.join(SIZES)}, and {FACTORY_SIZE} with --factory-defaults",
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=("pinned", "defaults"),
        default=["pinned", "defaults"],
        help="pinned: the same settings in both; defaults: each library's own (default: both)",
    )
    parser.add_argument(
        "--factory-defaults",
        action="store_true",
        help=f"only measure rnn-zoo's factory defaults (at --sizes; default {FACTORY_SIZE})",
    )
    parser.add_argument(
        "--tuned",
        type=int,
        metavar="TRIALS",
        help="only tune rnn-zoo's ESN (1000 units) with its own tuner, closed-form readout",
    )
    parser.add_argument(
        "--distribution",
        type=int,
        metavar="SEEDS",
        help="only compare the two libraries' NRMSE84 over SEEDS seeds (pinned, each size)",
    )
    parser.add_argument(
        "--tuned-from",
        metavar="JSON",
        help="only score the best_hyperparameters.json of `rnnzoo tune mackey_glass_esn`",
    )
    parser.add_argument("--child-lib", help=argparse.SUPPRESS)
    parser.add_argument("--child-size", help=argparse.SUPPRESS)
    parser.add_argument("--child-setting", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for flag, minimum in (("seeds", 1), ("repeats", 1), ("blas_threads", 0)):
        if getattr(args, flag) < minimum:
            parser.error(
                f"--{flag.replace('_', '-')} must be at least {minimum}, got {getattr(args, flag)}"
            )
    for flag in ("tuned", "distribution"):  # None: not given
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}")
    for flag in ("tuned", "tuned_from"):
        if args.sizes is not None and getattr(args, flag) is not None:
            fixed = "units from the JSON, the recipe's" if flag == "tuned_from" else "1000 units,"
            parser.error(
                f"--sizes does not apply to --{flag.replace('_', '-')} ({fixed} 4000 training "
                f"steps), got --sizes {' '.join(args.sizes)}"
            )
    if args.sizes is None:
        args.sizes = [FACTORY_SIZE] if args.factory_defaults else list(SIZES)
    for size in args.sizes:
        if not re.fullmatch(r"[1-9][0-9]*x[1-9][0-9]*", size):
            parser.error(f"--sizes takes UNITSxSTEPS values such as 500x4000, got {size!r}")
        if int(size.split("x")[1]) <= HP["washout"]:
            parser.error(
                f"--sizes: the training steps must be more than the washout ({HP['washout']} "
                f"steps), got {size!r}"
            )
    if args.tuned_from:
        if not os.path.isfile(args.tuned_from):
            parser.error(
                f"--tuned-from must be a best_hyperparameters.json, got {args.tuned_from!r} "
                "(no such file)"
            )
        try:
            read_best(args.tuned_from)
        except ValueError as e:
            parser.error(
                f"--tuned-from must be the best_hyperparameters.json of `rnnzoo tune`, got "
                f"{args.tuned_from!r}, which {e}"
            )
    warnings.filterwarnings("ignore", message=".*ill-conditioned")  # ridge 1e-10, by design
    if args.child_lib:
        return _child(args)
    sys.path.insert(0, ROOT)
    needs_reservoirpy = not (args.factory_defaults or args.tuned is not None or args.tuned_from)
    if needs_reservoirpy and importlib.util.find_spec("reservoirpy") is None:
        parser.error(
            "the comparison needs reservoirpy (not an rnn-zoo dependency): pip install "
            "reservoirpy==0.4.2; --factory-defaults, --tuned and --tuned-from run without it"
        )
    if args.factory_defaults:
        for size in args.sizes:
            factory_defaults(args.seeds, *map(int, size.split("x")))
        return None
    if args.tuned is not None:
        return tuned(args.tuned, args.seeds)
    if args.tuned_from:
        return tuned_from(args.tuned_from, args.seeds)
    if args.distribution is not None:
        for size in args.sizes:
            distribution(size, args.distribution)
        return None
    threads = BLAS_THREADS if BLAS_THREADS != "0" else "the BLAS default"
    print(
        f"Mackey-Glass tau=17, sr {HP['spectral_radius']}, leak {HP['leak_rate']}, input scaling "
        f"{HP['input_scaling']}, ridge {HP['ridge']}, washout {HP['washout']}; NRMSE84 over "
        f"{STARTS} start points; {args.seeds} seeds; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; BLAS threads: {threads}"
    )
    _warm_up(_series(300))
    for size in args.sizes:
        for setting in args.settings:
            compare(size, setting, args.seeds, args.repeats)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
