"""The package as people install it: a wheel built from this checkout, run far away from it.

The wheel goes into a fresh virtual environment in a temporary folder. Its dependencies are
not downloaded again: a ``.pth`` file lets that environment import the libraries of the one
running the tests, and only the wheel itself is installed. The commands then run from an
empty folder, with no PYTHONPATH, as someone who installed the package would run them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from census.demo.generate import generate_demo
from census.store import StoreError, open_store

CHECKOUT = Path(__file__).resolve().parents[1]
PRODUCT_FOLDERS = ("forms", "templates")
BUILDING = "1栋"

# Run by the environment's interpreter in the empty folder: where census was imported from,
# where it looks for its folders, and whether `census --help` imported psycopg (an extra).
PROBE = """
import json, re, sys
import census
from census.cli import main
from census.util import resources
try:
    main(["--help"], prog_name="census")
except SystemExit as stop:
    code = stop.code
psycopg = sorted(m for m in sys.modules if m.split(".")[0] in ("psycopg", "psycopg_pool"))
from census.app import create_app
client = create_app({"SECRET_KEY": "probe", "DATA_DIR": "web-data"}).test_client()
pages = {lang: client.get("/login?lang=" + lang).get_data(as_text=True) for lang in ("zh", "en")}
print(json.dumps({
    "help_exit": code,
    "psycopg": psycopg,
    "census": census.__file__,
    "checkout": None if resources.CHECKOUT is None else str(resources.CHECKOUT),
    "templates": str(resources.TEMPLATES_DIR),
    "forms": str(resources.FORMS_DIR),
    "data_dir": str(resources.default_data_dir()),
    "titles": {lang: re.findall("<title>(.*?)</title>", page) for lang, page in pages.items()},
    "static": client.get("/static/app.css").status_code,
}))
"""


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or a failure that shows what it printed."""
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def product_files(name: str) -> set[str]:
    """The files of a top-level product folder, as the wheel should carry them."""
    folder = CHECKOUT / name
    return {
        f"census/_product/{name}/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and not path.name.endswith(("~", ".pyc"))
    }


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder`` with its size and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in [folder, *folder.rglob("*")]
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from this checkout as `python -m build` builds them
    (the wheel from the unpacked sdist), with this environment's setuptools and Babel."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(CHECKOUT)], out)
    return out


@pytest.mark.slow
def test_the_wheel_carries_the_package_and_the_product_folders_and_nothing_else(dist):
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in PRODUCT_FOLDERS:
        expected = product_files(name)
        assert expected and expected <= names, sorted(expected - names)[:10]
    for needed in (
        "census/__init__.py",
        "census/static/app.css",
        "census/static/icons/icon-192.png",
        "census/data/ethnicity_gb3304.csv",
        "census/translations/en/LC_MESSAGES/messages.mo",
        "census/_product/forms/registers.yaml",
        "census/_product/templates/print/household_list.html",
    ):
        assert needed in names, needed
    assert all(n.startswith(("census/", "community_census-")) for n in names), sorted(
        n for n in names if not n.startswith(("census/", "community_census-"))
    )
    assert not [n for n in names if "/storage/" in n or n.startswith(("tests/", "storage/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    (sdist,) = dist.glob("*.tar.gz")
    assert sdist.stat().st_size > 0


@pytest.mark.slow
def test_the_installed_wheel_runs_in_an_empty_folder_and_never_writes_into_itself(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    venv, empty = tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    # Installed before the .pth exists: pip must not see (nor touch) this environment's own
    # editable install of the package.
    install = ["install", "--no-deps", "--no-index", "--quiet", str(wheel)]
    run([sys.executable, "-m", "pip", "--python", str(python), *install], tmp_path)
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).strip()
    )
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    package = site / "census"
    before = listing(package)

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
        and not key.startswith("CENSUS_")
    }
    census = str(venv / "bin" / "census")
    assert "print" in run([census, "--help"], empty, env)
    run([census, "init"], empty, env)
    run([census, "demo"], empty, env)
    run([census, "print", "household-list", "--building", BUILDING, "-o", "x.pdf"], empty, env)
    probe = json.loads(run([str(python), "-c", PROBE], empty, env).splitlines()[-1])

    # The data folder is the current folder's storage/, not anything in the package.
    assert (empty / "storage").is_dir() and any((empty / "storage").iterdir())
    assert probe["data_dir"] == str(empty / "storage")
    # The package came from the environment, and found its folders inside itself.
    assert probe["census"] == str(package / "__init__.py")
    assert probe["checkout"] is None
    assert probe["templates"] == str(package / "_product" / "templates")
    assert probe["forms"] == str(package / "_product" / "forms")
    assert probe["help_exit"] == 0
    assert probe["psycopg"] == []  # the PostgreSQL driver is only imported for a URL
    # The templates, the compiled English catalogue and the static files are there.
    assert probe["titles"]["zh"][0].startswith("登录"), probe["titles"]
    assert probe["titles"]["en"][0].startswith("Log in"), probe["titles"]
    assert probe["static"] == 200

    reader = PdfReader(empty / "x.pdf")
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    demo = generate_demo()  # what `census demo` loaded (same seed)
    printed = [h for h in demo["households"] if h["building"] == BUILDING]
    others = [h for h in demo["households"] if h["building"] != BUILDING]
    assert BUILDING in text and printed and others
    for household in printed:
        head = next(m for m in household["members"] if m["relation"] == "head")
        assert household["household_no"] in text and head["name"] in text, household
        assert head["id_number"] not in text  # ID numbers are masked
    assert not [h["household_no"] for h in others if h["household_no"] in text]

    assert listing(package) == before, "the installed package folder was written to"


def test_a_postgresql_url_without_psycopg_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` fails as if absent
    monkeypatch.delitem(sys.modules, "census.store.pgstore", raising=False)
    with pytest.raises(StoreError, match=re.escape("pip install 'community-census[postgres]'")):
        open_store("postgresql://census@127.0.0.1:1/census")
