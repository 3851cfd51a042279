"""The adding problem (Hochreiter & Schmidhuber, 1997) as a TFDS dataset."""
