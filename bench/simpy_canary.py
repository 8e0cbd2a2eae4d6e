#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""simpy_canary.py - the canary workflow (workflows/canary-deploy.fz) under the
"flaky-registry" scenario of workflows/canary-deploy.scenario.yaml, written by
hand as a SimPy model, for bench/sim.sh to compare with `flowzap sim`.

Debian 12 ships SimPy 2.3 (python3-simpy): the model uses its object API
(Simulation, Process, hold). Each run is its own Simulation seeded from the
run index, as each flowzap run has its own stream.

usage: simpy_canary.py [RUNS]   prints "simpy runs=N seconds=S runs_per_s=R ..."
"""
import math
import random
import sys
import time

from SimPy.Simulation import Process, Simulation, hold

S = 1.0  # virtual seconds


def lognormal(rnd, median, sigma):
    return median * math.exp(sigma * rnd.gauss(0.0, 1.0))


def default(rnd):
    # defaults: latency {lognormal: {median: 2s, sigma: 0.4}}
    return lognormal(rnd, 2 * S, 0.4)


class Canary(Process):
    """One rollout: the nodes and edges of canary-deploy.fz, in order."""

    def run(self, rnd, out):
        yield hold, self, default(rnd)                      # n1 Start
        yield hold, self, lognormal(rnd, 180 * S, 0.3)      # n2 Build container image
        # n3 Push to registry: uniform 20-60s, error 5%, 2 retries,
        # backoff 10s doubling (max 1m), timeout 2m (never reached)
        attempt, delay = 0, 10 * S
        while True:
            attempt += 1
            yield hold, self, rnd.uniform(20 * S, 60 * S)
            if rnd.random() >= 0.05:
                break
            if attempt == 3:
                out["failed at Push to registry"] += 1
                return
            yield hold, self, delay
            delay = min(delay * 2, 60 * S)
        yield hold, self, default(rnd)                      # n6 Deploy to 5% of pods
        yield hold, self, default(rnd)                      # n7 Configure traffic split
        yield hold, self, 600 * S                           # n8 Wait observation period
        yield hold, self, 5 * S                             # n9 Metrics healthy?
        outcome = None
        if rnd.random() >= 0.97:
            outcome = "End via Aborted"
        else:
            yield hold, self, default(rnd)                  # n10 Increase to 25%
            yield hold, self, 5 * S                         # n12 Still healthy?
            if rnd.random() >= 0.97:
                outcome = "End via Aborted"
        if outcome:
            yield hold, self, default(rnd)                  # n11 Rollback canary
        else:
            yield hold, self, default(rnd)                  # n13 Increase to 50%
            yield hold, self, default(rnd)                  # n14 Full rollout 100%
            for _ in range(3):                              # n15, n16, n17
                yield hold, self, rnd.expovariate(1 / (20 * S))
            yield hold, self, 15 * S                        # n18 All metrics pass?
            if rnd.random() < 0.98:
                outcome = "End via Success"
            else:
                outcome = "End via Rolled back"
            yield hold, self, default(rnd)                  # n19 / n20
        yield hold, self, default(rnd)                      # n4 Complete rollout
        yield hold, self, default(rnd)                      # n5 End
        out[outcome] += 1
        out["duration"] += self.sim.now()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    out = {"End via Success": 0, "End via Aborted": 0, "End via Rolled back": 0,
           "failed at Push to registry": 0, "duration": 0.0}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(runs):
        sim = Simulation()
        sim.initialize()
        p = Canary(sim=sim)
        sim.activate(p, p.run(random.Random(42 * 1000003 + i), out))
        sim.simulate(until=1e9)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    print("simpy runs=%d seconds=%.3f cpu_seconds=%.3f runs_per_s=%.0f runs_per_cpu_s=%.0f "
          "success_share=%.4f" % (runs, dt, dc, runs / dt, runs / dc,
                                  out["End via Success"] / runs))


if __name__ == "__main__":
    main()
