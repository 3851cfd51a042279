"""TFDS builder for the Mackey-Glass chaotic time series, on Jaeger's protocol.

The delay differential equation `dy/dt = a·y(t-τ) / (1 + y(t-τ)^n) - b·y(t)` (a=0.2, b=0.1, n=10)
is integrated by Euler's method with step 0.1; every 10th point is kept (one sample per time unit)
and squashed with `tanh(y - 1)`, as in Jaeger (2001) and Jaeger & Haas (2004). The initial history
is drawn from a fixed seed per config, and the first 1000 samples (the transient) are discarded.

One trajectory per config is cut into three consecutive parts: `train` (4000 steps), `validation`
(1000) and `test` (2000). Each split holds one example: `x` the series `(T, 1)` and `y` the same
series one step ahead (teacher forcing for one-step prediction).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

from zoo.validation import check_positive_float, check_positive_int

BASE_SEED = 2001
SPLITS = {"train": 4000, "validation": 1000, "test": 2000}
TRANSIENT = 1000
_BYTES = tfds.features.Encoding.BYTES

_DESCRIPTION = """\
The Mackey-Glass delay differential equation (Mackey & Glass 1977) on Jaeger's protocol: a=0.2,
b=0.1, n=10, Euler steps of 0.1, every 10th point kept, squashed with tanh(y - 1), the first
1000 samples discarded. At tau=17 the series is mildly chaotic: the classic benchmark of
free-running forecasts (NRMSE at 84 steps, Jaeger 2001).

Configs `tau17` (default) and `tau30` set the delay. One trajectory per config, seeded, cut into
consecutive parts: train (4000 steps), validation (1000), test (2000). Each split holds one
example: `x` of shape (T, 1) and `y`, the same series one step ahead.
"""

_CITATION = """\
@article{jaeger2004harnessing,
  title   = {Harnessing Nonlinearity: Predicting Chaotic Systems and Saving Energy in
             Wireless Communication},
  author  = {Jaeger, Herbert and Haas, Harald},
  journal = {Science},
  volume  = {304},
  number  = {5667},
  pages   = {78--80},
  year    = {2004},
  doi     = {10.1126/science.1091277}
}
"""


@dataclasses.dataclass(eq=False)
class MackeyGlassConfig(tfds.core.BuilderConfig):
    """Builder config for Mackey-Glass.

    Attributes:
        tau: the delay τ of the equation (17: mildly chaotic; 30: more chaotic).

    Example:
        >>> config = MackeyGlassConfig(name="tau23", tau=23, description="tau = 23.")
        >>> config.name, config.tau
        ('tau23', 23)
    """

    tau: int = 17


def mackey_glass(length, tau=17, seed=0, a=0.2, b=0.1, n=10, dt=0.1, subsample=10):
    """Integrates Mackey-Glass on Jaeger's protocol and returns `length` squashed samples.

    Args:
        length: samples to return (after the 1000-sample transient).
        tau: the delay τ, a positive multiple of `dt`.
        seed: seed of the initial history (uniform in [1.1, 1.3]).
        a: production rate.
        b: decay rate.
        n: the nonlinearity's exponent.
        dt: Euler step, > 0.
        subsample: keep every `subsample`-th Euler point (a positive int).

    Returns:
        A float64 array of shape `(length,)`: `tanh(y - 1)` at one sample per `dt * subsample`,
        from the first Euler step on (t = dt, dt + dt * subsample, ...: with the defaults,
        t = k + 0.1 after the transient; the phase of the sampling grid is a convention).

    Example:
        >>> s = mackey_glass(500, tau=17, seed=0)
        >>> s.shape, bool(-1 < s.min() < s.max() < 1)
        ((500,), True)
    """
    length = check_positive_int("length", length)
    tau = check_positive_float("tau", tau)
    dt = check_positive_float("dt", dt)
    subsample = check_positive_int("subsample", subsample)
    delay = int(round(tau / dt))
    if delay < 1 or abs(delay * dt - tau) > 1e-9 * max(1.0, tau):
        raise ValueError(
            f"tau must be a positive multiple of dt={dt} (the delay is a whole number of Euler "
            f"steps), got tau={tau!r}."
        )
    total = (TRANSIENT + length) * subsample
    rng = np.random.default_rng(np.random.SeedSequence([BASE_SEED, seed]))
    y = np.empty(delay + total + 1)
    y[: delay + 1] = rng.uniform(1.1, 1.3, delay + 1)
    values = y.tolist()  # plain floats: a Python loop over a list is several times faster here
    for i in range(delay, delay + total):
        lagged = values[i - delay]
        values[i + 1] = values[i] + dt * (a * lagged / (1.0 + lagged**n) - b * values[i])
    y = np.asarray(values[delay + 1 :])[::subsample]
    return np.tanh(y[TRANSIENT : TRANSIENT + length] - 1.0)


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for the Mackey-Glass series (offline, seeded).

    Example:
        >>> import tempfile
        >>> [c.name for c in Builder.BUILDER_CONFIGS], str(Builder.VERSION), Builder.OFFLINE
        (['tau17', 'tau30'], '1.0.0', 'yes')
        >>> builder = Builder(config="tau17", data_dir=tempfile.mkdtemp())  # nothing built yet
        >>> builder.info.features["x"].shape, SPLITS
        ((None, 1), {'train': 4000, 'validation': 1000, 'test': 2000})
    """

    VERSION = tfds.core.Version("1.0.0")
    OFFLINE = "yes"  # generated here: builds offline
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        MackeyGlassConfig(name="tau17", tau=17, description="tau = 17 (mildly chaotic)."),
        MackeyGlassConfig(name="tau30", tau=30, description="tau = 30 (more chaotic)."),
    ]
    DEFAULT_CONFIG_NAME = "tau17"

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    # BYTES keeps float64 exact (TFDS's default FloatList holds float32).
                    "x": tfds.features.Tensor(shape=(None, 1), dtype=np.float64, encoding=_BYTES),
                    "y": tfds.features.Tensor(shape=(None, 1), dtype=np.float64, encoding=_BYTES),
                }
            ),
            supervised_keys=("x", "y"),
            homepage="https://doi.org/10.1126/science.1091277",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split; nothing is downloaded."""
        del dl_manager
        series = mackey_glass(sum(SPLITS.values()) + 1, tau=self.builder_config.tau)
        out, start = {}, 0
        for name, n in SPLITS.items():
            out[name] = self._generate_examples(series[start : start + n + 1])
            start += n
        return out

    def _generate_examples(self, part: np.ndarray) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """Yields the split's one example: the series and the series one step ahead."""
        yield 0, {"x": part[:-1, None], "y": part[1:, None]}
