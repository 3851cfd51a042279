"""Spoken digit strings (FSDD recordings of one speaker joined with pauses) as a TFDS dataset."""
