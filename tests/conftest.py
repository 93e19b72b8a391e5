"""Suite-wide set-up (fixtures live next to the tests that use them).

Bytecode, compiled once per run. Many tests start the product as real processes
(``python -m microcred …``, ``microcred serve``, the reliability workers), well over a hundred
per run. In a fresh clone, or wherever ``PYTHONDONTWRITEBYTECODE`` is set, each of them would
compile every module of ``src/microcred`` from source again: about 0.5 s of CPU per process
before it does anything. The controlling pytest process compiles them once, before any test
or pytest-xdist worker starts; Python checks every cached file against its source's size and
modification time, so a module edited during the run is compiled afresh, as without a cache.
The helper modules of ``tests/`` that those processes import are compiled the same way.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent


def _product_folder() -> Path | None:
    spec = importlib.util.find_spec("microcred")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller did it
        return
    for folder in (_product_folder(), _TESTS):
        if folder is not None:
            # quiet=2: a folder we may not write to (an installed package) is no error
            compileall.compile_dir(folder, quiet=2, workers=1)
