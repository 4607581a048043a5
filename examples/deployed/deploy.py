#!/usr/bin/env python3
"""Deploys the example of `scan-on-anvil.sh` to a local node and prints the proxy's address.

An EIP-1967 transparent proxy whose admin contract one externally owned account owns, in
front of an implementation anyone can self-destruct (the fixtures the tests deploy, compiled
once by solc-js and committed). Uses the node's unlocked development accounts.

    deploy.py RPC_URL
"""
import json
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if "error" in answer:
        sys.exit(f"deploy.py: {method} failed: {answer['error']}")
    return answer["result"]


def bytecode(artifact, name):
    contracts = json.loads((ROOT / artifact).read_text())["contracts"]
    matches = [c for key, c in contracts.items() if key.split(":")[-1] == name]
    return matches[0]["bytecode"]


def word(address):
    return address[2:].lower().rjust(64, "0")


def deploy(url, sender, code, value=0):
    tx = {"from": sender, "data": code, "value": hex(value)}
    tx_hash = rpc(url, "eth_sendTransaction", [tx])
    for _ in range(300):
        receipt = rpc(url, "eth_getTransactionReceipt", [tx_hash])
        if receipt:
            if receipt["status"] != "0x1":
                sys.exit("deploy.py: a deployment reverted")
            return receipt["contractAddress"]
        time.sleep(0.1)
    sys.exit("deploy.py: no receipt after 30 s")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    url = sys.argv[1]
    deployer, owner = rpc(url, "eth_accounts", [])[:2]
    proxies = "crates/chain/tests/fixtures/Proxies.json"
    implementation = deploy(url, deployer, bytecode("crates/sim/tests/fixtures/fixtures.json", "Killable"))
    admin = deploy(url, deployer, bytecode(proxies, "ProxyAdmin") + word(owner))
    proxy = deploy(
        url,
        deployer,
        bytecode(proxies, "TransparentProxy") + word(implementation) + word(admin),
    )
    # One ether in the proxy, for the simulation to sweep.
    rpc(url, "anvil_setBalance", [proxy, hex(10**18)])
    print(proxy)


if __name__ == "__main__":
    main()
