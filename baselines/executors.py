"""Where independent runs execute: ``local`` (one after another, in this process) or ``ray`` (a Ray task each).

``advisor compare`` runs its (candidate, seed) trials through it and ``advisor study`` its units (seed x
configuration); both gather the results by the index of the spec, never by completion order, so what they
write does not depend on the executor (the ``ray`` extra's tests compare the two byte for byte, timings aside).

* :func:`runner` returns ``run(specs)``, which yields ``(index, fn(spec))`` as runs finish: in order locally, in
  completion order on Ray. Under Ray, ``fn`` must be a module-level function and the specs plain data (they are
  pickled to the workers); each task asks for ``cpus(spec)`` CPUs and, with ``gpus``, one GPU (a Ray
  worker sees only the GPU it was given, through ``CUDA_VISIBLE_DEVICES``).
* :func:`ray_session` joins the cluster named by ``RAY_ADDRESS`` when set, else starts a local instance
  (``ray_cpus`` CPUs, default all of this machine's; no dashboard; ``RAY_TMPDIR`` as its temp folder when set) and
  shuts down what it started. Inside an already initialised Ray (a test's, a notebook's) it uses that one and
  leaves it running.

Without the ``ray`` extra, ``runner("ray", ...)`` and :func:`require` raise :class:`~advisor.baselines.api.ExtraMissing` naming
:data:`RAY_INSTALL`, before any work. On a cluster of several machines every path in a spec (data files, output
folders) must be one that every machine sees.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

RAY_INSTALL = "pip install 'text-encoder-advisor[ray]'"

Spec = Mapping[str, Any]
Run = Callable[[Sequence[Spec]], Iterator[tuple[int, Any]]]


def require(name: str) -> None:
    """:class:`~advisor.baselines.api.ExtraMissing` naming :data:`RAY_INSTALL` when ``name`` is ray and the ``ray``
    extra is not installed; nothing otherwise."""
    if name != "ray":
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        from .api import ExtraMissing

        raise ExtraMissing(f"--executor ray needs the 'ray' extra: {RAY_INSTALL}") from None


def runner(
    name: str,
    fn: Callable[[Spec], Any],
    *,
    cpus: Callable[[Spec], int] = lambda spec: 1,
    gpus: bool | None = None,
) -> Run:
    """``run(specs)``: yields ``(index, fn(specs[index]))`` as the runs finish (``name``: local or ray).
    ``gpus``: one GPU per Ray task (None: when this machine has CUDA; False for runs that train on the CPU)."""
    if name == "local":

        def run_local(specs: Sequence[Spec]) -> Iterator[tuple[int, Any]]:
            for i, spec in enumerate(specs):
                yield i, fn(spec)

        return run_local
    require(name)
    import ray

    def run_ray(specs: Sequence[Spec]) -> Iterator[tuple[int, Any]]:
        if gpus is None:
            import torch

            use_gpu = torch.cuda.is_available()
        else:
            use_gpu = gpus
        task = ray.remote(num_cpus=1, num_gpus=1 if use_gpu else 0)(fn)
        refs = [task.options(num_cpus=cpus(spec)).remote(spec) for spec in specs]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield index[ref], ray.get(ref)

    return run_ray


@contextlib.contextmanager
def ray_session(executor: str, ray_cpus: int | None = None) -> Iterator[None]:
    """Join ``RAY_ADDRESS`` when set, else start a local instance; shut down what this started."""
    if executor != "ray":
        yield
        return
    import ray

    if ray.is_initialized():
        yield
        return
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False)
    else:
        kwargs: dict[str, Any] = {}
        if os.environ.get("RAY_TMPDIR"):
            kwargs["_temp_dir"] = os.environ["RAY_TMPDIR"]
        ray.init(
            num_cpus=ray_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            **kwargs,
        )
    try:
        yield
    finally:
        ray.shutdown()
