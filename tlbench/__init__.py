"""tlbench: a reproducible benchmark suite for transfer learning from pre-trained CNNs."""

__version__ = "0.1.0"
