"""HDF5 demonstrations: schema, crash-safe writer, reader and validation. numpy + h5py only.

Layout and crash-safety design: docs/FORMAT.md.
"""

from .episode import EpisodeWriter
from .locks import FileBusyWarning
from .reader import Dataset
from .recordfile import RecordingFile
from .removal import remove_recording
from .scene import SceneMismatchError, scene_of
from .schema import (
    FORMAT_VERSION,
    SOURCES,
    UNKNOWN_SOURCE,
    DemoInfo,
    Episode,
    Provenance,
    RecordingError,
    Transitions,
    ValidationError,
    check_name,
)

__all__ = [
    "FORMAT_VERSION",
    "SOURCES",
    "UNKNOWN_SOURCE",
    "Dataset",
    "DemoInfo",
    "Episode",
    "EpisodeWriter",
    "FileBusyWarning",
    "Provenance",
    "RecordingError",
    "RecordingFile",
    "SceneMismatchError",
    "Transitions",
    "ValidationError",
    "check_name",
    "remove_recording",
    "scene_of",
]
