"""Report of bench/pca.sh: per variant and round, the fastest (nprobe, refine)
reaching recall@10 0.95, its q/s, the ratio to the same codec without PCA in
the same round, and the peak RSS of the search process that ran it; build
time and code bytes per vector.

    bench/pca_report.py DIR REPS NAME|FLAGS ...
"""
import json, os, statistics, sys
d, reps, variants = sys.argv[1], int(sys.argv[2]), [v.split("|")[0] for v in sys.argv[3:]]
load = lambda f: json.load(open(os.path.join(d, f)))
rows = {}
for name in variants:
    st, b = load(name + ".stats.json"), load(name + ".build.json")
    secs, kb = open(os.path.join(d, name + ".build.time")).read().split()
    row = {"description": b.get("description", ""), "code_bytes": b.get("code_bytes"), "build_s": float(secs),
           "build_peak_rss_mb": int(kb) // 1024, "rounds": []}
    for r in range(1, reps + 1):
        best, rss = None, 0
        for f in sorted(os.listdir(d)):
            if not (f.startswith(name + ".refine") and f.endswith(".%d.json" % r)):
                continue
            j = load(f)
            for run in j["runs"][1:]:
                if run["recall"] >= 0.95 and (best is None or run["qps"] > best["qps"]):
                    best = {"nprobe": run["nprobe"], "refine": j["refine"], "recall": run["recall"], "qps": run["qps"]}
                    rss = j.get("process", {}).get("peak_rss_bytes", 0) / 2**20
        row["rounds"].append({"best": best, "peak_rss_mb": round(rss)})
    rows[name] = row
print("variant | index | build s | code bytes | round: nprobe/refine, recall@10, q/s, ratio to no PCA | search peak RSS MB")
for name in variants:
    row, basename = rows[name], name.split("-pca")[0]
    cells = []
    for r, rd in enumerate(row["rounds"]):
        b, base = rd["best"], rows[basename]["rounds"][r]["best"]
        if b is None:
            cells.append("none >= 0.95")
            continue
        ratio = b["qps"] / base["qps"] if base else float("nan")
        rd["ratio"] = round(ratio, 3)
        cells.append("%d/%d %.3f %.0f (%.2f)" % (b["nprobe"], b["refine"], b["recall"], b["qps"], ratio))
    print("%s | %s | %.1f | %s | %s | %s" % (name, row["description"], row["build_s"], row["code_bytes"],
          "; ".join(cells), ", ".join(str(rd["peak_rss_mb"]) for rd in row["rounds"])))
print(json.dumps(rows))
