"""acquire()/release() by hand, and the InsufficientFunds path raises without releasing:
the refused transfer's locks stay held and every later transfer on them waits for ever."""

# loses: test_concurrent_transfers_conserve_money test_insufficient_funds_changes_nothing test_store_failure_releases_locks
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
        await self.locks[first].acquire()
        await self.locks[second].acquire()
        src_balance = await self.store.read(src)
        if src_balance < amount:
            raise InsufficientFunds(src)
        dst_balance = await self.store.read(dst)
        await self.store.write(src, src_balance - amount)
        await self.store.write(dst, dst_balance + amount)
        self.locks[second].release()
        self.locks[first].release()
