"""A correct ex02 that uses what honest code uses and a naive guard might mistake for
cheating: logging with tracebacks, traceback printing, TypeVar and namedtuple (both
read their caller's frame; namedtuple and NamedTuple set their defaults), dataclasses,
inspect, reprs of tasks, a thread for a blocking call, a temporary file in its own
scratch space, an attribute named `_exit`, pytest for its own tests, and a demo under
`if __name__ == "__main__":` that uses signal."""

import asyncio
import inspect
import logging
import tempfile
import traceback
from collections import namedtuple
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import pytest

T = TypeVar("T")
Slot = namedtuple("Slot", "index url note", defaults=[""])
log = logging.getLogger(__name__)


class Stop(NamedTuple):
    reason: str = "done"


class Shutdown:
    def __init__(self) -> None:
        self._exit = asyncio.Event()

    def request(self) -> None:
        self._exit.set()


def test_slot_defaults():
    with pytest.raises(TypeError):
        Slot()
    assert Slot(0, "a").note == "" and Stop().reason == "done"


@dataclass
class Outcome:
    slot: Slot
    value: object = None


async def _one(slot, fetch):
    task = asyncio.current_task()
    log.debug("fetching %s in %r", slot.url, task)
    awaitable = fetch(slot.url)
    assert inspect.isawaitable(awaitable)
    try:
        return Outcome(slot, await awaitable)
    except Exception:
        log.exception("fetch(%r) failed", slot.url)
        traceback.format_exc()
        raise


async def fetch_all(urls, fetch):
    await asyncio.to_thread(lambda: tempfile.TemporaryFile().close())
    outcomes = await asyncio.gather(*(_one(Slot(i, u), fetch) for i, u in enumerate(urls)))
    return [o.value for o in sorted(outcomes, key=lambda o: o.slot.index)]


async def fetch_all_settled(urls, fetch):
    async def settle(slot):
        try:
            return (await _one(slot, fetch)).value
        except Exception as error:
            traceback.format_exception(error, limit=1)
            return error

    return list(await asyncio.gather(*(settle(Slot(i, u)) for i, u in enumerate(urls))))


if __name__ == "__main__":
    import signal

    async def demo() -> None:
        shutdown = Shutdown()
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, shutdown.request)

    asyncio.run(demo())
