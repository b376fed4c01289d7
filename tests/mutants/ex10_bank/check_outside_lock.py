"""Checks the funds before taking the locks, then writes from balances re-read under
them: two transfers out of one account both pass the check (check-then-act), and the
account is overdrawn."""

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
        if await self.balance(src) < amount:
            raise InsufficientFunds(src)
        first, second = sorted((src, dst))
        async with self.locks[first], self.locks[second]:
            src_balance = await self.store.read(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
