"""TFDS dataset builders shipped with rnn-zoo.

Importing this package registers every builder with TensorFlow Datasets, so that e.g.
``tfds.load("adding_problem/t200")`` works afterwards. The builders generate their data offline
(`synthetic_speech` with eSpeak NG, from the `[speech]` extra), except `fsdd` and
`spoken_digit_strings`, which read the Free Spoken Digit Dataset's recordings from the manual
folder (``--manual-dir``) or download its archive when there is none.
"""

from zoo.datasets.adding_problem import adding_problem_dataset_builder  # noqa: F401
from zoo.datasets.digit_addition import digit_addition_dataset_builder  # noqa: F401
from zoo.datasets.fsdd import fsdd_dataset_builder  # noqa: F401
from zoo.datasets.mackey_glass import mackey_glass_dataset_builder  # noqa: F401
from zoo.datasets.sequence_reversal import sequence_reversal_dataset_builder  # noqa: F401
from zoo.datasets.spoken_digit_strings import spoken_digit_strings_dataset_builder  # noqa: F401
from zoo.datasets.synthetic_speech import synthetic_speech_dataset_builder  # noqa: F401
