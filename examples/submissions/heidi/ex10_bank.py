"""One lock for the whole bank: safe, but transfers between different accounts wait
for each other."""

import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store
        self.lock = asyncio.Lock()

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("bad transfer")
        async with self.lock:
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
