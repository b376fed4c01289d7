"""asynclings: asyncio exercises graded on correctness, concurrency and race-freedom."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asynclings")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
