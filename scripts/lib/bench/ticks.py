"""CPU ticks of the PostgreSQL server from /proc, for the bench's server-CPU figure.

  ticks.py server PID   utime+stime+cutime+cstime of PID (the postmaster: its reaped backends land in
                        cutime/cstime) plus the same of its live children (backends, background workers)
"""
import os
import sys


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0, None  # exited meanwhile: its ticks are in the parent's cutime by now
    fields = stat[stat.rindex(")") + 2:].split()
    # after "pid (comm) ": state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based
    return sum(int(x) for x in fields[11:15]), int(fields[1])


def server(pm):
    total, _ = proc_ticks(pm)
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != pm:
            ticks, ppid = proc_ticks(int(name))
            if ppid == pm:
                total += ticks
    return total


if __name__ == "__main__":
    print(server(int(sys.argv[2])))
