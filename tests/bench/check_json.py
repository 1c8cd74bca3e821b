#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks a mudbench JSON report for completeness and sanity (never speed).

usage: check_json.py FILE SCENARIO...
"""
import json
import math
import sys

DROPS = ["ace-drop", "default-deny", "malformed", "profile-deny-all", "profile-no-policy",
         "same-port", "tx-full", "no-mbuf", "hold-dropped", "hold-full", "no-uplink"]
errors = []


def need(cond, what):
    if not cond:
        errors.append(what)


def num(d, key, where, positive=True):
    v = d.get(key)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    need(ok and (v > 0 if positive else v >= 0), f"{where}.{key} = {v!r}")
    return v if ok else 0


def main():
    doc = json.load(open(sys.argv[1]))
    want = sys.argv[2:]
    m = doc.get("machine", {})
    for k in ("cpu", "cpus", "tsc_hz", "dpdk", "lcores", "memory"):
        need(k in m, f"machine.{k} missing")
    per_dev = num(m, "device_table_bytes_per_device", "machine")
    need(per_dev < 4096, f"device table bytes per device {per_dev} implausible")
    sc = {s.get("name"): s for s in doc.get("scenarios", [])}
    need(sorted(sc) == sorted(want), f"scenarios {sorted(sc)} != {sorted(want)}")
    for name in want:
        s = sc.get(name, {})
        w = name
        mpps = num(s, "mpps", w)
        base = num(s, "baseline_mpps", w)
        ratio = num(s, "ratio", w)
        num(s, "cycles_per_packet", w)
        need(base > 0 and abs(ratio - mpps / base) < 1e-6 * max(1, ratio),
             f"{w}: ratio {ratio} != mpps / baseline_mpps")
        for k in ("mpps_stats", "baseline_mpps_stats", "ratio_stats"):
            st = s.get(k) or {}
            for f in ("min", "median", "max"):
                num(st, f, f"{w}.{k}")
            need(st.get("min", 1) <= st.get("median", 0) <= st.get("max", -1),
                 f"{w}.{k}: min <= median <= max violated")
        drops = s.get("drops", {})
        need(sorted(drops) == sorted(DROPS), f"{w}: drops keys {sorted(drops)}")
        for k in DROPS:
            num(drops, k, f"{w}.drops", positive=False)
        wl = s.get("workload", {})
        for k in ("devices", "policies", "aces", "rules", "sequence_frames"):
            num(wl, k, f"{w}.workload")
        img = s.get("image", {})
        for k in ("parse_validate_ms", "compile_ms", "expand_finish_ms", "generation_build_ms",
                  "size_bytes"):
            num(img, k, f"{w}.image")
        num(s.get("memory", {}), "per_rule_bytes", f"{w}.memory")
        st = s.get("stage_cycles_per_packet", {})
        num(st, "parse", f"{w}.stage")
        num(st, "classify_burst", f"{w}.stage")
        num(st, "classify_burst_cached", f"{w}.stage")
        # the worker's own cost per frame, per mode (over memif: the child's counters; S1
        # over memif has it for enforcement off only, the io child has no worker loop)
        cpp = s.get("worker_busy_cycles_per_packet") or {}
        need(any(cpp.values()), f"{w}: no worker_busy_cycles_per_packet")
        for mode, stats in cpp.items():
            if stats is None and name == "S1":
                continue  # plain io forwarding has no worker loop counters
            for k in ("min", "median", "max"):
                num(stats, k, f"{w}.worker_busy_cycles_per_packet.{mode}")
        if name != "S1":
            vc = s.get("verdict_cache")
            need(isinstance(vc, dict), f"{w}: no verdict_cache")
            if isinstance(vc, dict):
                num(vc, "hits", f"{w}.verdict_cache")
                need(0 < vc.get("hit_rate", 0) <= 1, f"{w}.verdict_cache.hit_rate")
        if str(s.get("port", "")).startswith("net_memif"):
            # between processes: every frame sent reached mudgate-dp, every frame it sent
            # reached the generator
            v = s.get("verdicts", {})
            need(v.get("lost_to_dp") == 0 and v.get("lost_from_dp") == 0,
                 f"{w}: frames lost over memif: {v}")
            need(v.get("frames") == v.get("sent_by_generator")
                 and v.get("received_back") == v.get("transmitted_by_dp"),
                 f"{w}: memif counts differ: {v}")
        if name == "S1":
            continue
        v = s.get("verdicts", {})
        num(v, "frames", f"{w}.verdicts")
        # what the fast path denied equals what the reference classifier denies
        if name != "S5":
            need(v.get("mismatch") == 0 and v.get("denied") == v.get("reference_denied"),
                 f"{w}: verdicts differ from the reference: {v}")
            need(drops.get("default-deny", 0) + drops.get("ace-drop", 0) == v.get("denied"),
                 f"{w}: policy drops != denied")
        need(drops.get("tx-full") == 0 and drops.get("malformed") == 0,
             f"{w}: unexpected drops {drops}")
        if name == "S3":
            hs = s.get("handshakes", {})
            num(hs, "flows", f"{w}.handshakes")
            # a SYN opens a flow only when a direction-initiated ACE decides it (an earlier
            # ACE may allow it first, as in the reference)
            need(0 < hs.get("flows_added", 0) <= hs.get("flows", 0),
                 f"{w}: handshakes not recorded: {hs}")
        if name == "S5":
            u = s.get("update", {})
            if not u.get("updates"):
                # say why instead of listing null latencies
                errors.append(f"{w}: no policy update observed ({u.get('issued')} issued, "
                              f"{u.get('missed')} never seen by a probe frame within 1 s): "
                              f"{u.get('note', 'no note')}")
            else:
                num(u, "issued", f"{w}.update")
                need(u["updates"] + u.get("missed", 0) <= u.get("issued", 0),
                     f"{w}: updates {u['updates']} + missed > issued {u.get('issued')}")
                for k in ("latency_ms", "build_ms", "load_call_ms"):
                    st = u.get(k) or {}
                    for f in ("min", "median", "p99", "max"):
                        num(st, f, f"{w}.update.{k}", positive=False)
                    need(st.get("min", 1) <= st.get("median", 0) <= st.get("p99", -1)
                         <= st.get("max", -2), f"{w}.update.{k}: min <= median <= p99 <= max")
                    need(st.get("n") == u["updates"], f"{w}.update.{k}.n != updates")
            need(u.get("non_policy_drops") == 0, f"{w}: frames lost in updates: {u}")
            need(u.get("stable_denied_beyond_reference") == 0,
                 f"{w}: stable frames denied during updates: {u}")
    for e in errors:
        print("FAIL", e)
    print(f"check_json: {len(want)} scenarios, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
