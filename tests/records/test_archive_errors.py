"""``ctid recording import`` and ``ctid fax import`` of a file that is not a ctid
archive: a clear error naming the file, no traceback, and nothing changed (no state
directory, no database made). Both commands share ``ctid.records.archive``."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from ctid.cli import main
from ctid.records.archive import ArchiveError, place_file

KINDS = [("recording", "recordings"), ("fax", "fax")]


def config(tmp_path: Path) -> Path:
    path = tmp_path / "ctid.toml"
    path.write_text(f'[server]\nstate_dir = "{tmp_path / "state"}"\n[records]\nfsync = false\n')
    return path


def tar_of(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(("command", "what"), KINDS)
def test_import_of_a_file_that_is_not_a_tar_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, what: str
) -> None:
    broken = tmp_path / "backup.tar"
    broken.write_bytes(b"nothing like a tar file")
    assert main([command, "import", "--config", str(config(tmp_path)), str(broken)]) == 2
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", f"error: {broken}: not a tar archive\n")
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(("command", "what"), KINDS)
def test_import_of_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, what: str
) -> None:
    missing = tmp_path / "nosuch.tar"
    assert main([command, "import", "--config", str(config(tmp_path)), str(missing)]) == 2
    assert capsys.readouterr().err == f"error: {missing}: No such file or directory\n"
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(("command", "what"), KINDS)
def test_import_of_a_tar_without_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, what: str
) -> None:
    archive = tar_of(tmp_path / "other.tar", {"readme.txt": b"hello"})
    assert main([command, "import", "--config", str(config(tmp_path)), str(archive)]) == 1
    assert capsys.readouterr().err == (
        f"error: {archive}: no manifest.json: not a ctid {what} archive\n"
    )


@pytest.mark.parametrize(
    ("command", "manifest", "problem"),
    [
        (
            "recording",
            {
                "format": "ctid-recordings/1",
                "recordings": [{"path": "../../etc/passwd", "sha256": "0" * 64}],
                "calls": [],
                "legs": [],
            },
            "'../../etc/passwd' would leave the recordings directory",
        ),
        (
            "fax",
            {"format": "ctid-faxes/1", "files": {"../x.tiff": "0" * 64}},
            "'../x.tiff' would leave the fax directory",
        ),
        ("recording", {"format": "ctid-faxes/1"}, "unknown archive format 'ctid-faxes/1'"),
        (
            "recording",
            {"format": "ctid-recordings/1", "recordings": [{"path": "a.wav"}]},
            "not a ctid recordings archive ('sha256')",
        ),
    ],
)
def test_import_of_a_damaged_archive(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    manifest: dict[str, object],
    problem: str,
) -> None:
    archive = tar_of(tmp_path / "bad.tar", {"manifest.json": json.dumps(manifest).encode()})
    assert main([command, "import", "--config", str(config(tmp_path)), str(archive)]) == 1
    assert capsys.readouterr().err == f"error: {archive}: {problem}\n"


def test_a_file_that_does_not_match_its_sha256_is_not_placed(tmp_path: Path) -> None:
    archive = tar_of(tmp_path / "a.tar", {"faxes/in/1.tiff": b"image"})
    directory = tmp_path / "faxes"
    with tarfile.open(archive) as tar, pytest.raises(ArchiveError) as info:
        place_file(tar, archive, directory, "faxes", "in/1.tiff", "0" * 64, what="fax")
    assert str(info.value) == f"{archive}: in/1.tiff does not match its SHA-256"
    assert list(directory.rglob("*")) == [directory / "in"]  # the folder; no file, no part
    with tarfile.open(archive) as tar, pytest.raises(ArchiveError) as info:
        place_file(tar, archive, directory, "faxes", "in/2.tiff", "0" * 64, what="fax")
    assert str(info.value) == f"{archive}: in/2.tiff is not in it"
