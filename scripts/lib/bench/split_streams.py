"""Splits the baseline's work over two psql streams, balanced by CSV size (largest first, to the
lighter stream). Writes copy1/2.sql, pk1/2.sql (primary keys, unique constraints and indexes: every
index build), fk1/2.sql and streams.txt into OUT.

  split_streams.py CSV_DIR KEYS_TSV OUT

Foreign keys are grouped by the table they reference: ADD FOREIGN KEY takes a SHARE ROW EXCLUSIVE
lock on the referenced table, which conflicts with itself, so two streams adding keys that point at
the same table would only queue behind each other.
"""
import os
import sys


def balance(items):
    """items: [(name, weight, payload)] -> two lists of payloads, longest-processing-time first."""
    streams = [[], []]
    load = [0, 0]
    for name, weight, payload in sorted(items, key=lambda i: (-i[1], i[0])):
        k = 0 if load[0] <= load[1] else 1
        streams[k].append((name, payload))
        load[k] += weight
    return streams, load


def main(csv_dir, keys_tsv, out):
    size = {f[:-4]: os.path.getsize(os.path.join(csv_dir, f)) for f in os.listdir(csv_dir) if f.endswith(".csv")}
    report = []

    copies = [(t, s, f"\\copy bench_a.{t} FROM '{os.path.join(csv_dir, t + '.csv')}' (FORMAT csv)") for t, s in size.items()]
    streams, load = balance(copies)
    for k in (0, 1):
        with open(os.path.join(out, f"copy{k + 1}.sql"), "w") as f:
            f.writelines(p + "\n" for _, p in streams[k])
        report.append(f"copy{k + 1}: {load[k] / 1e6:.0f} MB csv: {' '.join(n for n, _ in streams[k])}")

    pks, fk_groups = [], {}
    with open(keys_tsv) as f:
        for line in f:
            kind, table, ref, stmt = line.rstrip("\n").split("\t", 3)
            bare = table.split(".")[-1]
            if kind in ("p", "u", "i"):  # index builds: primary keys, unique constraints, plain indexes
                pks.append((bare, size[bare], stmt))
            else:
                fk_groups.setdefault(ref, []).append((bare, size[bare], stmt))
    streams, load = balance(pks)
    for k in (0, 1):
        with open(os.path.join(out, f"pk{k + 1}.sql"), "w") as f:
            f.writelines(p + "\n" for _, p in streams[k])
        report.append(f"pk{k + 1}: {' '.join(n for n, _ in streams[k])}")
    groups = [(ref, sum(w for _, w, _ in g), g) for ref, g in fk_groups.items()]
    streams, load = balance(groups)
    for k in (0, 1):
        with open(os.path.join(out, f"fk{k + 1}.sql"), "w") as f:
            f.writelines(stmt + "\n" for _, g in streams[k] for _, _, stmt in g)
        report.append(f"fk{k + 1}: " + " ".join(f"{t}->{ref.split('.')[-1]}" for ref, g in streams[k] for t, _, _ in g))
    with open(os.path.join(out, "streams.txt"), "w") as f:
        f.writelines(r + "\n" for r in report)


if __name__ == "__main__":
    main(*sys.argv[1:4])
