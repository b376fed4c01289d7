"""Starts a task per url, then awaits them in url order; `finally:` cancels and awaits
whatever is still running, so cancelling the call (or a failure) leaves nothing behind."""
import asyncio


async def fetch_all(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        return [await task for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def fetch_all_settled(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        results = []
        for task in tasks:
            try:
                results.append(await task)
            except Exception as error:
                results.append(error)
        return results
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
