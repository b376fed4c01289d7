"""asyncio.wait(FIRST_EXCEPTION) with cancel, await and group, but no guard for empty
urls: asyncio.wait raises ValueError on an empty set."""
# loses: test_empty_urls
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    errors = [task.exception() for task in tasks if task in done and task.exception()]
    if errors:
        raise ExceptionGroup("fetches failed", errors)
    return [task.result() for task in tasks]
