"""Starts a task per url and awaits them in turn, with no clean-up: cancelling fetch_all
cancels only the task it is awaiting, the other fetches keep running (same in settled)."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_all(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    return [await task for task in tasks]


async def fetch_all_settled(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    results = []
    for task in tasks:
        try:
            results.append(await task)
        except Exception as error:
            results.append(error)
    return results
