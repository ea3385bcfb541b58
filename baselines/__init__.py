"""The training toolkit (``advisor.baselines``) and its Python API: ``train``, ``plateau``, ``evaluate``,
``predict`` and ``TrainResult`` (:mod:`advisor.baselines.api`), and ``export`` (the ONNX exporter,
:func:`advisor.baselines.export.export`), loaded on first use, so ``import advisor.baselines`` loads neither
torch nor numpy.

Three of the API's names are also modules of this package (``train.py``: the training loop; ``plateau.py``: the
evidence writer; ``export.py``: the exporter). The package attribute is always the API function: importing those modules (``from
advisor.baselines.train import fit``, as the toolkit does) does not rebind it (:class:`_Package`). Reach the
modules by ``from advisor.baselines.train import ...`` or ``importlib.import_module``, never as attributes.
"""

from __future__ import annotations

import sys
import types

API = ("train", "plateau", "evaluate", "predict", "TrainResult", "FloorCheck", "export")


class _Package(types.ModuleType):
    """This package's module type: the import system's ``setattr(package, "train", <module>)`` after loading
    a submodule of an API name is ignored, so ``advisor.baselines.train`` stays the function."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> object:
        if name in API:
            if name == "export":
                from advisor.baselines.export import export as value
            else:
                from advisor.baselines import api

                value = getattr(api, name)
            super().__setattr__(name, value)
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
__all__ = list(API)
