"""Recipes: one short declaration per pairing of a model and a TFDS dataset.

Run one with `rnnzoo run NAME` or `python -m recipes.NAME`; `rnnzoo list` shows them all.
"""
