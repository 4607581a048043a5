#!/usr/bin/env bash
# Prints how long a fixed CPU task takes on this machine, so that benchmark figures taken
# on different machines (or on one machine at different times) can be compared. Called
# by bench/load-multinode.sh and bench/get-only.sh; needs python3.
exec python3 -c 'import time; t = time.perf_counter(); sum(i * i for i in range(5_000_000)); print(f"machine: a fixed CPU task (python3, 5M squares) took {time.perf_counter() - t:.2f} s")'
