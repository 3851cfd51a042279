"""Input pipelines: batching with padding or by length, shared by the recipes and the tuner."""

from zoo.data.bucketing import bucket_by_length, quantile_boundaries, sequence_length
from zoo.data.pipeline import batches

__all__ = ["batches", "bucket_by_length", "quantile_boundaries", "sequence_length"]
