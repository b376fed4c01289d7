"""contextlib.AsyncExitStack enters the locks of the sorted accounts; the funds are
checked optimistically before locking, then again under the locks."""

import asyncio
import contextlib
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
            raise ValueError("amount must be positive")
        if src == dst:
            raise ValueError("src and dst must differ")
        if await self.store.read(src) < amount:  # fast refusal, confirmed below
            raise InsufficientFunds(src)
        async with contextlib.AsyncExitStack() as stack:
            for account in sorted({src, dst}):
                await stack.enter_async_context(self.locks[account])
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(dst, dst_balance + amount)
            await self.store.write(src, src_balance - amount)
