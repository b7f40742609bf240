#!/usr/bin/env bash
# Backup and restore of the MindPal database at BENCH_SCALE (default 1, about 1.2 GB) on the
# MariaDB at 127.0.0.1:3306, side by side and interleaved over BENCH_ROUNDS rounds (medians):
#   backup:  mindpal-admin backup run (4 connections, zstd)  vs  mysqldump --single-transaction | gzip,
#            mysqldump --single-transaction | zstd, mydumper -t 2 (compressed)
#   restore: mindpal-admin backup restore (4 connections)    vs  gunzip | mysql, myloader -t 2,
#            and once the server's floor: LOAD DATA of the same rows, keys built after, no checks
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
import os, resource, shutil, statistics, subprocess, sys, tempfile, time
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

# The server's floor for any load path: the same rows exported as TSV by the server, then
# loaded with the client's LOAD DATA LOCAL INFILE (two streams: the largest table, the rest)
# into tables without their secondary keys, and the keys built after (two streams). Nothing
# parsed or checked on the way; once, after the rounds.
floor = "LOAD DATA ×2 + keys after (server floor)"
tsv = tempfile.mkdtemp(prefix="mindpal-bench-floor-", dir="/tmp")
os.chmod(tsv, 0o777)
for t in tables:
    sql(f"SELECT * FROM `{t}` INTO OUTFILE '{tsv}/{t}.tsv'", src)
drop("bench_r_floor")
sql("CREATE DATABASE bench_r_floor")
keys = {}
for line in sql(f"SELECT table_name, index_name, MAX(non_unique), MAX(index_type), GROUP_CONCAT(CONCAT('`', column_name, '`', IF(sub_part IS NULL, '', CONCAT('(', sub_part, ')'))) ORDER BY seq_in_index) FROM information_schema.STATISTICS WHERE table_schema='{src}' AND index_name <> 'PRIMARY' GROUP BY table_name, index_name").strip().splitlines():
    t, name, non_unique, kind, cols = line.split("\t")
    head = "FULLTEXT KEY" if kind == "FULLTEXT" else ("KEY" if non_unique == "1" else "UNIQUE KEY")
    keys.setdefault(t, []).append((name, f"ADD {head} `{name}` ({cols})"))
for t in tables:
    drops = ", ".join(f"DROP KEY `{n}`" for n, _ in keys.get(t, []))
    sql(f"SET foreign_key_checks=0; CREATE TABLE `{t}` LIKE `{src}`.`{t}`" + (f"; ALTER TABLE `{t}` {drops}" if drops else ""), "bench_r_floor")
big = max(tables, key=lambda t: os.path.getsize(f"{tsv}/{t}.tsv"))
streams = [[big], [t for t in tables if t != big]]
session = "SET SESSION foreign_key_checks=0, unique_checks=0, sql_mode='NO_AUTO_VALUE_ON_ZERO', time_zone='+00:00';\n"
def streams_of(name, statements):
    # SQL in files, not on a shell line: the backquotes must reach the server as they are.
    paths = []
    for i, lines in enumerate(statements):
        path = os.path.join(tsv, f"{name}-{i}.sql")
        with open(path, "w") as f:
            f.write(session + "".join(line + "\n" for line in lines))
        paths.append(path)
    return " & ".join(f"mariadb {' '.join(my)} --local-infile=1 bench_r_floor < {p}" for p in paths) + " & wait"
load = streams_of("load", [[f"LOAD DATA LOCAL INFILE '{tsv}/{t}.tsv' INTO TABLE `{t}` CHARACTER SET utf8mb4;" for t in s] for s in streams])
alters = [f"ALTER TABLE `{t}` " + ", ".join(a for _, a in keys[t]) + ";" for t in [big] + streams[1] if t in keys]
build = streams_of("keys", [alters[:1], alters[1:]])
w1, c1, s1 = run(load)
w2, c2, s2 = run(build)
restore_results[floor] = [(w1 + w2, c1 + c2, s1 + s2, 0)]
key_count = lambda db: sql(f"SELECT COUNT(DISTINCT table_name, index_name) FROM information_schema.STATISTICS WHERE table_schema='{db}'")
equal[floor] = checksums("bench_r_floor") == checksums(src) and key_count("bench_r_floor") == key_count(src)
print(f"  {floor}: load {w1:.1f} s, keys {w2:.1f} s", flush=True)
drop("bench_r_floor")
shutil.rmtree(tsv, ignore_errors=True)

def table(title, res, base):
    med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in res.items()}
    print(f"\n{title} (median of {rounds}, interleaved; the floor is one run)")
    print(f"{'':<42} {'wall s':>8} {'client CPU s':>13} {'server CPU s':>13} {'size MB':>9} {'× ' + base:>28}")
    for k, (wall, cpu, scpu, sz) in med.items():
        extra = f"  restored equal: {'yes' if equal.get(k, True) else 'NO'}" if k in equal else ""
        print(f"{k:<42} {wall:8.1f} {cpu:13.1f} {scpu:13.1f} {sz / 1e6 if sz else float('nan'):9.0f} {wall / med[base][0]:28.2f}{extra}")
table("backup", results, "mysqldump --single-transaction | gzip")
table("restore", restore_results, "gunzip | mysql")
PY
sql -e "DROP DATABASE $src"
