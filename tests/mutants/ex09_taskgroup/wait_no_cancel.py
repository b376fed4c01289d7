"""asyncio.wait(FIRST_EXCEPTION) and an ExceptionGroup, but the pending fetches are never
cancelled: they run on after the group is raised."""
# loses: test_siblings_cancelled_at_failure test_raises_after_siblings_finished_cancelling test_cancellation_propagates
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    errors = [task.exception() for task in done if task.exception() is not None]
    if errors:
        raise ExceptionGroup("fetches failed", errors)
    return [task.result() for task in tasks]
