"""Sequential MNIST with a GRU: each 28×28 digit read as 28 steps of 28 pixels.

Downloads MNIST through TFDS (internet needed once, or `--data-dir` with a prepared copy).
"""

import tensorflow as tf

from zoo.training import Recipe, main


def rows_as_steps(image, label):
    """(28, 28, 1) uint8 image → (28, 28) float32 sequence of rows in [0, 1]."""
    return tf.cast(tf.squeeze(image, -1), tf.float32) / 255.0, label


RECIPE = Recipe(
    name="mnist_gru",
    model="gru",
    dataset="mnist",
    task="classification",
    model_kwargs=dict(input_shape=(28, 28), num_classes=10, units=128),
    description="sequential MNIST (rows as time steps), GRU",
    preprocess=rows_as_steps,
    validation_split=None,  # carved from train (10%): MNIST has no validation split
    epochs=5,
    batch_size=128,
    monitor="val_accuracy",
)

if __name__ == "__main__":
    main(RECIPE)
