"""Writing a file atomically: all of the new content or all of the old, never half.

Every file autograd_mini writes (a saved model, a drawn graph, the CLI's summary and plots)
goes through :func:`write_atomically`, so an error, a full disk or a crash in the middle of
a write never leaves a truncated file where a good one was. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat

__all__ = ["write_atomically"]

# O_BINARY exists only on Windows, where without it "\n" would be written as "\r\n".
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace the file at ``path`` with ``data`` (``str`` is written as UTF-8), atomically.

    The data is written in full to a temporary file in the same folder, flushed to disk,
    then renamed over the target with ``os.replace``; if anything fails before the rename
    the temporary file is removed and the old file is left as it was. Like writing the file
    in place, and unlike a bare ``tempfile`` + rename:

    * an existing file keeps its permission bits (a 0644 file stays 0644); a new file
      gets ``0o666`` minus the umask, as ``open(path, "w")`` would give it;
    * a symbolic link is followed: the file it points to gets the new content and the link
      stays a link (the temporary file is made next to that file, so the rename stays on
      one file system).

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
    target = os.path.realpath(path)
    try:
        # Only the permission bits: ownership and set-id bits are not ours to copy.
        keep_mode: int | None = stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except FileNotFoundError:
        keep_mode = None
    fd, temporary = _create_temporary(os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            if keep_mode is not None:
                os.chmod(temporary, keep_mode)
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):  # it may not exist, or already be renamed
            os.unlink(temporary)
        raise


def _create_temporary(folder: str) -> tuple[int, str]:
    """A new, empty, hidden file in ``folder``: its descriptor and path.

    Created with mode 0o666, so the kernel applies the process umask exactly as for any
    new file (``tempfile.mkstemp`` would force 0o600, and reading the umask is racy).
    """
    for _ in range(100):
        name = os.path.join(folder, f".autograd-mini-{secrets.token_hex(6)}.tmp")
        try:
            return os.open(name, _CREATE_FLAGS, 0o666), name
        except FileExistsError:  # a name already taken: draw another
            continue
    raise FileExistsError(f"write_atomically: no free temporary file name in {folder!r}")
