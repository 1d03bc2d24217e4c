"""Parses the summary `etlfast load` prints on stderr (src/EtlFast.Cli/SummaryPrinter.cs).

  summary.py rows FILE     prints "table<TAB>rows" sorted by table name
  summary.py json FILE     prints every figure as JSON
"""
import json
import re
import sys

NUM = r"([0-9][0-9,.\u00a0\u202f]*)"


def number(text):
    return float(re.sub(r"[,\u00a0\u202f]", "", text))


def parse(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    s = {"tables": {}}
    in_tables = False
    for line in lines:
        if re.match(r"^table\s+rows\s+MB\s+copy s", line):
            in_tables = True
            continue
        if in_tables:
            m = re.match(r"^(\S+)\s+" + NUM + r"\s+" + NUM + r"(?:\s+" + NUM + ")?$", line)
            if m and m.group(1) != "total":
                s["tables"][m.group(1)] = {"rows": int(number(m.group(2))), "mb": number(m.group(3)),
                                           "copy_s": number(m.group(4)) if m.group(4) else None}
                continue
            in_tables = False
        m = re.match(r"^loaded " + NUM + r" documents \(" + NUM + r" MB of BSON\) into " + NUM + r" rows of (\d+) tables .* in " + NUM + " s$", line)
        if m:
            s.update(documents=int(number(m.group(1))), bson_mib=number(m.group(2)), rows=int(number(m.group(3))),
                     seconds=number(m.group(5)))
        m = re.match(r"^\s+" + NUM + r" rows/s, " + NUM + r" MB/s; data " + NUM + r" s, keys and indexes " + NUM + " s$", line)
        if m:
            s.update(rows_per_s=number(m.group(1)), mib_per_s=number(m.group(2)), data_s=number(m.group(3)),
                     keys_s=number(m.group(4)))
        m = re.match(r"^\s+client CPU " + NUM + r" s, peak memory " + NUM + r" MB, " + NUM + r" chunks?, GC (\d+)/(\d+)/(\d+)$", line)
        if m:
            s.update(cpu_s=number(m.group(1)), peak_mib=number(m.group(2)), chunks=int(number(m.group(3))),
                     gen0=int(m.group(4)), gen1=int(m.group(5)), gen2=int(m.group(6)))
    if "rows" not in s or "cpu_s" not in s or len(s["tables"]) == 0:
        raise SystemExit(f"summary.py: no etlfast summary found in {path} (did the printer's format change?)")
    if sum(t["rows"] for t in s["tables"].values()) != s["rows"]:
        raise SystemExit(f"summary.py: per-table rows in {path} do not add up to the total {s['rows']}")
    return s


if __name__ == "__main__":
    summary = parse(sys.argv[2])
    if sys.argv[1] == "rows":
        for name in sorted(summary["tables"]):
            print(f"{name}\t{summary['tables'][name]['rows']}")
    else:
        print(json.dumps(summary, indent=1))
