"""The files probe's walk: which files a folder target covers, in which order, with which sizes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from phileak.errors import InputError, LimitExceeded
from phileak.probes.files.walk import walk


def _tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a" / "inner").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "z.txt").write_bytes(b"z" * 5)
    (root / "b" / "one.csv").write_bytes(b"1" * 7)
    (root / "a" / "two.pdf").write_bytes(b"2" * 11)
    (root / "a" / "inner" / "three.txt").write_bytes(b"")
    (root / ".hidden" / "secret.txt").write_bytes(b"s")
    (root / ".dotfile").write_bytes(b"d" * 3)


def test_folder_files_in_order_with_sizes_hidden_folders_skipped(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = [(str(path.relative_to(tmp_path)), size) for path, size in walk(tmp_path, max_files=100)]
    assert found == [(".dotfile", 3), ("z.txt", 5), ("a/two.pdf", 11), ("a/inner/three.txt", 0), ("b/one.csv", 7)]


def test_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.txt").write_bytes(b"x")
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.txt").write_bytes(b"r")
    os.symlink(outside / "elsewhere.txt", root / "link.txt")
    os.symlink(outside, root / "linked-folder")
    os.symlink(root / "missing", root / "dangling")
    os.mkfifo(root / "pipe")
    assert [path.name for path, _ in walk(root, max_files=100)] == ["real.txt"]


def test_a_file_target_is_itself(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF" + b"0" * 9)
    assert list(walk(target, max_files=1)) == [(target, 13)]


def test_limits_and_missing_targets(tmp_path: Path) -> None:
    _tree(tmp_path)
    with pytest.raises(LimitExceeded, match="more than 3 files"):
        list(walk(tmp_path, max_files=3))
    with pytest.raises(InputError, match="no such file or folder"):
        list(walk(tmp_path / "nope", max_files=3))


def test_batches_start_small_and_grow_to_the_batch_size() -> None:
    from phileak.probes.files.probe import BATCH_FILES, FIRST_BATCH_FILES, _batches

    files = ((Path(f"f{i:04d}"), 10) for i in range(300))
    sizes = [(len(paths), size) for paths, size in _batches(files)]
    assert FIRST_BATCH_FILES < BATCH_FILES == 128
    assert sizes == [(16, 160), (32, 320), (64, 640), (128, 1280), (60, 600)]


def test_a_file_over_the_byte_budget_is_a_batch_of_its_own() -> None:
    from phileak.probes.files.probe import BATCH_BYTES, _batches

    files = iter([(Path("a"), 10), (Path("big"), BATCH_BYTES + 1), (Path("b"), 10), (Path("c"), 10)])
    assert [[p.name for p in paths] for paths, _ in _batches(files)] == [["a"], ["big"], ["b", "c"]]


def test_a_folder_that_cannot_be_listed_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from phileak.probes.files import walk as walk_module
    from phileak.probes.files.walk import WalkStats

    _tree(tmp_path)
    listing = os.scandir

    def refusing(folder: object = ".") -> object:  # the suite runs as root, which reads any folder: refuse
        if isinstance(folder, str) and folder.endswith("/a"):
            raise PermissionError(13, "Permission denied")
        return listing(folder)

    monkeypatch.setattr(walk_module.os, "scandir", refusing)
    stats = WalkStats()
    names = [path.name for path, _ in walk(tmp_path, max_files=100, stats=stats)]
    assert names == [".dotfile", "z.txt", "one.csv"] and stats.unreadable_folders == 1

