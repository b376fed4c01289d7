"""A correct ex02 that uses what honest code uses and a naive guard might mistake for
cheating: logging with tracebacks, traceback printing, TypeVar and namedtuple (both
read their caller's frame), dataclasses, inspect, reprs of tasks, a thread for a
blocking call, a temporary file in its own scratch space."""

import asyncio
import inspect
import logging
import tempfile
import traceback
from collections import namedtuple
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Slot = namedtuple("Slot", "index url")
log = logging.getLogger(__name__)


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
