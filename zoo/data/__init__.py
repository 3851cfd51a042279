"""Input pipelines: batching with padding or by length, speech examples for CTC models."""

from zoo.data.bucketing import bucket_by_length, quantile_boundaries, sequence_length
from zoo.data.pipeline import batches
from zoo.data.speech import VOCABULARY, make_speech_examples

__all__ = ["batches", "bucket_by_length", "quantile_boundaries", "sequence_length"]
__all__ += ["VOCABULARY", "make_speech_examples"]
