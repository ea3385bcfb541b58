"""The baselines (the ``baselines`` extra): PyTorch and scikit-learn models, training, plateau evidence, export.

The Python API: :func:`export` (``advisor.baselines.export(MODEL, quantize="int8")``; the function, which
shadows its module's name here: import the module's other names with ``from advisor.baselines.export import
...``). This package imports nothing heavy itself.
"""

from .export import export

__all__ = ["export"]
