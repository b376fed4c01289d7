"""Creates fresh locks inside transfer: every call has its own, so they exclude nothing."""

# loses: test_concurrent_transfers_conserve_money
import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self.store = store

    async def balance(self, account):
        return await self.store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0 or src == dst:
            raise ValueError("bad transfer")
        locks = {src: asyncio.Lock(), dst: asyncio.Lock()}
        first, second = sorted((src, dst))
        async with locks[first], locks[second]:
            src_balance = await self.store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self.store.read(dst)
            await self.store.write(src, src_balance - amount)
            await self.store.write(dst, dst_balance + amount)
