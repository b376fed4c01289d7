"""fetch_all_settled catches BaseException per task: a cancellation of the call itself is
caught too, stored in the list like a failure, and the call carries on and returns."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_all(urls, fetch):
    return list(await asyncio.gather(*(fetch(url) for url in urls)))


async def fetch_all_settled(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    results = []
    for task in tasks:
        try:
            results.append(await task)
        except BaseException as error:
            results.append(error)
    return results
