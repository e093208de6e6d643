"""The one build step pyproject.toml cannot say: what a wheel carries besides the code.

A built package carries the checkout's top-level ``forms/`` and ``templates/`` as
``census/_product/forms`` and ``census/_product/templates`` (where
``census.util.resources`` looks once the package is installed), and the catalogues compiled
from ``census/translations/*/LC_MESSAGES/messages.po`` to ``messages.mo``: the running app
never writes into its package. An editable install (``make install``) keeps reading the
checkout's folders and compiles the catalogues in place (``python -m census.translations``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PRODUCT_FOLDERS = ("forms", "templates")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*~")


def compile_catalogs(folder: Path) -> None:
    """``messages.po`` → ``messages.mo`` under ``folder`` (Babel, as the app reads them)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        with open(po_path, "rb") as fh:
            catalog = read_po(fh)
        with open(po_path.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)


class build_py_with_product(build_py):  # noqa: N801 - named like the command it extends
    """``build_py``, then the product folders and the compiled catalogues into the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout itself
        package = Path(self.build_lib) / "census"
        for name in PRODUCT_FOLDERS:
            target = package / "_product" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=IGNORED)
        compile_catalogs(package / "translations")


setup(cmdclass={"build_py": build_py_with_product})
