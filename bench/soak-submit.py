#!/usr/bin/env python3
"""Submits audits at a steady rate for bench/soak.sh and writes each accepted audit's id,
one a line.

Usage: soak-submit.py ADDRESS API_KEY RATE SECONDS IDS_FILE

Audit n is due RATE-th of a second after audit n-1, from the start; sixteen threads with
a kept-alive connection each send them (a slow answer delays only its own thread). An
audit the API refuses or that fails in transport is counted, not retried. Prints how many
were asked for, accepted and refused, and the rate reached.
"""

import http.client
import json
import queue
import sys
import threading
import time

THREADS = 16


def source(n: int) -> str:
    return (
        "pragma solidity ^0.8.0;\n"
        f"contract Soak{n} {{\n"
        "    address owner;\n"
        "    function f() public {\n"
        "        require(tx.origin == owner);\n"
        "    }\n"
        "}\n"
    )


def main() -> int:
    address, key, rate, seconds, ids_path = sys.argv[1:6]
    rate, seconds = float(rate), float(seconds)
    host, port = address.rsplit(":", 1)
    due: queue.Queue = queue.Queue(maxsize=THREADS * 4)
    lock = threading.Lock()
    counts = {"accepted": 0, "refused": 0}
    ids = open(ids_path, "a", encoding="utf-8")

    def send() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            n = due.get()
            if n is None:
                return
            body = json.dumps({"sources": {"soak.sol": source(n)}})
            headers = {"x-api-key": key, "content-type": "application/json"}
            try:
                connection.request("POST", "/api/v1/audits", body, headers)
                response = connection.getresponse()
                answer = response.read()
                audit_id = json.loads(answer).get("id") if response.status < 300 else None
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                audit_id = None
            with lock:
                if audit_id:
                    counts["accepted"] += 1
                    ids.write(audit_id + "\n")
                else:
                    counts["refused"] += 1

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    start = time.monotonic()
    n = 0
    while n < rate * seconds:
        wait = start + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        due.put(n)
        n += 1
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    ids.close()
    print(
        f"asked {n}, accepted {counts['accepted']}, refused {counts['refused']} "
        f"in {elapsed:.0f} s ({counts['accepted'] / elapsed:.1f} a second)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
