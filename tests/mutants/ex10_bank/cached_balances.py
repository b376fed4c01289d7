"""Keeps balances in a dict after the first read: balance() no longer follows the store."""

# loses: test_transfer_moves_money
import asyncio
from collections import defaultdict


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.locks = defaultdict(asyncio.Lock)
        self.cache = {}

    async def balance(self, account):
        if account not in self.cache:
            self.cache[account] = await self.store.read(account)
        return self.cache[account]

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("bad transfer")
        first, second = sorted((src, dst))
        async with self.locks[first], self.locks[second]:
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
            self.cache[src] = src_balance - amount
            self.cache[dst] = dst_balance + amount
