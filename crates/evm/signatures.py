#!/usr/bin/env python3
"""Writes src/signatures.txt: `0xSELECTOR signature` lines for common function signatures
(tokens, ownership, access control, proxies, pausing and usual admin functions), sorted by
selector. The selector is the first four bytes of Keccak-256 (the original Keccak padding, not
SHA3-256), computed here without dependencies; a unit test of the crate checks every line.

    python3 crates/evm/signatures.py
"""
import os

SIGNATURES = """
totalSupply() balanceOf(address) transfer(address,uint256) transferFrom(address,address,uint256)
approve(address,uint256) allowance(address,address) name() symbol() decimals()
increaseAllowance(address,uint256) decreaseAllowance(address,uint256) mint(address,uint256)
burn(uint256) burnFrom(address,uint256) burn(address,uint256) mint(uint256)
permit(address,address,uint256,uint256,uint8,bytes32,bytes32) nonces(address) DOMAIN_SEPARATOR()
approveAndCall(address,uint256,bytes) transferAndCall(address,uint256,bytes)
ownerOf(uint256) safeTransferFrom(address,address,uint256) safeTransferFrom(address,address,uint256,bytes)
setApprovalForAll(address,bool) isApprovedForAll(address,address) getApproved(uint256)
tokenURI(uint256) supportsInterface(bytes4) tokenOfOwnerByIndex(address,uint256) tokenByIndex(uint256)
safeTransferFrom(address,address,uint256,uint256,bytes)
safeBatchTransferFrom(address,address,uint256[],uint256[],bytes) balanceOfBatch(address[],uint256[])
uri(uint256)
owner() transferOwnership(address) renounceOwnership() acceptOwnership() pendingOwner() newOwner()
setOwner(address) changeOwner(address) claimOwnership() isOwner()
hasRole(bytes32,address) grantRole(bytes32,address) revokeRole(bytes32,address)
renounceRole(bytes32,address) getRoleAdmin(bytes32) DEFAULT_ADMIN_ROLE()
addAdmin(address) removeAdmin(address) setAdmin(address) admin() changeAdmin(address)
addMinter(address) removeMinter(address) isMinter(address) renounceMinter()
implementation() upgradeTo(address) upgradeToAndCall(address,bytes) proxiableUUID()
initialize() initialize(address) init() setImplementation(address)
pause() unpause() paused()
withdraw() withdraw(uint256) withdrawAll() withdraw(address,uint256) withdrawTokens(address,uint256)
withdrawEther() withdrawEth() withdrawBalance() withdrawFunds() emergencyWithdraw() claim() refund()
kill() destroy() destruct() close() selfDestruct() suicide(address) kill(address) destroy(address)
deposit() fallback() execute(address,bytes) execute(address,uint256,bytes) multicall(bytes[])
forward(bytes) setFee(uint256) setPrice(uint256) setRate(uint256) setToken(address) setWallet(address)
sweep(address) rescueTokens(address,uint256) recoverERC20(address,uint256)
transferAnyERC20Token(address,uint256) lock() unlock() freeze(address) unfreeze(address)
blacklist(address) addToWhitelist(address) removeFromWhitelist(address) finalize() start() stop()
buy() buyTokens(address) invest() getBalance() balance() ping() write(uint256,uint256) push(uint256)
pay(address) send(address,uint256) setOwner(address,bool) changeOwnership(address) register()
"""

RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
       [27, 20, 39, 8, 14]]
MASK = (1 << 64) - 1


def rotl(x, n):
    return ((x << n) | (x >> (64 - n))) & MASK if n else x


def keccak_f(a):
    for rc in RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rotl(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rotl(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    padded = bytearray(data) + b"\x01"
    padded += b"\x00" * (-len(padded) % rate)
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for block in range(0, len(padded), rate):
        for i in range(rate // 8):
            word = int.from_bytes(padded[block + 8 * i:block + 8 * i + 8], "little")
            a[i % 5][i // 5] ^= word
        a = keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def main():
    assert keccak256(b"").hex().startswith("c5d2460186f7233c"), "keccak self-test"
    lines = {}
    for sig in SIGNATURES.split():
        selector = keccak256(sig.encode()).hex()[:8]
        lines.setdefault(selector, sig)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src", "signatures.txt")
    with open(path, "w") as f:
        for selector in sorted(lines):
            f.write(f"0x{selector} {lines[selector]}\n")
    print(f"{len(lines)} signatures written to {path}")


if __name__ == "__main__":
    main()
