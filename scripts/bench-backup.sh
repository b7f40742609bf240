#!/usr/bin/env bash
# Backup and restore of the MindPal database at BENCH_SCALE (default 1, about 1.2 GB) on the
# MariaDB at 127.0.0.1:3306, side by side and interleaved over BENCH_ROUNDS rounds (medians):
#   backup:  mindpal-admin backup run (4 connections, zstd)  vs  mysqldump --single-transaction | gzip,
#            mysqldump --single-transaction | zstd, mydumper -t 2 (compressed)
#   restore: mindpal-admin backup restore (4 connections)    vs  gunzip | mysql, myloader -t 2
# Wall time, client CPU, server CPU (mariadbd's own, from /proc), size, and ratios against
# mysqldump | gzip and gunzip | mysql. Every restore is compared with the source by CHECKSUM TABLE.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${BENCH_SCALE:-1}
rounds=${BENCH_ROUNDS:-3}
cli=${BENCH_CLI:-target/release/mindpal-admin}
for tool in mydumper myloader zstd mysqldump; do
  command -v "$tool" >/dev/null || { echo "installing the reference tools (mydumper, zstd)"; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mydumper zstd >/dev/null; break; }
done
work=$(mktemp -d /tmp/mindpal-bench-backup.XXXXXX)
trap 'rm -rf "$work"' EXIT
sql() { mariadb --protocol=tcp -h127.0.0.1 -P3306 -uroot "$@"; }
src=mindpal_bench_backup
sql -e "DROP DATABASE IF EXISTS $src; CREATE DATABASE $src CHARACTER SET utf8mb4"
echo "seeding $src at scale $scale …"
$cli --json --mysql "mysql://root@127.0.0.1:3306/$src" seed --scale "$scale" --no-redis >/dev/null

python3 - "$cli" "$src" "$rounds" "$work" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
cli, src, rounds, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
url = f"mysql://root@127.0.0.1:3306/{src}"
my = ["--protocol=tcp", "-h127.0.0.1", "-P3306", "-uroot"]

def sql(q, db=""):
    return subprocess.run(["mariadb", *my, "-N", "-B", *( [db] if db else [] ), "-e", q], check=True, capture_output=True, text=True).stdout

def server_cpu():
    # The server on :3306, not a sandbox's: its pid file says which process it is.
    pid = open(sql("SELECT @@pid_file").strip()).read().strip()
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def run(shell):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0, t0 = server_cpu(), time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", shell], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, server_cpu() - s0

def size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


tables = sql(f"SELECT table_name FROM information_schema.TABLES WHERE table_schema='{src}' AND table_type='BASE TABLE' ORDER BY 1").split()
def checksums(db):
    out = sql("CHECKSUM TABLE " + ", ".join(f"`{db}`.`{t}`" for t in tables))
    return [line.split("\t")[1] for line in out.strip().splitlines()]
def drop(db): sql(f"DROP DATABASE IF EXISTS `{db}`")

backups = {
    "mindpal-admin backup run": lambda d: f"{cli} --mysql {url} backup run --out {d}",
    "mysqldump --single-transaction | gzip": lambda d: f"mkdir -p {d} && mysqldump {' '.join(my)} --single-transaction --routines --triggers --events {src} | gzip > {d}/dump.sql.gz",
    "mysqldump --single-transaction | zstd": lambda d: f"mkdir -p {d} && mysqldump {' '.join(my)} --single-transaction --routines --triggers --events {src} | zstd -q > {d}/dump.sql.zst",
    "mydumper -t 2 --compress": lambda d: f"mydumper -h 127.0.0.1 -P 3306 -u root -B {src} -t 2 --compress -o {d}",
}
results = {k: [] for k in backups}
restore_results = {k: [] for k in ["mindpal-admin backup restore", "gunzip | mysql", "myloader -t 2"]}
equal = {k: True for k in restore_results}
# Each restore is compared with the source as it was when that tool's backup ran (the
# console's own audit rows land in the source between runs).
restore_of = {"mindpal-admin backup restore": "mindpal-admin backup run", "gunzip | mysql": "mysqldump --single-transaction | gzip", "myloader -t 2": "mydumper -t 2 --compress"}
for r in range(rounds):
    outs = {}
    at_backup = {}
    for name, cmd in backups.items():
        d = os.path.join(work, f"r{r}-{len(outs)}")
        at_backup[name] = checksums(src)
        wall, cpu, scpu = run(cmd(d))
        results[name].append((wall, cpu, scpu, size(d)))
        outs[name] = d
        print(f"  round {r + 1}: {name:<40} {wall:7.1f} s", flush=True)
    ours = next(os.path.join(outs["mindpal-admin backup run"], n) for n in os.listdir(outs["mindpal-admin backup run"]))
    restores = {
        "mindpal-admin backup restore": (f"{cli} --mysql {url} backup restore {ours} --into bench_r_ours", "bench_r_ours"),
        "gunzip | mysql": (f"mariadb {' '.join(my)} -e 'CREATE DATABASE bench_r_gz' && gunzip -c {outs['mysqldump --single-transaction | gzip']}/dump.sql.gz | mariadb {' '.join(my)} bench_r_gz", "bench_r_gz"),
        "myloader -t 2": (f"myloader -h 127.0.0.1 -P 3306 -u root -d {outs['mydumper -t 2 --compress']} -B bench_r_myl -t 2", "bench_r_myl"),
    }
    for name, (cmd, db) in restores.items():
        drop(db)
        wall, cpu, scpu = run(cmd)
        restore_results[name].append((wall, cpu, scpu, 0))
        equal[name] &= checksums(db) == at_backup[restore_of[name]]
        drop(db)
        print(f"  round {r + 1}: {name:<40} {wall:7.1f} s", flush=True)
    for d in outs.values():
        shutil.rmtree(d, ignore_errors=True)

def table(title, res, base):
    med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in res.items()}
    print(f"\n{title} (median of {rounds}, interleaved)")
    print(f"{'':<42} {'wall s':>8} {'client CPU s':>13} {'server CPU s':>13} {'size MB':>9} {'× ' + base:>28}")
    for k, (wall, cpu, scpu, sz) in med.items():
        extra = f"  restored equal: {'yes' if equal.get(k, True) else 'NO'}" if k in equal else ""
        print(f"{k:<42} {wall:8.1f} {cpu:13.1f} {scpu:13.1f} {sz / 1e6 if sz else float('nan'):9.0f} {wall / med[base][0]:28.2f}{extra}")
table("backup", results, "mysqldump --single-transaction | gzip")
table("restore", restore_results, "gunzip | mysql")
PY
sql -e "DROP DATABASE $src"
