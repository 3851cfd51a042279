"""Sequence reversal ("abc" -> "cba") as a TFDS dataset."""
