"""Learning-rate schedules as Keras callbacks, for a recipe's `callbacks` hook.

`WarmupCosine` warms the rate up, then decays it over the run's own length (`--epochs`).
"""

import keras
import numpy as np

from zoo.validation import check_positive_float


class WarmupCosine(keras.callbacks.Callback):
    """Linear warm-up then cosine decay of the learning rate over the run's own length.

    It logs `learning_rate` (its `reports`) at each epoch's end.

    Unlike a schedule fixed when the model is compiled, it stretches with `--epochs`: the decay
    spans `epochs × steps per epoch` of the `fit` call (the steps counted during the first epoch
    when the dataset does not know its length, e.g. when batched by length). The rate follows
    the optimizer's step counter, so a resumed run picks up where it stopped.

    Args:
        peak: the learning rate after the warm-up.
        warmup_steps: steps of the linear warm-up from 0.
        floor: the final learning rate.

    Example:
        >>> cb = WarmupCosine(1e-3, warmup_steps=10)
        >>> [round(cb.rate(step, total=100), 6) for step in (0, 5, 10, 55, 100)]
        [0.0001, 0.0006, 0.001, 0.0005, 0.0]
    """

    def __init__(self, peak, warmup_steps=100, floor=0.0):
        super().__init__()
        self.peak = check_positive_float("peak", peak)
        self.warmup_steps = int(warmup_steps)
        self.floor = float(floor)
        self._steps_per_epoch, self._seen = None, 0

    @classmethod
    def from_model(cls, model, warmup_steps=100, floor=0.0):
        """The schedule peaking at the learning rate `model` was compiled with.

        Call it on the freshly built model (as a recipe's `callbacks` hook is), before a resumed
        run restores the optimizer's last rate.
        """
        # convert_to_numpy: under tf.distribute the rate is a MirroredVariable, which float()
        # refuses
        peak = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        return cls(peak, warmup_steps=warmup_steps, floor=floor)

    def rate(self, step, total=None):
        """The learning rate at optimizer step `step` of a run of `total` steps (or unknown).

        Example:
            >>> cb = WarmupCosine(1e-3, warmup_steps=10, floor=1e-5)
            >>> cb.rate(4), cb.rate(50)  # warming up; then the peak while the length is unknown
            (0.0005, 0.001)
            >>> round(cb.rate(55, total=100), 6), cb.rate(100, total=100)  # halfway; the end
            (0.000505, 1e-05)
        """
        if step < self.warmup_steps:
            return self.peak * (step + 1) / self.warmup_steps
        if not total or total <= self.warmup_steps:
            return self.peak
        progress = min(1.0, (step - self.warmup_steps) / (total - self.warmup_steps))
        return self.floor + 0.5 * (self.peak - self.floor) * (1 + float(np.cos(np.pi * progress)))

    reports = ("learning_rate",)  # what it adds to the logs (a search checks its objective)

    def on_train_begin(self, logs=None):
        """Reads the run's length, when the data knows it."""
        self._steps_per_epoch = self.params.get("steps")

    def on_epoch_end(self, epoch, logs=None):
        """Learns the steps per epoch from the first epoch when the data did not say."""
        if not self._steps_per_epoch:
            self._steps_per_epoch = self._seen
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)

    def on_train_batch_begin(self, batch, logs=None):
        """Sets the optimizer's learning rate for this step."""
        self._seen = batch + 1
        total = self._steps_per_epoch * self.params["epochs"] if self._steps_per_epoch else None
        step = int(self.model.optimizer.iterations.numpy())
        self.model.optimizer.learning_rate = self.rate(step, total)
