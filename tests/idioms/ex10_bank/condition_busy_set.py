"""No lock per account: an asyncio.Condition guards a set of busy accounts, and a
transfer waits until both of its accounts are free, then claims them together (all or
nothing, so no ordering is needed)."""

import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.busy: set[str] = set()
        self.changed = asyncio.Condition()

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("invalid transfer")
        accounts = {src, dst}
        async with self.changed:
            await self.changed.wait_for(lambda: not accounts & self.busy)
            self.busy |= accounts
        try:
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
        finally:
            async with self.changed:
                self.busy -= accounts
                self.changed.notify_all()
