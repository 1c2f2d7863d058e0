"""Package discovery, the one thing pyproject.toml cannot say: every package under
oppforms/ is found (a new subpackage needs no entry anywhere), and the shipped forms, kept
in forms/ at the top of the repository, install as ``oppforms.forms``. Everything else is
in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["oppforms", "oppforms.*"]), "oppforms.forms"],
    package_dir={"oppforms.forms": "forms"},
)
