"""Output files: renamed over a regular file (or written where none was), never over a device.

``census.util.outputs.write_output`` on its own, then the commands that write files a user
names (`census print -o`, `census export`, `census worklog report -o`) in real processes.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from census.util.outputs import write_output

CENSUS = [sys.executable, "-m", "census"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data_dir), CENSUS_FSYNC="false")
    return subprocess.run([*CENSUS, *args], capture_output=True, text=True, env=env, timeout=180)


class FifoReader:
    """Read everything written into a FIFO, on a thread (opening it blocks until a writer)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def result(self, timeout: float = 120) -> bytes:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "nothing closed the FIFO"
        return self.data


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- the helper --------------------------------------------------------------------------


def test_a_regular_target_is_replaced_by_a_rename(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    target.chmod(0o640)
    before = target.stat().st_ino
    write_output(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert target.stat().st_ino != before  # a new file took its name: never half-written
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # with the old file's permissions
    assert _leftovers(tmp_path) == []


def test_a_missing_target_is_created_and_a_writer_gets_a_seekable_file(tmp_path):
    target = tmp_path / "new.bin"

    def writer(fh):
        assert fh.seekable()
        fh.write(b"abc")

    write_output(target, writer)
    assert target.read_bytes() == b"abc"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_a_failing_writer_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")

    def broken(fh):
        fh.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_output(target, broken)
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_symlink_to_a_regular_file_stays_a_link(tmp_path):
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_output(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_dev_null_stays_a_character_device():
    write_output("/dev/null", b"x" * 100_000)
    write_output("/dev/null", lambda fh: fh.write(b"y"))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_node_and_a_link_to_it_are_written_in_place(tmp_path):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    link = tmp_path / "out.pdf"
    link.symlink_to(device)
    write_output(device, b"data")
    write_output(link, lambda fh: fh.write(b"data"))
    assert stat.S_ISCHR(os.lstat(device).st_mode) and link.is_symlink()
    assert _leftovers(tmp_path) == []


def test_a_fifo_receives_the_bytes(tmp_path):
    fifo = tmp_path / "pipe"
    reader = FifoReader(fifo)
    payload = os.urandom(300_000)  # more than a pipe holds: the reader must be reading
    write_output(fifo, payload)
    assert reader.result() == payload
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)

    reader = FifoReader(tmp_path / "pipe2")
    write_output(reader.path, lambda fh: fh.write(payload))
    assert reader.result() == payload


# -- the commands ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("outputs") / "data"
    assert run(data, "init").returncode == 0
    loaded = run(data, "demo", "--households", "12")
    assert loaded.returncode == 0, loaded.stderr
    return data


def test_print_to_dev_null_succeeds_and_leaves_it_a_device(demo_dir):
    printed = run(demo_dir, "print", "household-list", "--building", "1栋", "-o", "/dev/null")
    assert printed.returncode == 0, printed.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not Path("/dev/null.tmp").exists()


def test_print_replaces_a_regular_file(demo_dir, tmp_path):
    target = tmp_path / "list.pdf"
    target.write_bytes(b"an old printout")
    before = target.stat().st_ino
    printed = run(demo_dir, "print", "household-list", "--building", "1栋", "-o", str(target))
    assert printed.returncode == 0, printed.stderr
    assert target.read_bytes().startswith(b"%PDF") and target.stat().st_ino != before
    assert _leftovers(tmp_path) == []


def test_print_into_a_fifo(demo_dir, tmp_path):
    reader = FifoReader(tmp_path / "list.pdf")
    printed = run(demo_dir, "print", "household-list", "--building", "1栋", "-o", str(reader.path))
    assert printed.returncode == 0, printed.stderr
    assert reader.result().startswith(b"%PDF")


def test_export_into_a_fifo_and_through_a_link_to_dev_null(demo_dir, tmp_path):
    reader = FifoReader(tmp_path / "all.xlsx")
    exported = run(demo_dir, "export", str(reader.path))
    assert exported.returncode == 0, exported.stderr
    book = load_workbook(io.BytesIO(reader.result()), read_only=True)
    assert len(book.sheetnames) >= 4
    assert stat.S_ISFIFO(os.stat(reader.path).st_mode)

    reader = FifoReader(tmp_path / "members.csv")
    exported = run(demo_dir, "export", str(reader.path))
    assert exported.returncode == 0, exported.stderr
    assert reader.result().startswith("\ufeff".encode())  # the BOM Excel needs

    link = tmp_path / "nowhere.xlsx"
    link.symlink_to("/dev/null")
    exported = run(demo_dir, "export", str(link))
    assert exported.returncode == 0, exported.stderr
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_export_replaces_a_regular_file(demo_dir, tmp_path):
    target = tmp_path / "all.xlsx"
    target.write_bytes(b"old")
    exported = run(demo_dir, "export", str(target))
    assert exported.returncode == 0, exported.stderr
    assert zipfile.is_zipfile(target) and _leftovers(tmp_path) == []


def test_worklog_report_into_a_fifo_and_a_link_to_dev_null(demo_dir, tmp_path):
    reader = FifoReader(tmp_path / "report.pdf")
    written = run(demo_dir, "worklog", "report", "-o", str(reader.path))
    assert written.returncode == 0, written.stderr
    assert reader.result().startswith(b"%PDF")

    link = tmp_path / "report.xlsx"
    link.symlink_to("/dev/null")
    written = run(demo_dir, "worklog", "report", "-o", str(link))
    assert written.returncode == 0, written.stderr
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_backup_to_standard_output_and_to_dev_null(demo_dir):
    env = dict(os.environ, CENSUS_DATA_DIR=str(demo_dir), CENSUS_FSYNC="false")
    piped = subprocess.run([*CENSUS, "backup", "/dev/stdout"], capture_output=True, env=env)
    assert piped.returncode == 0, piped.stderr
    with tarfile.open(fileobj=io.BytesIO(piped.stdout), mode="r:gz") as tar:
        assert "manifest.json" in tar.getnames()
    assert "content hash" in piped.stderr.decode()  # the report keeps out of the archive
    nulled = run(demo_dir, "backup", "/dev/null")
    assert nulled.returncode == 0, nulled.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
