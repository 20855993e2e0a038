"""walk_folder: the one folder walk of the loaders and the ingest command (every file, sorted, glob, exclude, links)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from langchain_azure_multimodal._walk import check_walk_options, walk_folder
from langchain_azure_multimodal.errors import MediaSourceError
from tests.support.media import image_bytes


def _tree(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    return root


def _walked(root: Path, **options: object) -> list[str]:
    errors: list[MediaSourceError] = []
    found = [path.relative_to(root).as_posix() for path in walk_folder(root, on_error=errors.append, **options)]  # type: ignore[arg-type]
    assert errors == []
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    names = ("b.png", "a.wav", "notes.txt", "data.json", "sub/c.png", "sub/deep/d.webm", "drafts/e.png", "f.tmp.png")
    return _tree(tmp_path / "root", *names)


def test_every_regular_file_in_sorted_depth_first_order_whatever_its_kind(root: Path) -> None:
    assert _walked(root) == [
        "a.wav",
        "b.png",
        "data.json",
        "drafts/e.png",
        "f.tmp.png",
        "notes.txt",
        "sub/c.png",
        "sub/deep/d.webm",
    ]


def test_the_paths_are_the_root_joined_with_the_names(root: Path) -> None:
    first = next(walk_folder(root, on_error=pytest.fail))
    assert first == root / "a.wav"


def test_glob_is_matched_segment_by_segment_at_any_depth(root: Path) -> None:
    assert _walked(root, glob="*.png") == ["b.png", "drafts/e.png", "f.tmp.png", "sub/c.png"]
    assert _walked(root, glob="sub/*") == ["sub/c.png"]  # one segment below sub, not deep/d.webm
    assert _walked(root, glob="sub/**/*") == ["sub/c.png", "sub/deep/d.webm"]
    assert _walked(root, glob="**/deep/*.webm") == ["sub/deep/d.webm"]
    assert _walked(root, glob="*.PNG") == []  # case-sensitive, like pathlib on POSIX


def test_recursive_false_lists_the_top_level_only(root: Path) -> None:
    assert _walked(root, recursive=False) == ["a.wav", "b.png", "data.json", "f.tmp.png", "notes.txt"]
    assert _walked(root, recursive=False, glob="**/*.png") == ["b.png", "f.tmp.png"]


def test_exclude_matches_names_and_relative_paths_and_an_excluded_folder_is_not_entered(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[str] = []
    scandir = os.scandir

    def recording_scandir(path: str | os.PathLike[str]) -> object:
        listed.append(Path(path).relative_to(root).as_posix())
        return scandir(path)

    monkeypatch.setattr(os, "scandir", recording_scandir)
    found = _walked(root, exclude=["drafts", "*.tmp.png", "sub/deep"])
    assert found == ["a.wav", "b.png", "data.json", "notes.txt", "sub/c.png"]
    assert listed == [".", "sub"]  # neither drafts nor sub/deep was listed


def test_an_unlistable_folder_goes_to_on_error_and_the_walk_goes_on(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scandir = os.scandir

    def denying_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "sub":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denying_scandir)
    errors: list[MediaSourceError] = []
    found = [p.name for p in walk_folder(root, on_error=errors.append)]
    assert found == ["a.wav", "b.png", "data.json", "e.png", "f.tmp.png", "notes.txt"]
    [error] = errors
    assert isinstance(error, MediaSourceError)
    assert (error.what, error.where) == ("cannot list the folder (Permission denied)", str(root / "sub"))
    assert error.fix == "make the folder readable by this process, or exclude it"

    def raise_it(error: MediaSourceError) -> None:
        raise error

    with pytest.raises(MediaSourceError, match="Permission denied"):
        list(walk_folder(root, on_error=raise_it))


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symlinks")
def test_symlinks_inside_are_followed_once_and_those_leaving_are_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _tree(tmp_path / "root", "real/a.png", "notes.txt")
    _tree(tmp_path / "outside", "secret.png")
    (root / "inside.png").symlink_to(root / "real" / "a.png")
    (root / "linked_dir").symlink_to(root / "real", target_is_directory=True)  # real/ is entered once only
    (root / "leaves.png").symlink_to(tmp_path / "outside" / "secret.png")
    (root / "leaves_dir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)
    (root / "broken.png").symlink_to(root / "missing.png")
    (root / "self").symlink_to(root / "self")
    with (
        caplog.at_level(logging.DEBUG, logger="langchain_azure_multimodal._walk"),
        pytest.warns(UserWarning, match="^skipped ") as warned,
    ):
        found = _walked(root)
    assert found == ["inside.png", "linked_dir/a.png", "notes.txt"]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert sorted(infos) == sorted(f"not following {root / name}: the symlink leaves {root}"
                                   for name in ("leaves.png", "leaves_dir"))  # fmt: skip
    assert [str(w.message) for w in warned] == [
        f"skipped {root / 'broken.png'}: a broken symlink, its target {root / 'missing.png'} does not exist",
        f"skipped {root / 'linked_dir' / 'loop'}: a symlink loop, it leads back to {root}, which holds it; it is not "
        "followed",
        f"skipped {root / 'self'}: a symlink loop, its links lead back to each other and to no file",
    ]


@pytest.mark.parametrize(
    ("glob", "exclude", "error", "message"),
    [
        ("*.png", "*.tmp", TypeError, r"not one string; write exclude=\['\*\.tmp'\]"),
        ("*.png", ["ok", ""], TypeError, "each exclude pattern must be a non-empty string"),
        ("*.png", [3], TypeError, "each exclude pattern must be a non-empty string, not 3"),
        ("", (), ValueError, "glob is empty"),
        (".", (), ValueError, "glob is empty"),
        ("/etc/*", (), ValueError, "is absolute"),
        ("C:/photos/*", (), ValueError, "is absolute"),
        ("../*.png", (), ValueError, "cannot leave the folder"),
        (b"*.png", (), TypeError, "glob must be a string pattern"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_when_passed(
    tmp_path: Path, glob: str, exclude: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check_walk_options(glob, exclude)
    with pytest.raises(error, match=message):
        walk_folder(tmp_path, glob=glob, exclude=exclude, on_error=pytest.fail)  # no next(): refused at the call


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symlinks")
def test_a_link_back_to_an_ancestor_is_a_loop_warned_once_and_a_second_link_to_a_folder_is_not(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path / "root", "a/b/c.png", "z.png")
    (root / "a" / "b" / "up").symlink_to(root / "a", target_is_directory=True)  # a holds b, which holds up
    (root / "again").symlink_to(root / "a" / "b", target_is_directory=True)  # not a loop: b is walked once
    with pytest.warns(UserWarning, match="^skipped ") as warned:
        assert _walked(root) == ["a/b/c.png", "z.png"]
    loop = f"skipped {root / 'a' / 'b' / 'up'}: a symlink loop, it leads back to {root / 'a'}, which holds it; it is not followed"  # noqa: E501
    assert [str(w.message) for w in warned] == [loop]
    # The loaders walk the same way, and a loop does not fail them (on_error="raise" is for unreadable files).
    from langchain_azure_multimodal.document_loaders import ImageLoader

    (root / "a" / "b" / "c.png").write_bytes(image_bytes(8, 8, "PNG"))
    (root / "z.png").write_bytes(image_bytes(8, 8, "PNG"))
    with pytest.warns(UserWarning, match="^skipped ") as warned:
        assert [doc.metadata["source"] for doc in ImageLoader(root).load()] == [
            str(root / "a" / "b" / "c.png"),
            str(root / "z.png"),
        ]
    assert [str(w.message) for w in warned] == [loop]


def test_a_folder_1500_deep_is_walked_to_the_bottom_by_the_walk_and_the_loaders(deep: Path) -> None:
    # Once: RecursionError from the recursive walk, after some 20 s in the loaders.
    from langchain_azure_multimodal.document_loaders import ImageLoader

    bottom = "/".join(["d"] * 1_500) + "/deep.png"
    assert _walked(deep) == [bottom]
    assert _walked(deep, glob="**/d/deep.png") == [bottom]
    assert _walked(deep, glob="**/e/*") == []
    [doc] = ImageLoader(deep).load()
    assert doc.metadata["source"] == str(deep / bottom) and doc.metadata["width"] == 16


@pytest.mark.skipif(os.name != "posix", reason="dir_fd and PATH_MAX are POSIX")
def test_a_path_longer_than_the_os_allows_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    # 17 folders of 255-character names: over PATH_MAX (4,096), so only made relative to an open folder.
    name = "n" * 255
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(17):
            os.mkdir(name, dir_fd=descriptor)
            below = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = below
    finally:
        os.close(descriptor)

    def raise_it(error: MediaSourceError) -> None:
        raise error

    with pytest.raises(MediaSourceError, match="the path is longer than this system allows") as caught:
        list(walk_folder(tmp_path, on_error=raise_it))
    assert caught.value.where is not None and caught.value.where.startswith(str(tmp_path / name / name))
    assert "Fix: move the files to a shallower folder" in str(caught.value)
    from langchain_azure_multimodal.document_loaders import ImageLoader

    with pytest.raises(MediaSourceError, match="the path is longer than this system allows"):
        ImageLoader(tmp_path).load()
    with pytest.warns(UserWarning, match="the path is longer than this system allows"):
        assert ImageLoader(tmp_path, on_error="skip").load() == []
