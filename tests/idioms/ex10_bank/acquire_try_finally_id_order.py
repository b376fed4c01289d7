"""acquire()/release() in try/finally, the two locks ordered by id() (any fixed global
order works); dst is read only after the funds check."""

import asyncio


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self._store = store
        self._locks: dict[str, asyncio.Lock] = {}

    async def balance(self, account: str) -> int:
        return await self._store.read(account)

    async def transfer(self, src: str, dst: str, amount: int) -> None:
        if amount <= 0 or src == dst:
            raise ValueError((src, dst, amount))
        locks = sorted(
            (self._locks.setdefault(name, asyncio.Lock()) for name in (src, dst)), key=id
        )
        await locks[0].acquire()
        try:
            await locks[1].acquire()
            try:
                balance = await self._store.read(src)
                if balance < amount:
                    raise InsufficientFunds(src)
                await self._store.write(src, balance - amount)
                await self._store.write(dst, await self._store.read(dst) + amount)
            finally:
                locks[1].release()
        finally:
            locks[0].release()
