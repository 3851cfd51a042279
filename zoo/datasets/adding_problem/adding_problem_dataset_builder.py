"""TFDS builder for the adding problem (Hochreiter & Schmidhuber, 1997).

Each example is a sequence of ``T`` steps with two channels: channel 0 holds values drawn
uniformly from ``[0, 1)`` and channel 1 is a marker that is 1 at exactly two steps, one in
the first half of the sequence and one in the second half. The target is the sum of the two
marked values. The data is generated offline and deterministically: every split of every
config is drawn from its own fixed seed, so building the dataset twice gives identical
records.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

from zoo.validation import check_nonnegative_int, check_positive_int

BASE_SEED = 19970

_DESCRIPTION = """\
The adding problem (Hochreiter & Schmidhuber, 1997), a classic long-range dependency task.

Each example `x` has shape `(T, 2)`: channel 0 holds values drawn uniformly from [0, 1),
channel 1 is a 0/1 marker with exactly two ones, one placed uniformly at random in the first
half of the sequence and one in the second half. The target `y` is the sum of the two marked
values. The data is generated offline with NumPy, from a fixed seed per config and split,
so the dataset is reproducible bit for bit.

Trivial baseline: always predicting 1.0 gives a mean squared error of about 1/6 = 0.167
(the variance of the sum of two independent U(0, 1) variables); a model has to do clearly
better than that to have learnt the task.

Configs `t50`, `t200` and `t400` set the sequence length T. Splits: train (10,000),
validation (1,000) and test (1,000) examples.
"""

_CITATION = """\
@article{hochreiter1997long,
  title     = {Long Short-Term Memory},
  author    = {Hochreiter, Sepp and Schmidhuber, J{\\"u}rgen},
  journal   = {Neural Computation},
  volume    = {9},
  number    = {8},
  pages     = {1735--1780},
  year      = {1997},
  publisher = {MIT Press},
  doi       = {10.1162/neco.1997.9.8.1735}
}
"""


@dataclasses.dataclass(eq=False)
class AddingProblemConfig(tfds.core.BuilderConfig):
    """Builder config for the adding problem.

    Attributes:
        length: Sequence length T (number of time steps per example); at least 2.

    Example:
        >>> config = AddingProblemConfig(name="t10", length=10, description="10 steps.")
        >>> config.name, config.length
        ('t10', 10)
    """

    length: int = 200


def generate(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draws ``n`` adding-problem examples at once.

    Args:
        n: Number of examples.
        length: Sequence length T (at least 2).
        rng: NumPy random generator to draw from.

    Returns:
        A pair ``(x, y)``: ``x`` is float32 of shape ``(n, length, 2)`` (values, markers) and
        ``y`` is float32 of shape ``(n,)``, the sum of the two marked values of each example.

    Raises:
        TypeError: If ``n`` or ``length`` is not an int.
        ValueError: If ``length`` is less than 2 or ``n`` is negative.

    Example:
        >>> import numpy as np
        >>> x, y = generate(3, 10, np.random.default_rng(0))
        >>> x.shape, y.shape, x[:, :, 1].sum(axis=1).tolist()  # two markers each
        ((3, 10, 2), (3,), [2.0, 2.0, 2.0])
        >>> bool(np.allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1)))  # the marked sum
        True
    """
    if check_positive_int("length", length) < 2:
        raise ValueError(f"length must be an int >= 2, got {length!r}")
    n = check_nonnegative_int("n", n)
    half = length // 2
    values = rng.random((n, length), dtype=np.float32)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, length), dtype=np.float32)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


def split_seed(split: str, length: int, base_seed: int = BASE_SEED) -> np.random.SeedSequence:
    """Returns the fixed seed sequence of one split of one config.

    Args:
        split: Split name, e.g. ``"train"``.
        length: Sequence length of the config.
        base_seed: Base seed shared by all splits.

    Returns:
        A seed sequence derived from the base seed, the length and the split name (via CRC32,
        which, unlike ``hash``, is stable across processes).

    Example:
        >>> import numpy as np
        >>> split_seed("train", 50).entropy, split_seed("test", 50).entropy
        ([19970, 50, 1550247075], [19970, 50, 3632233996])
        >>> draw = lambda: generate(2, 50, np.random.default_rng(split_seed("train", 50)))[1]
        >>> bool((draw() == draw()).all())  # the same examples in every process
        True
    """
    return np.random.SeedSequence([base_seed, length, zlib.crc32(split.encode("utf-8"))])


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for the adding problem.

    Split sizes are class attributes, so a subclass can change them (a subclass gets its own
    TFDS name, derived from its class name).

    Example:
        >>> import tempfile
        >>> [c.name for c in Builder.BUILDER_CONFIGS], str(Builder.VERSION), Builder.OFFLINE
        (['t200', 't50', 't400'], '1.0.0', 'yes')
        >>> Builder.NUM_TRAIN, Builder.NUM_VALIDATION, Builder.NUM_TEST
        (10000, 1000, 1000)
        >>> builder = Builder(config="t50", data_dir=tempfile.mkdtemp())  # nothing built yet
        >>> builder.info.features["x"].shape, builder.info.supervised_keys
        ((50, 2), ('x', 'y'))
    """

    VERSION = tfds.core.Version("1.0.0")
    OFFLINE = "yes"  # generated here: builds offline
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        AddingProblemConfig(name="t200", length=200, description="Sequences of 200 steps."),
        AddingProblemConfig(name="t50", length=50, description="Sequences of 50 steps."),
        AddingProblemConfig(name="t400", length=400, description="Sequences of 400 steps."),
    ]
    DEFAULT_CONFIG_NAME = "t200"

    DESCRIPTION = _DESCRIPTION
    CITATION = _CITATION
    HOMEPAGE = "https://doi.org/10.1162/neco.1997.9.8.1735"
    BASE_SEED = BASE_SEED
    NUM_TRAIN = 10_000
    NUM_VALIDATION = 1_000
    NUM_TEST = 1_000

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        length = self.builder_config.length
        return tfds.core.DatasetInfo(
            builder=self,
            description=self.DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "x": tfds.features.Tensor(shape=(length, 2), dtype=np.float32),
                    "y": tfds.features.Tensor(shape=(), dtype=np.float32),
                }
            ),
            supervised_keys=("x", "y"),
            homepage=self.HOMEPAGE,
            citation=self.CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split; nothing is downloaded.

        Args:
            dl_manager: Unused download manager.

        Returns:
            A dict mapping split names to example generators.
        """
        del dl_manager
        sizes = {
            "train": self.NUM_TRAIN,
            "validation": self.NUM_VALIDATION,
            "test": self.NUM_TEST,
        }
        return {name: self._generate_examples(name, n) for name, n in sizes.items()}

    def _generate_examples(self, split: str, n: int) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """Yields the examples of one split.

        Args:
            split: Split name, used to derive the split's seed.
            n: Number of examples.

        Yields:
            ``(key, example)`` pairs with integer keys ``0 .. n - 1``.
        """
        length = self.builder_config.length
        rng = np.random.default_rng(split_seed(split, length, self.BASE_SEED))
        x, y = generate(n, length, rng)
        for i in range(n):
            yield i, {"x": x[i], "y": y[i]}
