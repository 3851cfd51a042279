"""TFDS builder for digit addition: the question "535+61" and its answer "596", as strings.

Each operand has 1 to ``digits`` digits (the number of digits drawn uniformly first, then the
digits, as in keras.io's addition example). A question and its mirror (``a+b`` and ``b+a``) count
as one: every unordered pair ``{a, b}`` appears at most once in the whole dataset, shown in one of
its two orders at random, so no test or validation question (in either order) is ever seen in
training. Generated offline from a fixed seed per config: building twice gives identical records.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

from zoo.datasets.splits import shuffled_splits
from zoo.validation import check_nonnegative_int, check_positive_int

BASE_SEED = 20150

_DESCRIPTION = """\
Addition of two non-negative integers written in decimal, as text: the question "535+61", the
answer "596". Operands have 1 to `digits` digits (the length is drawn uniformly, then the digits).
`a+b` and `b+a` count as one question: each unordered pair appears once in the whole dataset, in
one of its orders, so test and validation questions are never seen in training. Offline and
seeded. Configs `d3` (1-3 digits, the keras.io example's setting) and `d5` (1-5 digits). Splits:
train (50,000), validation (5,000), test (5,000).
"""


@dataclasses.dataclass(eq=False)
class DigitAdditionConfig(tfds.core.BuilderConfig):
    """Builder config for digit addition.

    Attributes:
        digits: the most digits of an operand (at least 1).

    Example:
        >>> config = DigitAdditionConfig(name="d2", digits=2, description="1 to 2 digits.")
        >>> config.name, config.digits
        ('d2', 2)
    """

    digits: int = 3


def draw_pairs(n: int, digits: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Draws ``n`` distinct unordered operand pairs, each in a random order.

    Args:
        n: number of pairs.
        digits: the most digits of an operand.
        rng: the NumPy generator to draw from.

    Returns:
        ``n`` pairs ``(a, b)``; no two share the same unordered pair ``{a, b}``.

    Raises:
        TypeError: ``n`` or ``digits`` is not an int.
        ValueError: ``digits < 1``, ``n < 0``, or ``n`` more than there are distinct pairs.

    Example:
        >>> import numpy as np
        >>> pairs = draw_pairs(55, 1, np.random.default_rng(0))  # all pairs of one digit
        >>> len(pairs), len({(min(a, b), max(a, b)) for a, b in pairs}), max(map(max, pairs))
        (55, 55, 9)
        >>> draw_pairs(56, 1, np.random.default_rng(0))
        Traceback (most recent call last):
        ...
        ValueError: n=56 is more than the 55 pairs of 1 digits
    """
    n = check_nonnegative_int("n", n)
    digits = check_positive_int("digits", digits)
    top = 10**digits
    if n > top * (top + 1) // 2:
        raise ValueError(f"n={n} is more than the {top * (top + 1) // 2} pairs of {digits} digits")
    seen, pairs = set(), []
    while len(pairs) < n:
        lengths = rng.integers(1, digits + 1, size=(2 * n, 2))
        values = np.floor(rng.random((2 * n, 2)) * 10.0**lengths).astype(np.int64)
        for a, b in values.tolist():
            key = (min(a, b), max(a, b))
            if key not in seen:
                seen.add(key)
                pairs.append((a, b))
                if len(pairs) == n:
                    break
    return pairs


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for digit addition (split sizes are class attributes).

    Example:
        >>> import tempfile
        >>> [c.name for c in Builder.BUILDER_CONFIGS], str(Builder.VERSION), Builder.OFFLINE
        (['d3', 'd5'], '1.1.0', 'yes')
        >>> Builder(config="d3", data_dir=tempfile.mkdtemp()).info.supervised_keys
        ('question', 'answer')
    """

    VERSION = tfds.core.Version("1.1.0")
    OFFLINE = "yes"  # generated here: builds offline
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Splits cut from the shuffled draw: d3's test had 0.6% one-digit first "
        "operands to train's 9.8% (the rare short pairs were used up in training).",
    }
    BUILDER_CONFIGS = [
        DigitAdditionConfig(name="d3", digits=3, description="Operands of 1 to 3 digits."),
        DigitAdditionConfig(name="d5", digits=5, description="Operands of 1 to 5 digits."),
    ]
    DEFAULT_CONFIG_NAME = "d3"
    BASE_SEED = BASE_SEED
    NUM_TRAIN = 50_000
    NUM_VALIDATION = 5_000
    NUM_TEST = 5_000

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {"question": tfds.features.Text(), "answer": tfds.features.Text()}
            ),
            supervised_keys=("question", "answer"),
            homepage="https://keras.io/examples/nlp/addition_rnn/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Draws every split's pairs at once (disjoint), shuffled before they are cut; offline."""
        del dl_manager
        digits = self.builder_config.digits
        seed = np.random.SeedSequence([self.BASE_SEED, digits, zlib.crc32(b"digit_addition")])
        sizes = {"train": self.NUM_TRAIN, "validation": self.NUM_VALIDATION, "test": self.NUM_TEST}
        rng = np.random.default_rng(seed)
        pairs = draw_pairs(sum(sizes.values()), digits, rng)
        return {
            name: self._generate_examples(part)
            for name, part in shuffled_splits(pairs, sizes, rng).items()
        }

    def _generate_examples(self, pairs) -> Iterator[tuple[int, dict[str, str]]]:
        """Yields ``(key, {"question", "answer"})`` for each pair."""
        for i, (a, b) in enumerate(pairs):
            yield i, {"question": f"{a}+{b}", "answer": str(a + b)}
