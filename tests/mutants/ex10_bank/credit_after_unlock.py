"""Debits src under the locks but credits dst after leaving them: the read-modify-write
of dst races with other transfers into or out of dst."""

# loses: test_concurrent_transfers_conserve_money
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
            if src_balance < amount:
                raise InsufficientFunds(src)
            await self.store.write(src, src_balance - amount)
        dst_balance = await self.store.read(dst)
        await self.store.write(dst, dst_balance + amount)
