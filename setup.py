# A shim: the project's metadata, dependencies and entry points are in pyproject.toml ([project]).
from setuptools import setup

setup()
