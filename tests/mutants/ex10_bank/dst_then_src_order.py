"""Locks dst then src: a fixed order per transfer, but not one global order."""

# loses: test_concurrent_transfers_conserve_money test_opposite_transfers_do_not_deadlock
import asyncio
from collections import defaultdict


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.locks = defaultdict(asyncio.Lock)

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("bad transfer")
        async with self.locks[dst]:  # noqa: SIM117 - nested on purpose
            async with self.locks[src]:
                src_balance = await self.store.read(src)
                if src_balance < amount:
                    raise InsufficientFunds(src)
                dst_balance = await self.store.read(dst)
                await self.store.write(src, src_balance - amount)
                await self.store.write(dst, dst_balance + amount)
