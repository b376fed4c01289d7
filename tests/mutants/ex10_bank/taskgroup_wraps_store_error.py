"""Reads both balances in a TaskGroup: a store error comes out wrapped in an
ExceptionGroup instead of propagating itself."""

# loses: test_store_failure_releases_locks
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
            async with asyncio.TaskGroup() as group:
                src_read = group.create_task(self.store.read(src))
                dst_read = group.create_task(self.store.read(dst))
            if src_read.result() < amount:
                raise InsufficientFunds(src)
            await self.store.write(src, src_read.result() - amount)
            await self.store.write(dst, dst_read.result() + amount)
