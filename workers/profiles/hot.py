"""Which implementation runs the profile stage's per-event work: compiled or Python.

``_hot`` (workers/profiles/_hot.pyx, built by ``pip install -e .``) is a Cython translation
of the Python reference in decode.py, logic.py, cooc.py and engine.py that gives exactly its
results at several times its speed. Without it (not built, or ``COPYFLOW_PROFILES_COMPILED=0``)
the Python code runs, as it did before the extension existed; ``IMPLEMENTATION`` says
which, and the worker logs it at start and the benchmark prints it.
"""

from __future__ import annotations

import os
from types import ModuleType

ENV = "COPYFLOW_PROFILES_COMPILED"


def _load() -> tuple[ModuleType | None, str]:
    try:
        from workers.profiles import _hot
    except ImportError as exc:
        return None, f"python (compiled path not built: {exc})"
    return _hot, "compiled"


module, _why = _load()
BUILT = module is not None


def enabled() -> bool:
    """Is the compiled path built and not switched off (``COPYFLOW_PROFILES_COMPILED=0``)?"""
    return module is not None and os.environ.get(ENV, "1") != "0"


def implementation() -> str:
    """'compiled', or 'python (…why…)': what a ProfileEngine made now runs."""
    if module is not None and not enabled():
        return f"python ({ENV}=0)"
    return _why
