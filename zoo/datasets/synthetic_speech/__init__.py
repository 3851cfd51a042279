"""Synthetic speech (eSpeak NG, offline) as a TFDS dataset: digit strings split by voice."""
