"""IMDB sentiment from raw text with a two-layer bidirectional LSTM (keras.io's anchor example).

The model holds its own `TextVectorization` layer, adapted on the training reviews, so the saved
model answers `model.predict(["a great film"])`. Downloads `imdb_reviews` through TFDS.
"""

from zoo.training import Recipe, main

RECIPE = Recipe(
    name="imdb_bilstm",
    model="bidirectional",
    dataset="imdb_reviews",
    task="binary",
    model_kwargs=dict(
        cell="lstm",
        text=True,
        vocab_size=20000,
        sequence_length=200,
        embedding_dim=128,
        units=64,
        num_layers=2,
    ),
    description="IMDB reviews, raw text in, 2-layer bidirectional LSTM",
    validation_split=None,  # carved from train (10%); test is the held-out 25,000 reviews
    epochs=2,
    batch_size=32,
    monitor="val_accuracy",
)

if __name__ == "__main__":
    main(RECIPE)
