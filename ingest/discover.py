"""Which files a list of paths names, and why any of them cannot be read."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterable, Iterator

# The reason given for a folder os.walk could not list: its indexed files are kept.
NOT_SCANNED = "(folder not scanned)"


def discover(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, None) for candidates and (path, reason) for what cannot be read.

    Each file is yielded once as a candidate even when it is reachable twice (a symlink
    beside its target, overlapping folders), since both would be the same document.
    Symlinked files come last, so it is the link that is reported as the duplicate.
    """
    seen: dict[Path, Path] = {}
    links: list[Path] = []

    def undecodable(p: Path) -> bool:
        """A name with bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
        try:
            str(p).encode("utf-8")
            return False
        except UnicodeEncodeError:
            return True

    def broken_link(p: Path) -> str:
        try:
            os.stat(p)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "broken symlink (symlink loop)"
        return "broken symlink"

    def walk_errors(errors: list[OSError]) -> Iterator[tuple[Path, str]]:
        """Folders os.walk could not list (unreadable, vanished), with the reason."""
        while errors:
            exc = errors.pop(0)
            reason = "permission denied" if isinstance(exc, PermissionError) else f"cannot list folder ({exc.strerror or exc})"
            yield Path(exc.filename or "?"), f"{reason} {NOT_SCANNED}"

    def check(p: Path, *, link_ok: bool = False) -> tuple[Path, str | None] | None:
        if undecodable(p):
            return p, "file name is not valid UTF-8 (rename the file)"
        if p.is_symlink() and not p.exists():
            return p, broken_link(p)
        if p.is_symlink() and not link_ok:
            links.append(p)
            return None
        try:
            real = p.resolve()
        except (OSError, RuntimeError) as exc:
            return p, f"cannot resolve path ({exc})"
        if real in seen:
            return p, f"same file as {seen[real]} (indexed once)"
        seen[real] = p
        return p, None

    def candidates():
        for root in paths:
            if root.is_symlink() and not root.exists():
                yield root, broken_link(root)
            elif root.is_file():
                yield check(root)
            elif root.is_dir():
                errors: list[OSError] = []
                for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
                    yield from walk_errors(errors)
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for d in dirnames:
                        if (Path(dirpath) / d).is_symlink():
                            yield Path(dirpath) / d, "symlinked folder not followed"
                    for name in sorted(filenames):
                        if name.startswith("."):
                            continue
                        yield check(Path(dirpath) / name)
                yield from walk_errors(errors)
            else:
                yield root, "no such file or folder"

    for item in candidates():
        if item is not None:
            yield item
    for link in links:
        yield check(link, link_ok=True)
