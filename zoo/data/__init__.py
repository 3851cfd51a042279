"""Input pipelines: batching with padding, shared by the recipes and the tuner."""

from zoo.data.pipeline import batches

__all__ = ["batches"]
