"""The errors of the release pipeline; each message names the cell, line or file at fault."""

from __future__ import annotations

from pathlib import Path


class ReleaseError(ValueError):
    """A release that cannot be built or written."""


class SourceError(ReleaseError):
    """An instructor source that breaks the assignment format (markers in the wrong cell...)."""


class LeakError(ReleaseError):
    """Solution code or hidden tests found in what would be released."""


class ReleaseExistsError(ReleaseError):
    """The release folder exists and is not empty, and overwriting was not asked for."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} exists and is not empty; pass overwrite=True to replace it")
        self.folder = folder
