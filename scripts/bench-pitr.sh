#!/usr/bin/env bash
# Point-in-time recovery over one hour of the platform's write load, on a sandbox of its own
# (MariaDB primary with its binlog, ROW format, GTID). The hour: 50 write transactions a second
# for 3600 seconds (180,000 transactions: 144,000 new messages, 28,800 conversation updates,
# 7,200 message deletes), written after a backup as fast as the primary takes them.
#   console:  mindpal-admin backup restore --until <after the hour>  (snapshot load + replay)
#   by hand:  the snapshot restored, then mariadb-binlog --read-from-remote-server | mariadb
# (The by-hand pipe drops the binlog's `SET @@session.gtid_seq_no` lines, as the console does:
# with gtid_strict_mode on, the server refuses to replay them.)
# Prints the replay's wall time and rate against the by-hand pipe, and checks that the result
# equals the primary as it stands by CHECKSUM TABLE.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${BENCH_CLI:-target/release/mindpal-admin}
per_second=${BENCH_PITR_RATE:-50}
seconds=${BENCH_PITR_SECONDS:-3600}
work=$(mktemp -d /tmp/mindpal-bench-pitr.XXXXXX)
base=$(python3 -c 'import socket
for p in range(24000, 30000, 10):
    try:
        ss = [socket.socket() for _ in range(5)]
        [s.bind(("127.0.0.1", p + i)) for i, s in enumerate(ss)]
        [s.close() for s in ss]; print(p); break
    except OSError:
        [s.close() for s in ss]')
cleanup() {
  "$cli" sandbox down --dir "$work/sandbox" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "starting a sandbox on 127.0.0.1:$base …"
"$cli" --profiles-file "$work/profiles.json" sandbox up --dir "$work/sandbox" --port-base "$base" \
  --scale 0.05 >"$work/sandbox.log" 2>&1 || { cat "$work/sandbox.log" >&2; exit 1; }
url="mysql://root@127.0.0.1:$base/mindpal"
sql() { mariadb --protocol=tcp -h127.0.0.1 -P"$base" -uroot -N -B "$@"; }

"$cli" --mysql "$url" backup run --out "$work/backups" >/dev/null
backup=$(ls -d "$work"/backups/mindpal-*/)
echo "writing one hour of load ($((per_second * seconds)) transactions) …"
read -r conv_low conv_high msg_low msg_high < <(sql mindpal -e \
  "SELECT (SELECT MIN(id) FROM conversations), (SELECT MAX(id) FROM conversations), (SELECT MIN(id) FROM conversation_messages), (SELECT MAX(id) FROM conversation_messages)")
python3 - "$per_second" "$seconds" "$work/load.sql" "$conv_low" "$conv_high" "$msg_low" "$msg_high" <<'PY'
import random, sys
rate, seconds, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conv_low, conv_high, msg_low, msg_high = map(int, sys.argv[4:8])
random.seed(7)
with open(path, "w") as f:
    for s in range(seconds):
        for w in range(rate):
            kind = w % 25
            conv = random.randint(conv_low, conv_high)
            if kind < 20:
                f.write("INSERT INTO conversation_messages (conversation_id, sender_type, message_type, content, user_emotion, quality_score) "
                        f"VALUES ({conv}, 'user', 'text', 'load {s}:{w} {random.random():.6f}', 'neutral', 0.{random.randint(10, 99)});\n")
            elif kind < 24:
                f.write(f"UPDATE conversations SET message_count = message_count + 1, last_message_at = NOW() WHERE id = {conv};\n")
            else:
                f.write(f"DELETE FROM conversation_messages WHERE id = {random.randint(msg_low, msg_high)};\n")
PY
t0=$(date +%s.%N)
# Eight clients, as the platform's application servers would write (commits grouped).
split -n r/8 "$work/load.sql" "$work/load.part."
for part in "$work"/load.part.*; do
  { echo "SET autocommit=1;"; cat "$part"; } | sql --force mindpal 2>>"$work/load.err" &
done
wait
echo "  written in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
sleep 1.2
until=$(sql -e "SELECT NOW()")
sleep 1.2

t0=$(date +%s.%N)
"$cli" --json --mysql "$url" backup restore "$backup" --into pitr_console --until "$until" >"$work/console.json"
console_total=$(python3 -c "print($(date +%s.%N) - $t0)")

# By hand: the same snapshot, then the binlog from its position piped into the client.
"$cli" --json --mysql "$url" backup restore "$backup" --into pitr_hand >/dev/null
read -r file pos < <(python3 -c "import json,sys; s=json.load(open(sys.argv[1]+'/manifest.json'))['snapshot']; print(s['binlogFile'], s['binlogPosition'])" "$backup")
t0=$(date +%s.%N)
mariadb-binlog --read-from-remote-server --protocol=tcp -h127.0.0.1 -P"$base" -uroot --to-last-log \
  --start-position="$pos" --stop-datetime="$until" --database=mindpal --rewrite-db='mindpal->pitr_hand' \
  --disable-log-bin "$file" | grep -v '^/\*M!100001 SET @@session.gtid_seq_no=' | sql --binary-mode pitr_hand
hand=$(python3 -c "print($(date +%s.%N) - $t0)")

tables=$(sql -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.TABLES WHERE table_schema='mindpal' AND table_type='BASE TABLE' AND table_name <> 'operation_logs'")
sums() { sql -e "CHECKSUM TABLE $(echo "$tables" | sed "s/\([^,]*\)/\`$1\`.\`\1\`/g")" | cut -f2 | tr '\n' ' '; }
python3 - "$work/console.json" "$console_total" "$hand" "$(sums mindpal)" "$(sums pitr_console)" "$(sums pitr_hand)" "$per_second" "$seconds" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
pitr = report["pitr"]
total, hand = float(sys.argv[2]), float(sys.argv[3])
source, console, by_hand = sys.argv[4], sys.argv[5], sys.argv[6]
writes = int(sys.argv[7]) * int(sys.argv[8])
replay = pitr["seconds"]
print(f"\nPoint-in-time recovery of one hour of writes ({writes} transactions, binlog {pitr['bytesRead'] / 1e6:.1f} MB):")
print(f"  {'console replay (mariadb-binlog | mariadb, progress, GTID)':<60}{replay:>8.1f} s  {writes / replay:>9.0f} tx/s  x{replay / hand:.2f} of by hand")
print(f"  {'mariadb-binlog | mariadb by hand':<60}{hand:>8.1f} s  {writes / hand:>9.0f} tx/s")
print(f"  {'console restore in all (snapshot load, replay, checks)':<60}{total:>8.1f} s")
print(f"  GTID reached: {pitr.get('gtidReached')}")
print(f"  equal to the primary by CHECKSUM TABLE: console {'yes' if console == source else 'NO'}, by hand {'yes' if by_hand == source else 'NO'}")
sys.exit(0 if console == source else 1)
PY
