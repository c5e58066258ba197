"""Every Python package folder ships in the wheel: pyproject lists packages explicitly (adapters/ is
installed as mmcl.adapters and recipes/ as mmcl.recipes), so a new folder must be added there."""

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"mmcl": "mmcl", "adapters": "mmcl.adapters", "recipes": "mmcl.recipes"}


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, package in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((package, *relative)))
    assert found == listed
