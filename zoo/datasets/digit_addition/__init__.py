"""Digit addition ("535+61" -> "596") as a TFDS dataset."""
