"""Cutting one draw of distinct examples into splits that follow the same distribution."""

from __future__ import annotations


def shuffled_splits(items, sizes, rng):
    """Cuts `items` into splits of `sizes`, after shuffling them with `rng`.

    The generated builders draw their examples one by one, keeping distinct ones only, so the
    rarest kinds (the few short strings, the few pairs of one-digit operands) are used up early
    in the draw: cut in order, the training split got nearly all of them and the test split
    almost none. Shuffled first, every split is a sample of the same draw.

    Args:
        items: the drawn examples, a list.
        sizes: `{split name: size}`, in order; the sizes sum to at most `len(items)`.
        rng: the NumPy generator to shuffle with.

    Returns:
        `{split name: list of items}`.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> out = shuffled_splits(list(range(10)), {"train": 6, "test": 4}, rng)
        >>> len(out["train"]), sorted(out["train"] + out["test"]) == list(range(10))
        (6, True)
    """
    if sum(sizes.values()) > len(items):
        raise ValueError(f"splits of {sizes} need {sum(sizes.values())} items, got {len(items)}.")
    order = rng.permutation(len(items))
    out, start = {}, 0
    for name, n in sizes.items():
        out[name] = [items[i] for i in order[start : start + n]]
        start += n
    return out
