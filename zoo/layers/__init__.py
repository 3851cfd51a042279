"""Custom layers: the Echo State `Reservoir`, the audio front end, masked pooling."""

from zoo.layers.audio import LogMel, SpecAugment
from zoo.layers.pooling import LastUnmaskedStep
from zoo.layers.reservoir import Reservoir, ReservoirCell

__all__ = ["LastUnmaskedStep", "LogMel", "Reservoir", "ReservoirCell", "SpecAugment"]
