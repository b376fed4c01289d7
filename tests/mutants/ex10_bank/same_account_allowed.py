"""Rejects a non-positive amount but forgets src == dst: transfer('A', 'A', ...) takes
the same lock twice and waits for itself."""

# loses: test_invalid_transfers_raise_value_error
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
        if amount <= 0:
            raise ValueError("the amount must be positive")
        first, second = sorted((src, dst))
        async with self.locks[first], self.locks[second]:
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
