"""dual-random: reproducible random-inspection draws for 双随机、一公开.

The package is library first; ``dualrandom.cli`` is a thin layer on top.
``dualrandom.core`` is the pure, specified draw (no I/O); everything else
stores, imports, publishes and schedules around it.
"""

__version__ = "0.1.0"
