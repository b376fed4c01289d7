"""Explicitly nested `async with` over the two locks in sorted order, created lazily in
a plain dict; the reads are awaited together with gather."""

import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.locks = {}

    def _lock(self, account):
        return self.locks.setdefault(account, asyncio.Lock())

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if src == dst:
            raise ValueError("same account")
        if amount <= 0:
            raise ValueError("amount must be positive")
        low, high = min(src, dst), max(src, dst)
        async with self._lock(low):  # noqa: SIM117 - nested on purpose
            async with self._lock(high):
                have, other = await asyncio.gather(self.store.read(src), self.store.read(dst))
                if have < amount:
                    raise InsufficientFunds(f"{src} has {have}")
                await asyncio.gather(
                    self.store.write(src, have - amount),
                    self.store.write(dst, other + amount),
                )
