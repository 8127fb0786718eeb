"""tlbench: a reproducible benchmark suite for transfer learning from pre-trained CNNs."""
