"""The Free Spoken Digit Dataset (FSDD) as a TFDS dataset, split by speaker; shared file reading."""
