"""The built-in picker policy, as plugins: each module implements the same hooks a third party would.

The engine registers these modules itself (``advisor.engine.DEFAULT_PLUGINS``). Measured facts the rules
cite come from the project's crossover study (``../shared/research/crossover.md`` in the development tree;
the figures are restated in each rule's docs so an installed copy stands on its own).
"""

CROSSOVER = (
    "Crossover study (shared/research/crossover.md): five public sentence-classification sets, stratified "
    "samples of 50-2,500 labeled examples, test accuracy mean ± std over 2-3 seeds."
)
