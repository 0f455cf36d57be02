"""Root pytest configuration: settings for the doctests collected from ``src/leafloaf``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_scalar_repr(request: pytest.FixtureRequest) -> Iterator[None]:
    """Doctests show numpy scalars as Python's (``True``, not ``np.True_``) on numpy 1 and 2."""
    doctest = type(request.node).__name__ == "DoctestItem"
    if not doctest or np.lib.NumpyVersion(np.__version__) < "2.0.0":
        yield
        return
    with np.printoptions(legacy="1.25"):
        yield
