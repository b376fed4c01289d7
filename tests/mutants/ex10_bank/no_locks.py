"""No locks at all: read, check, write with awaits in between, so concurrent transfers
overwrite each other's balances (lost updates, money created or lost)."""
# loses: test_concurrent_transfers_conserve_money


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
        src_balance = await self.store.read(src)
        if src_balance < amount:
            raise InsufficientFunds(src)
        dst_balance = await self.store.read(dst)
        await self.store.write(src, src_balance - amount)
        await self.store.write(dst, dst_balance + amount)
