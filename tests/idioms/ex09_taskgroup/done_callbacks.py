"""Plain tasks with a done callback: the first failure cancels every other task on the
spot; gather(return_exceptions=True) waits for all of them to settle."""
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]

    def on_done(finished):
        if not finished.cancelled() and finished.exception() is not None:
            for task in tasks:
                if not task.done():
                    task.cancel()

    for task in tasks:
        task.add_done_callback(on_done)
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if errors:
        raise ExceptionGroup("fetches failed", errors)
    return outcomes
