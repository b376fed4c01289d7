"""Awaits each fetch in turn inside a loop: correct results, but one after another."""


async def fetch_all(urls, fetch):
    return [await fetch(url) for url in urls]


async def fetch_all_settled(urls, fetch):
    results = []
    for url in urls:
        try:
            results.append(await fetch(url))
        except Exception as error:
            results.append(error)
    return results
