"""TFDS builder for sequence reversal: a random string of letters and the same string reversed.

The source is a string of 1 to ``max_length`` letters drawn uniformly from the first
``alphabet_size`` lowercase letters; the target is the source reversed. A classic check of an
encoder-decoder's memory (Sutskever et al. 2014) and of what attention adds: without it the whole
string must pass through the encoder's final state. Generated offline from a fixed seed per
config; every source is distinct across all splits, so the test measures strings never seen in
training (the shortest lengths, with few possible strings, are correspondingly rarer).
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

from zoo.datasets.splits import shuffled_splits
from zoo.validation import check_nonnegative_int, check_positive_int

BASE_SEED = 20140

_DESCRIPTION = """\
Sequence reversal: the source is a random string of 1 to `max_length` letters (from the first
`alphabet_size` lowercase letters), the target the same string reversed. Offline and seeded;
no source appears twice, within a split or across splits.
Configs `l10` (up to 10 letters) and `l30` (up to 30), both over 10 letters. Splits: train
(20,000), validation (2,000) and test (2,000).
"""


@dataclasses.dataclass(eq=False)
class SequenceReversalConfig(tfds.core.BuilderConfig):
    """Builder config for sequence reversal.

    Attributes:
        max_length: the longest source string (at least 1).
        alphabet_size: how many lowercase letters are used (1 to 26).

    Example:
        >>> config = SequenceReversalConfig(name="l5", max_length=5, alphabet_size=3)
        >>> config.name, config.max_length, config.alphabet_size
        ('l5', 5, 3)
    """

    max_length: int = 10
    alphabet_size: int = 10


def draw_strings(n: int, max_length: int, alphabet_size: int, rng: np.random.Generator):
    """Draws ``n`` distinct random strings of 1 to ``max_length`` letters.

    Each draw takes a length uniformly, then its letters; a string drawn before is drawn again,
    so short lengths, which hold few strings, end up rarer than long ones.

    Args:
        n: number of strings.
        max_length: the longest string (at least 1).
        alphabet_size: letters used, from ``a`` on (1 to 26).
        rng: the NumPy generator to draw from.

    Returns:
        A list of ``n`` distinct strings.

    Raises:
        TypeError: ``n``, ``max_length`` or ``alphabet_size`` is not an int.
        ValueError: ``max_length < 1``, ``alphabet_size`` outside 1 to 26, ``n < 0``, or more
            strings asked for than exist.

    Example:
        >>> import numpy as np
        >>> sorted(draw_strings(12, 2, 3, np.random.default_rng(0)))  # all 3 + 9 of them
        ['a', 'aa', 'ab', 'ac', 'b', 'ba', 'bb', 'bc', 'c', 'ca', 'cb', 'cc']
        >>> draw_strings(13, 2, 3, np.random.default_rng(0))
        Traceback (most recent call last):
        ...
        ValueError: asked for 13 distinct strings, but only 12 exist of 1 to 2 letters over 3
    """
    n = check_nonnegative_int("n", n)
    max_length = check_positive_int("max_length", max_length)
    if check_positive_int("alphabet_size", alphabet_size) > 26:
        raise ValueError(f"alphabet_size must be in 1..26, got {alphabet_size}")
    possible = sum(alphabet_size**k for k in range(1, max_length + 1))
    if n > possible:
        raise ValueError(
            f"asked for {n} distinct strings, but only {possible} exist of 1 to {max_length} "
            f"letters over {alphabet_size}"
        )
    letters = np.array(list(string.ascii_lowercase[:alphabet_size]))
    seen: dict[str, None] = {}
    while len(seen) < n:
        for k in rng.integers(1, max_length + 1, size=n - len(seen)):
            seen.setdefault("".join(rng.choice(letters, size=k)), None)
    return list(seen)[:n]


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for sequence reversal (split sizes are class attributes).

    Example:
        >>> import tempfile
        >>> [c.name for c in Builder.BUILDER_CONFIGS], str(Builder.VERSION), Builder.OFFLINE
        (['l10', 'l30'], '1.2.0', 'yes')
        >>> Builder(config="l10", data_dir=tempfile.mkdtemp()).info.supervised_keys
        ('source', 'target')
    """

    VERSION = tfds.core.Version("1.2.0")
    OFFLINE = "yes"  # generated here: builds offline
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Sources distinct across splits (30% of l10's test sources were in train).",
        "1.2.0": "Splits cut from the shuffled draw (the rare short sources had been used up "
        "in training).",
    }
    BUILDER_CONFIGS = [
        SequenceReversalConfig(name="l10", max_length=10, description="Up to 10 letters."),
        SequenceReversalConfig(name="l30", max_length=30, description="Up to 30 letters."),
    ]
    DEFAULT_CONFIG_NAME = "l10"
    BASE_SEED = BASE_SEED
    NUM_TRAIN = 20_000
    NUM_VALIDATION = 2_000
    NUM_TEST = 2_000

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {"source": tfds.features.Text(), "target": tfds.features.Text()}
            ),
            supervised_keys=("source", "target"),
            homepage="https://arxiv.org/abs/1409.3215",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split; nothing is downloaded.

        The splits are cut from one shuffled draw of distinct strings, so none shares a source
        and all follow one distribution.
        """
        del dl_manager
        c = self.builder_config
        sizes = {"train": self.NUM_TRAIN, "validation": self.NUM_VALIDATION, "test": self.NUM_TEST}
        seed = np.random.SeedSequence([self.BASE_SEED, c.max_length, c.alphabet_size])
        rng = np.random.default_rng(seed)
        strings = draw_strings(sum(sizes.values()), c.max_length, c.alphabet_size, rng)
        return {
            name: self._generate_examples(part)
            for name, part in shuffled_splits(strings, sizes, rng).items()
        }

    def _generate_examples(self, strings: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """Yields ``(key, {"source", "target"})`` pairs of one split's strings."""
        for i, s in enumerate(strings):
            yield i, {"source": s, "target": s[::-1]}
