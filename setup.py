"""Package discovery, the one thing pyproject.toml cannot say: every package under
oppforms/ is found (a new subpackage needs no entry anywhere), and the shipped forms, kept
in forms/ at the top of the repository, install as ``oppforms.forms``. Everything else is
in pyproject.toml."""

import warnings

from setuptools import find_packages, setup

try:
    from setuptools.warnings import InformationOnly
except ImportError:  # setuptools before the notice existed
    InformationOnly = Warning

# setuptools (84 and later) ends every editable install of a project whose package sits at
# its top with a notice framed in "!!" ("be careful with folders in your working directory
# with the same name as your package"): here that folder is the package itself. A newcomer
# running the README's set-up reads the frame as a broken install, so this one notice,
# information only by setuptools' own name, is not shown.
warnings.filterwarnings("ignore", message=r"Editable installation\.", category=InformationOnly)

setup(
    packages=[*find_packages(include=["oppforms", "oppforms.*"]), "oppforms.forms"],
    package_dir={"oppforms.forms": "forms"},
)
