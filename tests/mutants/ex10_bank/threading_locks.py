"""One threading.Lock per account, taken in sorted order: correct ordering, wrong kind of
lock. A transfer that finds an account's lock taken waits inside the event loop, and the
transfer holding it never runs again to release it."""
# loses: test_concurrent_transfers_conserve_money test_opposite_transfers_do_not_deadlock
import threading
from collections import defaultdict


class InsufficientFunds(Exception):
    pass


class Bank:
    def __init__(self, store):
        self._store = store
        self._locks = defaultdict(threading.Lock)

    async def balance(self, account):
        return await self._store.read(account)

    async def transfer(self, src, dst, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        if src == dst:
            raise ValueError("same account")
        first, second = sorted((src, dst))
        with self._locks[first], self._locks[second]:
            src_balance = await self._store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(src)
            dst_balance = await self._store.read(dst)
            await self._store.write(src, src_balance - amount)
            await self._store.write(dst, dst_balance + amount)
