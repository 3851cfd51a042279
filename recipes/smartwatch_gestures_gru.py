"""Arm gestures from a smartwatch's accelerometer (`smartwatch_gestures`) with a 2-layer GRU.

`smartwatch_gestures` (Costante et al. 2014, downloaded by TFDS): 8 users performed each of 20
gestures (left, right, circles, squares, V shapes, squiggles...) 20 times with a first-generation
Sony SmartWatch on the right wrist: 3,200 sequences of 3-axis accelerations, each as long as the
gesture took. TFDS ships one `train` split; the recipe cuts it into 70% training, 15% validation
and 15% test by position, not by user, so a user's other repetitions can be in training: a
user-dependent evaluation. TFDS reads the recordings with pandas when it prepares the
dataset: `pip install pandas` first.

Each step is the (x, y, z) acceleration divided by standard gravity, 9.80665 (in g if the
readings are in m/s², as Android reports them). Sequences keep their own lengths: batches group
similar lengths (`buckets`) and pad with zeros, which the model masks (`mask_value=0.0`), so the
GRU reads each gesture's last real step.
"""

import tensorflow as tf

from zoo.training import Recipe, main

GESTURES = 20
AXES = ("accel_x", "accel_y", "accel_z")
STANDARD_GRAVITY = 9.80665


def accelerations(features, gesture):
    """The recipe's `preprocess`: TFDS's per-step features to `(steps, 3)` float32 in g.

    Args:
        features: the TFDS `features` dict of per-step arrays (`accel_x`, `accel_y`, `accel_z`
            and three clocks, unused).
        gesture: the gesture id, passed through.

    Example:
        >>> f = {a: tf.constant([0.0, 9.80665], tf.float64) for a in AXES}
        >>> x, y = accelerations(f, 3)
        >>> x.numpy().tolist(), y
        ([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], 3)
    """
    steps = tf.stack([features[a] for a in AXES], axis=-1) / STANDARD_GRAVITY
    return tf.cast(steps, tf.float32), gesture


RECIPE = Recipe(
    name="smartwatch_gestures_gru",
    model="gru",
    dataset="smartwatch_gestures",
    task="classification",
    model_kwargs=dict(
        input_shape=(None, len(AXES)),
        mask_value=0.0,
        num_classes=GESTURES,
        units=64,
        num_layers=2,
        dropout=0.1,
    ),
    description="smartwatch gestures, 20 arm gestures from 3-axis accelerations: 2-layer GRU",
    preprocess=accelerations,
    train_split="train[:70%]",
    validation_split="train[70%:85%]",
    test_split="train[85%:]",
    epochs=60,
    batch_size=32,
    buckets=8,
    monitor="val_accuracy",
    early_stopping=15,
)

if __name__ == "__main__":
    main(RECIPE)
