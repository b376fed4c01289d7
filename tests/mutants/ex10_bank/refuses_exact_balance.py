"""Off by one: `<=` in the funds check refuses a transfer of exactly the balance."""

# loses: test_insufficient_funds_changes_nothing
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
        first, second = sorted((src, dst))
        async with self.locks[first], self.locks[second]:
            src_balance = await self.store.read(src)
            if src_balance <= amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
