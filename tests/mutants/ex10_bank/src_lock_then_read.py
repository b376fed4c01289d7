"""Locks src, checks its funds, and only then locks dst: the classic opposite-transfer
deadlock (each holds its first lock across an await before asking for the second)."""

# loses: test_concurrent_transfers_conserve_money test_opposite_transfers_do_not_deadlock
import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.locks = {}

    def lock(self, account):
        if account not in self.locks:
            self.locks[account] = asyncio.Lock()
        return self.locks[account]

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("bad transfer")
        async with self.lock(src):
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            async with self.lock(dst):
                dst_balance = await self.store.read(dst)
                await self.store.write(src, src_balance - amount)
                await self.store.write(dst, dst_balance + amount)
