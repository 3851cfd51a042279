"""Custom layers: the Echo State `Reservoir` (and its `ReservoirCell`)."""

from zoo.layers.reservoir import Reservoir, ReservoirCell

__all__ = ["Reservoir", "ReservoirCell"]
