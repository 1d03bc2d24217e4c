"""Writes the bench's results: PREFIX.md (printed too) and PREFIX.json, from the scratch directory
scripts/bench.sh filled (meta.tsv, runs.tsv, rows-expected.tsv, log/<run>.err, alloc.jsonl).

  report.py SCRATCH PREFIX
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summary as etl_summary  # noqa: E402

KINDS = {
    "a": "baseline: psql \\copy csv, 2 streams, then keys",
    "b": "etlfast load (PostgreSQL)",
    "c": "etlfast load --sink null",
    "d": "etlfast load --sink null, live: MongoDB driver from the wire test server",
    "e": "etlfast load from the mongodump archive (PostgreSQL)",
}
ETLFAST_KINDS = "bcde"


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def med(values):
    return statistics.median(values) if values else None


def baseline_phases(path):
    """The "phase NAME START END" lines the baseline script prints -> {name: seconds}."""
    phases = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "phase":
                phases[parts[1]] = float(parts[3]) - float(parts[2])
    return phases


def main(scratch, prefix):
    meta = dict(read_tsv(os.path.join(scratch, "meta.tsv")))
    expected = {t: int(n) for t, n in read_tsv(os.path.join(scratch, "rows-expected.tsv"))}
    rows = sum(expected.values())
    bson = int(meta["bson_bytes"])
    header, *lines = read_tsv(os.path.join(scratch, "runs.tsv"))
    workload = meta.get("workload", "users")
    documents = int(meta.get("documents") or meta["users"])
    runs = []
    for line in lines:
        r = dict(zip(header, line))
        run = {"seq": int(r["seq"]), "kind": r["kind"], "rep": int(r["rep"]), "wall_s": float(r["wall"]),
               "client_user_s": float(r["user"]), "client_sys_s": float(r["sys"]),
               "client_peak_rss_mib": int(r["maxrss_kb"]) / 1024, "server_cpu_s": float(r["server_cpu"]),
               "other_cpu_s": float(r["other_cpu"]), "load1_before": float(r["load1"]), "rows": rows,
               "source_server_cpu_s": float(r.get("source_cpu") or 0)}
        run["client_cpu_s"] = run["client_user_s"] + run["client_sys_s"]
        run["rows_per_s"] = rows / run["wall_s"]
        run["bson_mib_per_s"] = bson / 1048576 / run["wall_s"]
        run["client_cpu_s_per_mrows"] = run["client_cpu_s"] / (rows / 1e6)
        run["others_share"] = run["other_cpu_s"] / (int(meta["nproc"]) * run["wall_s"])
        if r["kind"] in ETLFAST_KINDS:
            run["etlfast"] = etl_summary.parse(os.path.join(scratch, "log", f"{r['kind']}{r['rep']}.err"))
            if run["etlfast"]["documents"] != documents or run["etlfast"]["rows"] != rows:
                raise SystemExit(f"report.py: run {r['kind']}{r['rep']} read {run['etlfast']['documents']} documents into "
                                 f"{run['etlfast']['rows']} rows, not {documents} into {rows}")
            run["documents"] = documents
            run["client_cpu_us_per_document"] = run["client_cpu_s"] / documents * 1e6
        else:
            run["baseline_phases_s"] = baseline_phases(os.path.join(scratch, "log", f"a{r['rep']}.out"))
        runs.append(run)

    kinds = {k: v for k, v in KINDS.items() if any(r["kind"] == k for r in runs)}
    summary = {}
    for kind in kinds:
        rk = [r for r in runs if r["kind"] == kind]
        s = {"runs": len(rk)}
        for key in ("wall_s", "rows_per_s", "bson_mib_per_s", "client_cpu_s", "client_cpu_s_per_mrows",
                    "client_peak_rss_mib", "server_cpu_s", "other_cpu_s", "others_share"):
            s[key] = med([r[key] for r in rk])
        s["wall_s_min"] = min(r["wall_s"] for r in rk)
        s["wall_s_max"] = max(r["wall_s"] for r in rk)
        s["total_cpu_s_per_mrows"] = (s["client_cpu_s"] + s["server_cpu_s"]) / (rows / 1e6)
        if kind in ETLFAST_KINDS:
            e = [r["etlfast"] for r in rk]
            for key in ("data_s", "keys_s", "cpu_s", "peak_mib", "gen0", "gen1", "gen2", "chunks"):
                s["etlfast_" + key] = med([x[key] for x in e])
            s["client_cpu_us_per_document"] = s["client_cpu_s"] / documents * 1e6
        s["source_server_cpu_s"] = med([r["source_server_cpu_s"] for r in rk])
        if kind == "a":
            for phase in ("ddl", "copy", "pk", "fk"):
                s["phase_" + phase + "_s"] = med([r["baseline_phases_s"].get(phase, 0.0) for r in rk])
        summary[kind] = s
    ratios = {"b_over_a_wall": summary["b"]["wall_s"] / summary["a"]["wall_s"],
              "c_over_a_wall": summary["c"]["wall_s"] / summary["a"]["wall_s"],
              "b_over_a_client_cpu": summary["b"]["client_cpu_s"] / summary["a"]["client_cpu_s"]}
    if "e" in summary:
        ratios.update(e_over_a_wall=summary["e"]["wall_s"] / summary["a"]["wall_s"],
                      e_over_b_wall=summary["e"]["wall_s"] / summary["b"]["wall_s"])
    live = None
    if "d" in summary:
        c, d = summary["c"], summary["d"]
        ratios.update(d_over_c_wall=d["wall_s"] / c["wall_s"], d_over_c_client_cpu=d["client_cpu_s"] / c["client_cpu_s"],
                      d_over_a_wall=d["wall_s"] / summary["a"]["wall_s"])
        # The driver's extra client CPU: what reading the same documents live costs etlfast beyond reading the file.
        live = {"documents": documents,
                "driver_extra_client_cpu_s": d["client_cpu_s"] - c["client_cpu_s"],
                "driver_extra_client_cpu_us_per_document": (d["client_cpu_s"] - c["client_cpu_s"]) / documents * 1e6,
                "source_server_cpu_s": d["source_server_cpu_s"],
                "source_server_cpu_us_per_document": d["source_server_cpu_s"] / documents * 1e6,
                "idle_source_server_cpu_s_max": max((r["source_server_cpu_s"] for r in runs if r["kind"] != "d"), default=0.0)}
    alloc = []
    path = os.path.join(scratch, "alloc.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    a = json.loads(line)
                    a.setdefault("source", "file")
                    a["allocated_bytes_per_row"] = a["allocated_bytes"] / max(a["rows"], 1)
                    a["allocated_bytes_per_document"] = a["allocated_bytes"] / max(a["documents"], 1)
                    alloc.append(a)

    machine = {k: meta[k] for k in ("nproc", "cpu_model", "mem_total", "kernel", "postgresql", "dotnet_sdk",
                                    "dotnet_runtime", "etlfast_version", "etlfast_source", "binary_mb")}
    # The seed's size is its users; the app workload's its orders ("users" stays the seed's alone).
    size = {"users": int(meta["users"])} if workload == "users" else {"orders": int(meta["users"])}
    settings = {"workload": workload, **size, "documents": documents, "tables": len(expected),
                "keys": int(meta.get("keys", 0)), "indexes": int(meta.get("indexes", 0)),
                "foreign_keys": int(meta.get("foreign_keys", 0)), "seed": 42, "bson_bytes": bson, "rows": rows,
                "repetitions": int(meta["reps"]), "jobs": meta["jobs"], "chunk": meta["chunk"],
                "postgresql": {k[3:]: v for k, v in meta.items() if k.startswith("pg.")},
                "baseline_streams": [s for s in meta["streams"].split(";") if s]}
    if live is not None:
        by = {(a["source"], a["sink"]): a for a in alloc}
        if ("live", "null") in by and ("file", "null") in by:
            live["allocated_bytes_per_document_live"] = by[("live", "null")]["allocated_bytes_per_document"]
            live["allocated_bytes_per_document_file"] = by[("file", "null")]["allocated_bytes_per_document"]
        settings["live_source"] = meta.get("live_source", "")
    result = {"date": meta["date"], "machine": machine, "settings": settings, "rows_per_table": expected,
              "kinds": kinds, "runs": runs, "summary": summary, "ratios": ratios, "live_vs_file": live,
              "alloc_probe": alloc, "loadavg_end": meta["loadavg_end"]}
    with open(prefix + ".json", "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    md = render(result)
    with open(prefix + ".md", "w") as f:
        f.write(md)
    print(md)


def render(r):
    m, st, su = r["machine"], r["settings"], r["summary"]
    pg = st["postgresql"]
    out = []
    w = out.append
    app = st.get("workload") == "app"
    what = f"app_db, {st['orders']:,} orders ({st['documents']:,} documents)" if app else f"{st['users']:,} users"
    w(f"# etlfast load vs psql \\copy baseline: {what} ({r['date']})\n")
    order = ",".join(r["kinds"])
    w("Produced by `scripts/bench.sh`; every figure below comes from one run of it, runs alternating "
      f"{order},{order},... ({st['repetitions']} of each) on the same throwaway PostgreSQL.\n")
    w("## Machine\n")
    w(f"- {m['nproc']} cores, {m['cpu_model']}, {m['mem_total']} RAM, kernel {m['kernel']}")
    w(f"- PostgreSQL {m['postgresql']} (scratch server started by the script), .NET SDK {m['dotnet_sdk']} (runtime {m['dotnet_runtime']})")
    w(f"- {m['etlfast_version']}, NativeAOT binary ({m['binary_mb']} MB) built from {m['etlfast_source']}\n")
    w("## Settings\n")
    if app:
        w(f"- workload: `etlfast gen app --count {st['orders']} --seed 42` (one database, app_db: orders with line items, "
          f"customers, products, reviews, audit_log), written as a dump directory for (b) and (c) and as one archive for (e), "
          f"loaded with `--mapping examples/app`: {st['documents']:,} documents, {st['bson_bytes'] / 1e6:,.1f} MB of BSON "
          f"({st['bson_bytes'] / 1048576:,.1f} MiB), {st['rows']:,} rows in {st['tables']} tables; files warm in the page cache")
    else:
        w(f"- workload: `etlfast gen users --count {st['users']} --seed 42`: {st['bson_bytes'] / 1e6:,.1f} MB of BSON "
          f"({st['bson_bytes'] / 1048576:,.1f} MiB), {st['rows']:,} rows in 15 tables; BSON and CSV files warm in the page cache")
    w(f"- etlfast: `--mode clean`, constraints after the data, jobs {st['jobs']}, chunk {st['chunk']}")
    w(f"- PostgreSQL: fsync={pg['fsync']}, synchronous_commit={pg['synchronous_commit']}, full_page_writes={pg['full_page_writes']}, "
      f"wal_level={pg['wal_level']}, shared_buffers={pg['shared_buffers']}, max_wal_size={pg['max_wal_size']}, "
      f"maintenance_work_mem={pg['maintenance_work_mem']}, max_parallel_maintenance_workers={pg['max_parallel_maintenance_workers']}, "
      f"work_mem={pg['work_mem']}, autovacuum={pg['autovacuum']}. **fsync is off** (scratch default; PG_FSYNC=on for a durable run); "
      "autovacuum is off so that one run's fresh tables are not analyzed during the next.")
    w("- baseline (a): drop + `CREATE TABLE` (bare, from pg_dump --section=pre-data of an etlfast load), `psql \\copy ... FROM csv` "
      f"over two parallel psql streams balanced by CSV size, then {st.get('keys', 15)} primary keys and unique constraints"
      + (f" and {st['indexes']} indexes" if st.get("indexes") else "")
      + f" over two streams, then {st.get('foreign_keys', 14)} foreign keys over two "
      "streams (grouped by referenced table): the keys and indexes etlfast made. CSV export and DDL are prepared outside the timing. Streams: "
      + "; ".join(f"`{s}`" for s in st["baseline_streams"]))
    if "d" in r["kinds"]:
        w("- live (d): the same `users.bson` served by `tests/EtlFast.WireServer` (the in-process MongoDB wire-protocol test server, "
          "JIT, Release), started once before the runs (outside the timing, documents held in memory), warmed up by one untimed "
          "(d) run, and stopped at the end; "
          f"`{st['live_source']}`. Everything but the source is (c)'s: same binary, mapping, jobs and null sink. Client CPU "
          "is the etlfast process's only; the wire server's CPU during each run (utime+stime from /proc) is reported apart as "
          "source server CPU. The server shares the 2 cores with etlfast, so (d)'s wall time is not a live MongoDB's")
    checked = "(c) and (d) against their summaries" if "d" in r["kinds"] else "(c) against its summary"
    db_checked = "(a), (b) and (e)" if "e" in r["kinds"] else "(a) and (b)"
    w("- each run starts with its schema absent, after a `CHECKPOINT`; row counts are checked per table after every run "
      f"({db_checked} against the database, {checked}), all equal to the prepared load's")
    w("- client CPU = user+sys of the client processes (etlfast; for (a) every psql) from GNU time; peak RSS = the largest client "
      "process; server CPU = PostgreSQL processes (utime+stime from /proc); other CPU = the rest of the machine during the run "
      "(other people's work on a shared machine: a noise indicator; the machine has nproc x wall CPU seconds in all)\n")
    busy = max(su[k]["others_share"] for k in su)
    if busy > 0.2:
        w(f"> **The machine was shared during this run**: other processes used up to {busy:.0%} of the CPUs (median per kind, "
          "column \"others' share\"). Absolute speeds are therefore well below what this machine does when quiet; "
          "the ratios, taken from alternating runs that met the same noise, are the figures to quote.\n")
    w("## Summary (medians)\n")
    w("| run | wall s (min-max) | rows/s | BSON MiB/s | client CPU s | client CPU s / M rows | peak RSS MiB | server CPU s | client+server CPU s / M rows | others' share of the CPUs |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for k, title in r["kinds"].items():
        s = su[k]
        w(f"| ({k}) {title} | {s['wall_s']:.2f} ({s['wall_s_min']:.2f}-{s['wall_s_max']:.2f}) | {s['rows_per_s']:,.0f} | "
          f"{s['bson_mib_per_s']:.1f} | {s['client_cpu_s']:.2f} | {s['client_cpu_s_per_mrows']:.2f} | {s['client_peak_rss_mib']:.0f} | "
          f"{s['server_cpu_s']:.2f} | {s['total_cpu_s_per_mrows']:.2f} | {s['others_share']:.0%} |")
    ra = r["ratios"]
    w("")
    w(f"Time ratios from the medians of this run: **(b)/(a) = {ra['b_over_a_wall']:.2f}**, **(c)/(a) = {ra['c_over_a_wall']:.2f}** "
      f"(client CPU (b)/(a) = {ra['b_over_a_client_cpu']:.2f})"
      + (f"; archive **(e)/(b) = {ra['e_over_b_wall']:.2f}**, (e)/(a) = {ra['e_over_a_wall']:.2f}" if "e_over_b_wall" in ra else "")
      + (f"; (d)/(c) = {ra['d_over_c_wall']:.2f}, (d)/(a) = {ra['d_over_a_wall']:.2f}" if "d_over_c_wall" in ra else "") + ".\n")
    a = su["a"]
    w(f"Baseline steps (medians): drop + create {a['phase_ddl_s']:.2f} s, COPY {a['phase_copy_s']:.2f} s, "
      f"primary keys{' and indexes' if st.get('indexes') else ''} {a['phase_pk_s']:.2f} s, foreign keys {a['phase_fk_s']:.2f} s.\n")
    w("etlfast's own summary (medians): " + "; ".join(
        f"({k}) data {su[k]['etlfast_data_s']:.2f} s, keys {su[k]['etlfast_keys_s']:.2f} s, CPU {su[k]['etlfast_cpu_s']:.2f} s, "
        f"peak {su[k]['etlfast_peak_mib']:.0f} MB, GC {su[k]['etlfast_gen0']:.0f}/{su[k]['etlfast_gen1']:.0f}/{su[k]['etlfast_gen2']:.0f}, "
        f"{su[k]['etlfast_chunks']:.0f} chunks" for k in ETLFAST_KINDS if k in su) + ".\n")
    lv = r.get("live_vs_file")
    if lv:
        c, d = su["c"], su["d"]
        w("## Live source (d) vs file source (c)\n")
        w(f"The same {lv['documents']:,} documents and {st['rows']:,} rows, the same engine and null sink; only the source differs. "
          "Medians of this run; client CPU is etlfast's alone.\n")
        w("| run | wall s (min-max) | client CPU s | client CPU s / M rows | client CPU µs / document | peak RSS MiB | source server CPU s |")
        w("|---|---|---|---|---|---|---|")
        for k, label in (("c", "(c) file: users.bson"), ("d", "(d) live: driver, wire test server")):
            x = su[k]
            srv = f"{x['source_server_cpu_s']:.2f}" if k == "d" else "-"
            w(f"| {label} | {x['wall_s']:.2f} ({x['wall_s_min']:.2f}-{x['wall_s_max']:.2f}) | {x['client_cpu_s']:.2f} | "
              f"{x['client_cpu_s_per_mrows']:.2f} | {x['client_cpu_us_per_document']:.1f} | {x['client_peak_rss_mib']:.0f} | {srv} |")
        w("")
        w(f"Client CPU **(d)/(c) = {ra['d_over_c_client_cpu']:.2f}**; the driver's extra client CPU is "
          f"**{lv['driver_extra_client_cpu_us_per_document']:.1f} µs per document** (((d) - (c)) / documents = "
          f"{lv['driver_extra_client_cpu_s']:.2f} s / {lv['documents']:,}). Wall (d)/(c) = {ra['d_over_c_wall']:.2f}. "
          f"The wire server spent {lv['source_server_cpu_s']:.2f} s of CPU serving each (d) run "
          f"({lv['source_server_cpu_us_per_document']:.1f} µs per document; a test server, not mongod's cost) and at most "
          f"{lv['idle_source_server_cpu_s_max']:.2f} s during any other run (idle)."
          + (f" Allocation (probe below, null sink): **{lv['allocated_bytes_per_document_live']:,.0f} B per document live** "
             f"vs {lv['allocated_bytes_per_document_file']:,.1f} B per document from the file."
             if "allocated_bytes_per_document_live" in lv else "") + "\n")
    if r["alloc_probe"]:
        w("## Allocation\n")
        w("The CLI summary prints GC counts but not `LoadSummary.AllocatedBytes`; these come from one extra run of the same engine "
          "through `scripts/lib/bench/AllocProbe` (JIT, Release, workstation non-concurrent GC like the binary), outside the alternation. "
          "The total includes the fixed cost of the pools and buffers (chunk buffers, COPY buffers) that fill up at start; the "
          "per-row cost is the difference between two sizes: compare this file with another size's.\n")
        if any(a["source"] == "live" for a in r["alloc_probe"]):
            w("The live row reads the same documents from the wire test server through the MongoDB driver (`AllocProbe -c users "
              "mongodb://.../sample_db`), like (d); the allocation counter is process-wide, so it includes the driver's threads.\n")
        w("| source | sink | allocated MB | bytes / row | bytes / document | GC gen0/1/2 | wall s (JIT) |")
        w("|---|---|---|---|---|---|---|")
        for a in r["alloc_probe"]:
            w(f"| {a['source']} | {a['sink']} | {a['allocated_bytes'] / 1e6:,.1f} | {a['allocated_bytes_per_row']:.2f} | "
              f"{a['allocated_bytes_per_document']:.1f} | {a['gen0']}/{a['gen1']}/{a['gen2']} | {a['seconds']:.2f} |")
        w("")
    w("## Runs\n")
    has_d = "d" in r["kinds"]
    w("| # | run | wall s | rows/s | client CPU s (user+sys) | peak RSS MiB | server CPU s | "
      + ("source server CPU s | " if has_d else "") + "other CPU s | load1 before | steps: data or COPY s / keys s (GC) |")
    w("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if has_d else ""))
    for x in r["runs"]:
        e = x.get("etlfast")
        if e:
            extra = f"{e['data_s']:.2f} / {e['keys_s']:.2f} (GC {e['gen0']}/{e['gen1']}/{e['gen2']})"
        else:
            p = x["baseline_phases_s"]
            extra = f"{p.get('copy', 0):.2f} / {p.get('pk', 0) + p.get('fk', 0):.2f} (+ {p.get('ddl', 0):.2f} ddl)"
        w(f"| {x['seq']} | {x['kind']}{x['rep']} | {x['wall_s']:.2f} | {x['rows_per_s']:,.0f} | {x['client_cpu_s']:.2f} "
          f"({x['client_user_s']:.2f}+{x['client_sys_s']:.2f}) | {x['client_peak_rss_mib']:.0f} | {x['server_cpu_s']:.2f} | "
          + (f"{x['source_server_cpu_s']:.2f} | " if has_d else "") + f"{x['other_cpu_s']:.2f} | {x['load1_before']:.2f} | {extra} |")
    w("")
    w("## Rows per table\n")
    w("| table | rows |")
    w("|---|---|")
    for t, n in sorted(r["rows_per_table"].items(), key=lambda i: -i[1]):
        w(f"| {t} | {n:,} |")
    w(f"| total | {st['rows']:,} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
