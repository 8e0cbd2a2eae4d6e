#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""simpy_canary.py - the canary workflow (workflows/canary-deploy.fz) under the
"flaky-registry" scenario of workflows/canary-deploy.scenario.yaml, or under
the "lognormal-faults" scenario of bench/canary-lognormal.scenario.yaml (a
lognormal latency and an error probability on every node), written by hand
as a SimPy model, for bench/sim.sh to compare with `flowzap sim`.

Debian 12 ships SimPy 2.3 (python3-simpy): the model uses its object API
(Simulation, Process, hold). Each run is its own Simulation seeded from the
run index, as each flowzap run has its own stream.

usage: simpy_canary.py [RUNS [SCENARIO]]
  prints "simpy runs=N seconds=S runs_per_s=R ..." and a line of outcome
  shares and durations ("model ..."), which bench_sim prints for flowzap too,
  so a reader can see that both model the same thing.
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
                out["durations"].append(self.sim.now())
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
        out["durations"].append(self.sim.now())


class CanaryLognormal(Process):
    """The same rollout under "lognormal-faults": every node a lognormal
    latency and an error probability; an error fails the run (Push to
    registry retries twice first), drawn before the node's weighted choice
    and its latency, as flowzap draws them."""

    def step(self, rnd, median, sigma, p_error, p_yes=None):
        """One attempt: (answer, latency); the caller holds the latency.
        answer is "error", or for a decision "Yes"/"No", else "ok"."""
        if rnd.random() < p_error:
            return "error", lognormal(rnd, median, sigma)
        answer = "ok"
        if p_yes is not None:
            answer = "Yes" if rnd.random() < p_yes else "No"
        return answer, lognormal(rnd, median, sigma)

    def run(self, rnd, out):
        D = (2 * S, 0.4, 0.005)                                 # defaults
        MON = (20 * S, 0.5, 0.01)                               # Track|Measure|Check
        failed = None
        outcome = None
        for name, m in (("n1", D), ("n2", (180 * S, 0.3, 0.01))):
            a, lat = self.step(rnd, *m)
            yield hold, self, lat
            if a == "error":
                failed = name
                break
        if failed is None:
            # n3 Push to registry: error 5%, 2 retries, backoff 10s doubling
            attempt, delay = 0, 10 * S
            while True:
                attempt += 1
                a, lat = self.step(rnd, 35 * S, 0.3, 0.05)
                yield hold, self, lat
                if a != "error":
                    break
                if attempt == 3:
                    failed = "n3"
                    break
                yield hold, self, delay
                delay = min(delay * 2, 60 * S)
        seq = [("n6", D), ("n7", D), ("n8", (600 * S, 0.05, 0.005)),
               ("n9", (5 * S, 0.2, 0.005, 0.97))]
        if failed is None:
            for name, m in seq:
                a, lat = self.step(rnd, *m)
                yield hold, self, lat
                if a == "error":
                    failed = name
                    break
        if failed is None and a == "Yes":
            a, lat = self.step(rnd, *D)                         # n10
            yield hold, self, lat
            if a == "error":
                failed = "n10"
            else:
                a, lat = self.step(rnd, 5 * S, 0.2, 0.005, 0.97)  # n12
                yield hold, self, lat
                if a == "error":
                    failed = "n12"
        if failed is None and a == "No":
            outcome = "End via Aborted"
            a, lat = self.step(rnd, *D)                         # n11
            yield hold, self, lat
            if a == "error":
                failed = "n11"
        elif failed is None:
            for name, m in (("n13", D), ("n14", D), ("n15", MON), ("n16", MON),
                            ("n17", MON), ("n18", (15 * S, 0.2, 0.005, 0.98))):
                a, lat = self.step(rnd, *m)
                yield hold, self, lat
                if a == "error":
                    failed = name
                    break
            if failed is None:
                outcome = "End via Success" if a == "Yes" else "End via Rolled back"
                a, lat = self.step(rnd, *D)                     # n19 / n20
                yield hold, self, lat
                if a == "error":
                    failed = "n19" if outcome == "End via Success" else "n20"
        for name in ("n4", "n5"):
            if failed is None:
                a, lat = self.step(rnd, *D)
                yield hold, self, lat
                if a == "error":
                    failed = name
        out["failed" if failed else outcome] += 1
        out["durations"].append(self.sim.now())


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    scenario = sys.argv[2] if len(sys.argv) > 2 else "flaky-registry"
    model = {"flaky-registry": Canary, "lognormal-faults": CanaryLognormal}.get(scenario)
    if model is None:
        sys.exit("simpy_canary.py: no model of scenario %r" % scenario)
    out = {"End via Success": 0, "End via Aborted": 0, "End via Rolled back": 0,
           "failed at Push to registry": 0, "failed": 0, "durations": []}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(runs):
        sim = Simulation()
        sim.initialize()
        p = model(sim=sim)
        sim.activate(p, p.run(random.Random(42 * 1000003 + i), out))
        sim.simulate(until=1e9)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    print("simpy runs=%d seconds=%.3f cpu_seconds=%.3f runs_per_s=%.0f runs_per_cpu_s=%.0f "
          "success_share=%.4f" % (runs, dt, dc, runs / dt, runs / dc,
                                  out["End via Success"] / runs))
    d = sorted(out["durations"])
    failed = out["failed"] + out["failed at Push to registry"]
    print("model scenario=%s success=%.4f aborted=%.4f rolled_back=%.4f failed=%.4f "
          "mean_s=%.1f p50_s=%.1f p90_s=%.1f" % (
              scenario, out["End via Success"] / runs, out["End via Aborted"] / runs,
              out["End via Rolled back"] / runs, failed / runs,
              sum(d) / len(d), d[len(d) // 2], d[len(d) * 9 // 10]))


if __name__ == "__main__":
    main()
