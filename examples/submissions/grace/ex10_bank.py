"""Exercise 10, reference solution: a lock per account, taken in sorted order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Protocol


class Store(Protocol):
    async def read(self, key: str) -> int: ...

    async def write(self, key: str, value: int) -> None: ...


class InsufficientFunds(Exception):
    """The source account holds less than the amount of a transfer."""


class Bank:
    """Accounts kept in a ``Store``; transfers between them are atomic."""

    def __init__(self, store: Store) -> None:
        """Keep the store; one lock per account, created on first use."""
        self._store = store
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def balance(self, account: str) -> int:
        """The account's balance in the store (0 for an account never written)."""
        return await self._store.read(account)

    async def transfer(self, src: str, dst: str, amount: int) -> None:
        """Move ``amount`` from ``src`` to ``dst`` atomically."""
        if amount <= 0:
            raise ValueError(f"the amount must be positive, not {amount}")
        if src == dst:
            raise ValueError(f"cannot transfer from {src!r} to itself")
        # Every transfer takes its two locks in the same global order (sorted by
        # name), so no two transfers can each hold the lock the other waits for.
        first, second = sorted((src, dst))
        async with self._locks[first], self._locks[second]:
            src_balance = await self._store.read(src)
            if src_balance < amount:
                raise InsufficientFunds(f"{src!r} holds {src_balance}, less than {amount}")
            dst_balance = await self._store.read(dst)
            await self._store.write(src, src_balance - amount)
            await self._store.write(dst, dst_balance + amount)
