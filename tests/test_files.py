"""``autograd_mini.files``: what an atomic save refuses, and the temporaries it cleans up.

The saving tests of models and drawings (test_serialization.py, test_viz.py) cover the
content and permissions of what is written; these cover the targets a save must not
touch (special files, read-only files, odd paths) and the leftovers of killed saves.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograd_mini import files
from autograd_mini.files import NotARegularFileError, check_target, write_atomically

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX files and signals")
is_root = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------ targets that are refused


@posix_only
def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match="is a named pipe") as caught:
        write_atomically(fifo, "{}")
    assert caught.value.filename == str(fifo)
    assert "refusing to replace it" in str(caught.value)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert listing(tmp_path) == ["model.json"]


@posix_only
def test_a_socket_and_a_symlink_to_a_fifo_are_refused(tmp_path: Path) -> None:
    # A short folder: a socket's path must fit in about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="am-"))
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(folder / "s"))
        with pytest.raises(NotARegularFileError, match="is a socket"):
            write_atomically(folder / "s", b"x")
        assert stat.S_ISSOCK(os.lstat(folder / "s").st_mode)
        server.close()
    finally:
        for name in os.listdir(folder):
            os.unlink(folder / name)
        folder.rmdir()
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.svg").symlink_to(tmp_path / "pipe")
    with pytest.raises(NotARegularFileError, match="the link leads to"):
        write_atomically(tmp_path / "link.svg", "x")
    assert (tmp_path / "link.svg").is_symlink()
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


@posix_only
def test_every_writer_of_the_package_refuses_a_fifo(tmp_path: Path) -> None:
    # model.save, a drawing's save and a plot's save all write through write_atomically.
    from autograd_mini import Value, nn
    from autograd_mini.viz import draw_dot

    writers = {"m.json": nn.MLP(2, [1], seed=0).save, "g.dot": draw_dot(Value(1.0) * 2).save}
    try:
        from autograd_mini import plots
    except ImportError:
        pass  # without the plot extra, two writers are enough to show it
    else:
        writers["p.png"] = lambda path: plots.save(plots.new_figure(), path)
    for name, save in writers.items():
        fifo = tmp_path / name
        os.mkfifo(fifo)
        with pytest.raises(NotARegularFileError):
            save(fifo)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(not is_root, reason="making a device node needs root")
def test_a_device_node_behind_a_symlink_is_not_replaced(tmp_path: Path) -> None:
    # The issue: as root, saving to /dev/null (or a link to it) replaced the system's
    # /dev/null by a regular file. A private node with /dev/null's numbers shows the same
    # without putting the real one at risk should the fix ever regress.
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (tmp_path / "model.json").symlink_to(node)
    for target in (node, tmp_path / "model.json"):
        with pytest.raises(NotARegularFileError, match="is a character device"):
            write_atomically(target, "{}")
        assert stat.S_ISCHR(os.lstat(node).st_mode)
        assert os.lstat(node).st_rdev == os.makedev(1, 3)
    assert listing(tmp_path) == ["model.json", "null"]


def test_a_folder_and_a_trailing_slash_are_refused(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_atomically(tmp_path / "runs", "x")
    with pytest.raises(IsADirectoryError, match="ends with a slash"):
        write_atomically(f"{tmp_path}/new.json/", "x")
    (tmp_path / "old.json").write_text("old")
    with pytest.raises(IsADirectoryError, match="ends with a slash"):
        write_atomically(f"{tmp_path}/old.json/", "x")
    assert (tmp_path / "old.json").read_text() == "old"
    assert listing(tmp_path) == ["old.json", "runs"]


def test_an_empty_path_is_refused_and_nothing_is_made_in_the_parent_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # save("") used to resolve to the current folder and make its temporary in the parent.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    created: list[str] = []
    real_open = os.open

    def recording_open(path: str, *args: int) -> int:
        created.append(os.fspath(path))
        return real_open(path, *args)

    monkeypatch.setattr(files.os, "open", recording_open)
    with pytest.raises(FileNotFoundError, match="the path is empty"):
        write_atomically("", "x")
    assert created == []
    assert listing(tmp_path) == ["here"] and listing(here) == []


def test_a_nul_character_is_a_value_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'a\\x00b.json' contains a NUL character"):
        write_atomically("a\x00b.json", "x")


def test_a_missing_folder_and_a_file_as_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        check_target(tmp_path / "no" / "m.json")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(NotADirectoryError):
        check_target(tmp_path / "plain" / "m.json")


def test_a_name_too_long_is_the_system_error(tmp_path: Path) -> None:
    with pytest.raises(OSError) as caught:
        write_atomically(tmp_path / ("x" * 300 + ".json"), "x")
    assert caught.value.errno == errno.ENAMETOOLONG
    assert listing(tmp_path) == []


def test_a_name_of_255_bytes_still_saves(tmp_path: Path) -> None:
    # The temporary is named after the target, shortened, so it fits NAME_MAX too.
    name = "é" * 120 + "x" * 10 + ".json"  # 255 bytes in UTF-8
    assert len(name.encode()) == 255
    write_atomically(tmp_path / name, "content")
    assert listing(tmp_path) == [name]


# --------------------------------------------------------------- read-only files


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Act as a normal user: as nobody (effective ids only) when the tests run as root."""
    if not is_root:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder nobody may use (pytest's tmp_path is private to the user running the tests)."""
    folder = Path(tempfile.mkdtemp(prefix="autograd-mini-test-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@posix_only
def test_a_read_only_file_is_refused_as_open_would_refuse_it(shared_folder: Path) -> None:
    # Renaming over a file needs only the folder's permission, so 0444 used to be replaced.
    path = shared_folder / "model.json"
    path.write_text("old")
    path.chmod(0o444)
    with unprivileged():
        with pytest.raises(PermissionError):
            open(path, "w")  # noqa: SIM115 - the refusal a save must match
        with pytest.raises(PermissionError, match=r"you may not write this file \(mode 0444\)"):
            write_atomically(path, "new")
        with pytest.raises(PermissionError, match="chmod u"):
            check_target(path)
    assert path.read_text() == "old"
    assert listing(shared_folder) == ["model.json"]


@posix_only
def test_a_folder_without_write_permission_is_refused_before_writing(shared_folder: Path) -> None:
    locked = shared_folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    with unprivileged(), pytest.raises(PermissionError, match="cannot create a file in the folder"):
        check_target(locked / "model.json")
    assert listing(locked) == []


def test_root_may_replace_a_read_only_file_as_open_lets_it(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(0o444)
    if os.access(path, os.W_OK):  # root: open(path, "w") works, and so does saving
        write_atomically(path, "new")
        assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o444
    else:
        with pytest.raises(PermissionError):
            write_atomically(path, "new")
        assert path.read_text() == "old"


# ----------------------------------------------------------------------- hard links


@posix_only
def test_a_hard_link_is_not_kept_as_documented(tmp_path: Path) -> None:
    # Documented: the saved name gets a new file, the other names keep the old content.
    original = tmp_path / "v1.json"
    original.write_text("old")
    os.link(original, tmp_path / "current.json")
    write_atomically(tmp_path / "current.json", "new")
    assert (tmp_path / "current.json").read_text() == "new"
    assert original.read_text() == "old"
    assert original.stat().st_nlink == 1
    assert "hard link is not kept" in (write_atomically.__doc__ or "")


# ---------------------------------------------------------- leftovers of killed saves


KILLED_SAVE = """
import os, signal, sys
from autograd_mini import files

def killed(fd):  # the data is written, the rename not done: kill -9 at the worst moment
    os.kill(os.getpid(), signal.SIGKILL)

files.os.fsync = killed
files.write_atomically(sys.argv[1], b"x" * 100_000)
"""


def _killed_save(target: Path) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target)],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


@posix_only
def test_a_later_save_removes_what_killed_saves_of_the_same_target_left(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    seen = []
    for _ in range(3):
        _killed_save(target)
        # Each save (killed ones too) first removes what the one before it left.
        [leftover] = [name for name in listing(tmp_path) if name != "model.json"]
        assert leftover.startswith(".model.json.") and leftover.endswith(".autograd-mini.tmp")
        assert (tmp_path / leftover).stat().st_size == 100_000
        seen.append(leftover)
    assert len(set(seen)) == 3
    assert target.read_text() == "old"  # the kills never touched the target
    write_atomically(target, "new")
    assert listing(tmp_path) == ["model.json"]
    assert target.read_text() == "new"


@posix_only
def test_only_provably_abandoned_temporaries_of_this_target_are_removed(tmp_path: Path) -> None:
    _killed_save(tmp_path / "other.json")  # another target's leftover
    [other] = [n for n in listing(tmp_path) if n.startswith(".other.json.")]
    prefix = files._temporary_prefix("model.json")
    look_alikes = {
        ".autograd-mini-0123456789ab.tmp": "x",  # older versions' names: not tied to a target
        f"{prefix}0123.autograd-mini.tmp": "x",  # not the 12 random hex digits of ours
        f"{prefix}0123456789ab.autograd-mini.tmp.bak": "x",
    }
    for name, text in look_alikes.items():
        (tmp_path / name).write_text(text)
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("keep me")
    link = tmp_path / f"{prefix}aaaaaaaaaaaa.autograd-mini.tmp"
    link.symlink_to(elsewhere)  # named like ours, but a symlink: never followed or removed
    write_atomically(tmp_path / "model.json", "new")
    assert listing(tmp_path) == sorted(
        [*look_alikes, other, link.name, "model.json", "precious.txt"]
    )
    assert elsewhere.read_text() == "keep me"


@pytest.mark.skipif(not is_root, reason="giving a file to another user needs root")
def test_another_users_leftover_is_not_removed(tmp_path: Path) -> None:
    name = files._temporary_prefix("model.json") + "0123456789ab.autograd-mini.tmp"
    (tmp_path / name).write_text("theirs")
    os.chown(tmp_path / name, NOBODY, NOBODY)
    write_atomically(tmp_path / "model.json", "new")
    assert listing(tmp_path) == sorted([name, "model.json"])


LIVE_SAVE = """
import os, sys
from autograd_mini import files

real_fsync = os.fsync

def paused(fd):  # hold the save open, between writing and renaming, until told to go on
    print("writing", flush=True)
    sys.stdin.readline()
    real_fsync(fd)

files.os.fsync = paused
files.write_atomically(sys.argv[1], "from the slow save")
print("saved", flush=True)
"""


@posix_only
def test_a_save_in_progress_keeps_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    slow = subprocess.Popen([sys.executable, "-c", LIVE_SAVE, str(target)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert slow.stdout is not None and slow.stdin is not None
        assert slow.stdout.readline() == "writing\n"
        [temporary] = [n for n in listing(tmp_path) if n.endswith(".autograd-mini.tmp")]
        write_atomically(target, "from the quick save")  # must leave the live one alone
        assert temporary in listing(tmp_path)
        assert target.read_text() == "from the quick save"
        slow.stdin.write("go\n")
        slow.stdin.flush()
        assert slow.stdout.readline() == "saved\n"
    finally:
        try:
            slow.wait(timeout=60)
        finally:
            if slow.poll() is None:
                slow.kill()
    assert slow.returncode == 0
    assert target.read_text() == "from the slow save"
    assert listing(tmp_path) == ["model.json"]


@posix_only
def test_a_cleanup_that_wins_the_race_for_a_new_temporary_makes_the_save_draw_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between a save creating its temporary and locking it, another save's cleanup may lock
    # and remove it. Simulated here: the first temporary vanishes right after its creation.
    real_open, opened = os.open, []

    def open_then_lose_the_first(path: str, flags: int, mode: int = 0o777) -> int:
        fd = real_open(path, flags, mode)
        if flags & os.O_CREAT and not opened:
            os.unlink(path)
        opened.append(path)
        return fd

    monkeypatch.setattr(files.os, "open", open_then_lose_the_first)
    write_atomically(tmp_path / "m.json", "content")
    assert len(opened) == 2 and opened[0] != opened[1]
    assert listing(tmp_path) == ["m.json"]
    assert (tmp_path / "m.json").read_text() == "content"


def test_read_regular_file_reads_only_a_regular_file_of_bounded_size(tmp_path: Path) -> None:
    good = tmp_path / "data.txt"
    good.write_bytes(b"x" * 10)
    assert files.read_regular_file(good) == b"x" * 10
    assert files.read_regular_file(good, max_bytes=10) == b"x" * 10
    with pytest.raises(files.FileTooLargeError, match="10 bytes or more, over 9") as caught:
        files.read_regular_file(good, max_bytes=9)
    assert caught.value.size == 10
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        files.read_regular_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        files.read_regular_file(tmp_path / "missing")
    with pytest.raises(ValueError):
        files.read_regular_file(str(tmp_path / "nul\0"))
    if hasattr(os, "mkfifo"):  # refused at once, never waiting for a writer
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        with pytest.raises(files.NotARegularFileError, match="a named pipe"):
            files.read_regular_file(fifo)
