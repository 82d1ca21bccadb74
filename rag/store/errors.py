"""Index problems a user can act on (each message says how)."""

from __future__ import annotations


class IndexError_(RuntimeError):
    """An index problem the user can act on; the message says how."""


class IndexMismatchError(IndexError_):
    pass


class IndexMissingError(IndexError_):
    pass


class ManifestWriteError(IndexError_):
    """The manifest cannot be written (a read-only index, or another writer holds it too long)."""
