"""Exercise 10: two locks without deadlock.

Goal
    A bank keeps account balances in a slow ``Store``. Many transfers run at the same
    time, in every direction. Make each transfer atomic, so that money is never created
    or lost and no balance goes negative, without ever letting two transfers wait for
    each other forever, and without making transfers that share no account wait for
    each other.

The pattern
    A transfer is read, check, write, on *two* accounts, with ``await`` between the
    steps: another transfer can run in every gap. ``asyncio.Lock`` makes a region
    exclusive; ``async with lock:`` releases it however the block is left (return,
    exception, cancellation)::

        async with self.locks[account]:
            value = await store.read(account)      # no other holder can run in here
            await store.write(account, value + 1)

    With one lock per account a transfer must hold two. Take them in whatever order
    comes to mind (``src`` then ``dst``) and "A to B" holds A waiting for B while "B to
    A" holds B waiting for A: a deadlock, forever. The classic cure is to take locks in
    one fixed global order, the same for every transfer, e.g. sorted by account name.
    One lock for the whole bank avoids the deadlock too, but then transfers between
    different accounts wait for each other, and that does not qualify here.

The contract
    ``Store`` is an object with ``async def read(self, key: str) -> int`` (0 for a
    missing key) and ``async def write(self, key: str, value: int) -> None``. Both take
    time and may raise. Account balances are the store's keys.

    ``InsufficientFunds``
        Defined below (an ``Exception``); ``transfer`` raises it.
    ``Bank(store)``
        A bank over ``store``.
    ``await bank.balance(account)``
        The account's balance: the store's value (0 for a missing account).
    ``await bank.transfer(src, dst, amount)``
        Move ``amount`` from ``src`` to ``dst`` atomically: any number of concurrent
        transfers, in any directions, never create or lose money, never leave a
        balance negative, and never deadlock. If ``src`` holds less than ``amount``,
        raise ``InsufficientFunds`` and change nothing (write nothing). ``amount <= 0``
        or ``src == dst`` raises ``ValueError``. Transfers between disjoint pairs of
        accounts run concurrently (one global lock does not qualify). If the store
        raises mid-transfer, that exception propagates (the object itself, not wrapped)
        and no lock stays held, so later transfers still work (no rollback is required).

    Everything runs inside the caller's event loop: never call ``asyncio.run``, never
    block the loop.

Example
    With ``{"A": 50, "B": 10}`` in the store::

        bank = Bank(store)
        await asyncio.gather(bank.transfer("A", "B", 20), bank.transfer("B", "A", 5))
        await bank.balance("A"), await bank.balance("B")    # (35, 25)
        await bank.balance("C")                             # 0: no such account yet
        await bank.transfer("B", "A", 100)                  # raises InsufficientFunds
        await bank.transfer("A", "A", 5)                    # raises ValueError

Check your work
    In the folder that holds this file, ``asynclings check ex10`` grades it and
    shows every rubric item's verdict; ``pytest ex10_bank.py`` does the same.
    ``asynclings hint ex10`` gives a hint.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    async def read(self, key: str) -> int: ...

    async def write(self, key: str, value: int) -> None: ...


class InsufficientFunds(Exception):
    """The source account holds less than the amount of a transfer."""


class Bank:
    """Accounts kept in a ``Store``; transfers between them are atomic."""

    def __init__(self, store: Store) -> None:
        """Keep the store, and set up whatever the transfers will need."""
        raise NotImplementedError

    async def balance(self, account: str) -> int:
        """The account's balance in the store (0 for an account never written)."""
        raise NotImplementedError

    async def transfer(self, src: str, dst: str, amount: int) -> None:
        """Move ``amount`` from ``src`` to ``dst`` atomically."""
        raise NotImplementedError
