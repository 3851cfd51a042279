"""Custom layers: the Echo State `Reservoir`, the audio front ends, masked pooling."""

from zoo.layers.audio import LogMel, SpecAugment
from zoo.layers.pooling import LastUnmaskedStep
from zoo.layers.reservoir import Reservoir, ReservoirCell
from zoo.layers.speech_embedding import SpeechEmbedding

__all__ = [
    "LastUnmaskedStep",
    "LogMel",
    "Reservoir",
    "ReservoirCell",
    "SpecAugment",
    "SpeechEmbedding",
]
