"""Custom layers: the Echo State `Reservoir`, the audio front ends, masked pooling, text."""

from zoo.layers.audio import LogMel, SpecAugment
from zoo.layers.pooling import LastUnmaskedStep
from zoo.layers.reservoir import Reservoir, ReservoirCell
from zoo.layers.speech_embedding import SpeechEmbedding
from zoo.layers.text import AtLeastOneStep

__all__ = [
    "AtLeastOneStep",
    "LastUnmaskedStep",
    "LogMel",
    "Reservoir",
    "ReservoirCell",
    "SpecAugment",
    "SpeechEmbedding",
]
