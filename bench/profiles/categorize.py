# Buckets perf-script samples (leaf to root frames) into the categories the profiles in this folder report.
# usage: perf script -i perf.data | python3 bench/profiles/categorize.py [THREAD-NAME-PREFIX]
import sys, collections
comm_filter = sys.argv[1] if len(sys.argv) > 1 else None
samples = []; cur = None; comm = None
for line in sys.stdin:
    if line and not line[0].isspace():
        if cur is not None: samples.append((comm, cur))
        comm = line.split()[0] if line.strip() else None; cur = []
    elif line.strip():
        cur.append(line.strip())
if cur is not None: samples.append((comm, cur))
def cat(s):
    st = ' '.join(s)
    if 'exc_page_fault' in st: return 'page faults'
    if any(k in st for k in ('tcp_', 'sock_', 'recvmsg', 'skb_')): return 'socket receive/send (kernel)'
    if '_copy_to_iter' in st or 'filemap_read' in st or 'ksys_read' in st: return 'file read (kernel page-cache copy)'
    if 'CopyOut' in st: return 'copy into the chunk'
    if 'gc_heap' in st or 'GCHeap' in st: return 'GC'
    if 'BsonReader' in st or 'BsonFramer' in st or 'Utf8' in st or 'Ascii' in st: return 'BSON walk (framing, UTF-8, lengths)'
    if 'DocumentEncoder' in st or 'ValueEncoder' in st or 'CopyBuffer' in st or 'BsonJsonWriter' in st: return 'encoding (values, rows, COPY fields, jsonb)'
    if 'MongoDB_' in st: return 'driver code'
    if 'Npgsql' in st: return 'Npgsql'
    if 'futex' in st or 'Threading' in st or 'epoll' in st: return 'threads: futex, thread pool, epoll'
    return 'other'
c = collections.Counter(cat(s) for comm, s in samples if comm_filter is None or (comm or '').startswith(comm_filter))
n = sum(c.values())
for k, v in c.most_common(): print(f'| {k} | {100*v/n:.0f}% | {v} |')
print(f'| all | 100% | {n} |')
