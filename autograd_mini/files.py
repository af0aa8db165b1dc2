"""Writing a file atomically (all of the new content or all of the old, never half), and
reading one safely.

Every file autograd_mini writes (a saved model, a drawn graph, the CLI's summary, plots
and animation) goes through :func:`write_atomically`, so an error, a full disk or a crash
in the middle of a write never leaves a truncated file where a good one was.
:func:`check_target` runs the same checks on their own, so a command can refuse a bad
path before it spends minutes training. :func:`read_regular_file` is the other direction:
model files and CSV files are read only from a regular file, of a bounded size, and a named
pipe or a device given as a path is refused without blocking. Standard library only.

The temporary file of a save is named after its target (``.model.json.<hash>.<random>
.autograd-mini.tmp`` next to ``model.json``) and, on POSIX, locked (``flock``) by the
process writing it for as long as it exists. A process killed in mid-save (``kill -9``,
a power cut) leaves it behind; the next save of the same target removes it. The proof
that such a file is abandoned is the lock: the kernel drops it when its holder dies, so a
temporary that can be locked belongs to no running save. Only regular files of the
current user, named for this very target, are ever removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat

try:
    import fcntl

    _LOCKS = True
except ImportError:  # Windows: no flock, so no proof a temporary is abandoned; none is removed
    _LOCKS = False

__all__ = [
    "FileTooLargeError", "NotARegularFileError", "check_target", "file_kind", "read_regular_file",
    "write_atomically",
]

# O_BINARY exists only on Windows, where without it "\n" would be written as "\r\n".
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# How a leftover temporary is opened to test its lock: never through a symlink, never
# blocking (a FIFO given the name would block an open for reading).
_PROBE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_TEMPORARY_SUFFIX = ".autograd-mini.tmp"
_RANDOM_HEX_DIGITS = 12
_NAME_BYTES_KEPT = 64  # of the target's name in the temporary's, so it stays under NAME_MAX

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)
# Reading never blocks (a FIFO opened for reading waits for a writer) and is never inherited.
_READ_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK_BYTES = 1 << 20


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: ``"a folder"``, ``"a socket"``, ..."""
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


class NotARegularFileError(OSError):
    """The target of a write is a device, a named pipe or a socket, not a regular file.

    Replacing it would swap a system object for a plain file (as root, a save to
    ``/dev/null`` would replace the system's ``/dev/null``), so nothing is written.
    ``filename`` is the path given; ``strerror`` says what it is and what to do.
    """


class FileTooLargeError(OSError):
    """A file to read is larger than the reader allows; ``size`` is how many bytes it has
    (at least)."""

    def __init__(self, size: int, limit: int, filename: str | os.PathLike[str]) -> None:
        super().__init__(errno.EFBIG, f"the file has {size} bytes or more, over {limit}", filename)
        self.size = size


def read_regular_file(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (a symlink to one is followed).

    Raises ``FileNotFoundError`` and the other ``OSError``s of opening it;
    ``IsADirectoryError`` for a folder, :class:`NotARegularFileError` for a device, a named
    pipe or a socket (refused at once: the open never blocks, and the check is made on the
    opened file, so nothing can be swapped in between); :class:`FileTooLargeError` past
    ``max_bytes``, also for a file that grows while it is read; ``ValueError`` for a path
    with a NUL character. ``strerror`` says what the file is, in words.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode)
            error = IsADirectoryError if stat.S_ISDIR(info.st_mode) else NotARegularFileError
            raise error(errno.EISDIR if error is IsADirectoryError else 0,
                        f"it is {kind}, not a regular file", path)
        limit = max_bytes if max_bytes is not None else float("inf")
        if info.st_size > limit:
            raise FileTooLargeError(info.st_size, int(limit), path)
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, _CHUNK_BYTES if max_bytes is None else
                            min(_CHUNK_BYTES, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileTooLargeError(size, int(limit), path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_target(path: str | os.PathLike[str]) -> str:
    """Raise the error :func:`write_atomically` would raise for ``path``; else return its target.

    The target is ``path`` with symbolic links resolved: the file whose content a save
    replaces. Refused, before anything is written:

    * an empty path (``FileNotFoundError``) or one containing a NUL character (``ValueError``);
    * a folder (``IsADirectoryError``);
    * a device, named pipe or socket (:class:`NotARegularFileError`), also behind a symlink;
    * an existing file the user may not write (``PermissionError``, as ``open(path, "w")``
      would give; saving by rename would otherwise replace a read-only file);
    * a path whose folder does not exist (``FileNotFoundError``), is not a folder or cannot
      take a new file (``PermissionError``), or any other error of the system
      (``OSError``, e.g. a name too long).

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_target(folder / "model.json") == str((folder / "model.json").resolve())
    True
    >>> check_target(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    IsADirectoryError: [Errno 21] is a folder; give the name of a file in it: '...'
    """
    return _inspect(path)[0]


def _inspect(path: str | os.PathLike[str]) -> tuple[str, os.stat_result | None]:
    """:func:`check_target`'s checks: the target, and its stat (None for a new file)."""
    name = os.fspath(path)
    shown = os.fsdecode(name)
    if shown == "":
        raise FileNotFoundError(
            errno.ENOENT, "the path is empty; give a file name such as model.json", shown
        )
    if "\x00" in shown:
        raise ValueError(
            f"the path {shown!r} contains a NUL character, which no file name can hold;"
            " give a plain file name"
        )
    target = os.path.realpath(name)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder; give the name of a file in it", shown)
    if shown.endswith(("/", os.sep)):  # realpath drops the slash; open() would refuse it
        raise IsADirectoryError(
            errno.EISDIR, "ends with a slash, so it names a folder; give a file name", shown
        )
    if info is None:
        _check_folder(os.path.dirname(target), shown)
        return target, None
    if not stat.S_ISREG(info.st_mode):
        kind = file_kind(info.st_mode)
        behind = f" (the link leads to {target!r})" if os.path.islink(name) else ""
        raise NotARegularFileError(
            errno.EINVAL,
            f"is {kind}{behind}, not a regular file; refusing to replace it with one."
            " Give the path of a regular file",
            shown,
        )
    if not _may_write(target):
        raise PermissionError(
            errno.EACCES,
            f"you may not write this file (mode {stat.S_IMODE(info.st_mode):04o}); refusing"
            " to replace it. Make it writable first (chmod u+w) or save somewhere else",
            shown,
        )
    _check_folder(os.path.dirname(target), shown)
    return target, info


def _check_folder(folder: str, shown: str) -> None:
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise FileNotFoundError(
            errno.ENOENT, f"the folder {folder!r} does not exist; create it first", shown
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"{folder!r} is not a folder", shown)
    if not _may_write(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES, f"cannot create a file in the folder {folder!r} (permission denied)",
            shown,
        )


def _may_write(path: str, mode: int = os.W_OK) -> bool:
    # With the effective ids, as open() itself is checked (root may write a 0444 file).
    effective = os.access in os.supports_effective_ids
    return os.access(path, mode, effective_ids=effective)


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace the file at ``path`` with ``data`` (``str`` is written as UTF-8), atomically.

    The data is written in full to a temporary file in the same folder, flushed to disk,
    then renamed over the target with ``os.replace``; if anything fails before the rename
    the temporary file is removed and the old file is left as it was. Like writing the file
    in place, and unlike a bare ``tempfile`` + rename:

    * an existing file keeps its permission bits (a 0644 file stays 0644); a new file
      gets ``0o666`` minus the umask, as ``open(path, "w")`` would give it;
    * a read-only file, a folder, a device, a named pipe or a socket is refused, with the
      errors of :func:`check_target`, before anything is written;
    * a symbolic link is followed: the file it points to gets the new content and the link
      stays a link (the temporary file is made next to that file, so the rename stays on
      one file system);
    * a hard link is not kept: ``path`` becomes a new file, and the old file's other names
      keep the old content (the price of never showing half a file; every atomic save,
      from editors to git, has it);
    * temporary files that an interrupted save of the same target left behind are removed
      (see the module docstring for how they are known to be abandoned).

    Errors are the ``OSError`` of the step that failed (no such folder, permission
    denied, disk full).

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomically(folder / "note.txt", "first\\n")
    >>> write_atomically(folder / "note.txt", b"second\\n")
    >>> (folder / "note.txt").read_text(), [p.name for p in folder.iterdir()]
    ('second\\n', ['note.txt'])
    """
    content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    target, existing = _inspect(path)
    # Only the permission bits: ownership and set-id bits are not ours to copy.
    keep_mode = None if existing is None else stat.S_IMODE(existing.st_mode) & 0o777
    folder, name = os.path.split(target)
    prefix = _temporary_prefix(name)
    _remove_abandoned_temporaries(folder, prefix)
    fd, temporary = _create_temporary(folder, prefix)
    try:
        try:
            _write_all(fd, content)
            if keep_mode is not None:
                os.chmod(temporary, keep_mode)
            os.fsync(fd)
        finally:
            if not _LOCKS:  # Windows cannot rename a file that is open
                os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):  # it may not exist, or already be renamed
            os.unlink(temporary)
        raise
    finally:
        if _LOCKS:  # the lock ends here, once the temporary's name is gone
            os.close(fd)


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]


def _temporary_prefix(name: str) -> str:
    """``.model.json.<8 hex digits of the full name's hash>.``: tied to one target name.

    The hash tells apart long names that share their first bytes; the readable part says
    what a leftover file was for.
    """
    raw = os.fsencode(name)
    digest = hashlib.sha256(raw).hexdigest()[:8]
    kept = name
    while len(os.fsencode(kept)) > _NAME_BYTES_KEPT:
        kept = kept[:-1]
    return f".{kept}.{digest}."


def _create_temporary(folder: str, prefix: str) -> tuple[int, str]:
    """A new, empty, hidden file in ``folder`` (locked on POSIX): its descriptor and path.

    Created with mode 0o666, so the kernel applies the process umask exactly as for any
    new file (``tempfile.mkstemp`` would force 0o600, and reading the umask is racy).
    """
    for _ in range(100):
        name = os.path.join(
            folder, prefix + secrets.token_hex(_RANDOM_HEX_DIGITS // 2) + _TEMPORARY_SUFFIX
        )
        try:
            fd = os.open(name, _CREATE_FLAGS, 0o666)
        except FileExistsError:  # a name already taken: draw another
            continue
        if not _LOCKS or _lock_as_ours(fd, name):
            return fd, name
        os.close(fd)  # another save's cleanup took it in the instant before our lock
    raise FileExistsError(f"write_atomically: no free temporary file name in {folder!r}")


def _lock_as_ours(fd: int, name: str) -> bool:
    """Lock the new temporary; False if a cleanup removed it before the lock was taken."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a cleanup holds it and will remove it
        return False
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(name))
    except FileNotFoundError:  # a cleanup removed it between our open and our lock
        return False


def _remove_abandoned_temporaries(folder: str, prefix: str) -> None:
    """Remove what interrupted saves of this target left; a failure here never fails a save."""
    if not _LOCKS:
        return
    try:
        entries = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for name in entries:
        middle = name[len(prefix):-len(_TEMPORARY_SUFFIX)]
        if (
            name.startswith(prefix)
            and name.endswith(_TEMPORARY_SUFFIX)
            and len(middle) == _RANDOM_HEX_DIGITS
            and all(c in "0123456789abcdef" for c in middle)
        ):
            with contextlib.suppress(OSError):
                _remove_if_abandoned(os.path.join(folder, name))


def _remove_if_abandoned(path: str) -> None:
    """Unlink ``path`` if it is our user's regular file and no living process locks it."""
    fd = os.open(path, _PROBE_FLAGS)  # a symlink fails here (O_NOFOLLOW), and is left alone
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a save in progress
            return
        # The name must still be this file: another cleanup may have removed it already.
        if os.path.samestat(info, os.lstat(path)):
            os.unlink(path)
    finally:
        os.close(fd)
