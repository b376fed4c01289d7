import asyncio

import pytest

from asynclings.harness import VirtualLoop

# Submissions, not tests: the cheat suite's conftest.py and pytest.py must never load.
collect_ignore = ["cheats", "honest", "mutants", "idioms"]


def pytest_asyncio_loop_factories(config, item):
    """The kit's own async tests run on the virtual-time loop, except those marked
    ``real_loop`` (they measure behaviour on a stock loop)."""
    if item.get_closest_marker("real_loop"):
        return {"real": asyncio.new_event_loop}
    return {"virtual": VirtualLoop}


def pytest_configure(config):
    config.addinivalue_line("markers", "real_loop: run this async test on a stock event loop")


@pytest.fixture
def workdir(tmp_path):
    return tmp_path / "submission"
