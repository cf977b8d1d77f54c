"""Builds the profile stage's compiled hot path (workers/profiles/_hot.pyx) with Cython.

Everything else about the package is in pyproject.toml. ``pip install -e .`` (``make setup``)
runs this; the module is optional at run time (workers/profiles/hot.py falls back to the
Python reference), but the test suite requires it to be built.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("workers.profiles._hot", ["workers/profiles/_hot.pyx"])],
        compiler_directives={"language_level": "3"},
    ),
)
