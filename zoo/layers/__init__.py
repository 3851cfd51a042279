"""Custom layers: the Echo State `Reservoir` (and its `ReservoirCell`), the audio front end."""

from zoo.layers.audio import LogMel, SpecAugment
from zoo.layers.reservoir import Reservoir, ReservoirCell

__all__ = ["LogMel", "Reservoir", "ReservoirCell", "SpecAugment"]
