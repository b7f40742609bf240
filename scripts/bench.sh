#!/usr/bin/env bash
# Seeding speed at BENCH_SCALE (default 1) on the MariaDB at 127.0.0.1:3306, three ways:
#   1. `mindpal-admin seed`: rows generated in parallel, multi-row inserts over 3 connections;
#   2. the same rows written as TSV by the same generator, then LOAD DATA LOCAL INFILE, 3 at a time
#      (the technique of the platform's reference generator), measured here;
#   3. the reference Python generator with LOAD DATA: 112 s at scale 1 on a 2-core machine (recorded).
# Then, on the seeded database, list pages through the core's keyset cursors against OFFSET,
# and the EXPLAIN workbench's cost per hot query against a bare EXPLAIN round trip.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${BENCH_SCALE:-1}
url=${BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}
redis=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}
cli=target/release/mindpal-admin
sql() { mariadb --protocol=tcp -h127.0.0.1 -P3306 -uroot "$@"; }
now() { date +%s.%N; }
json() { python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"; }

sql -e "DROP DATABASE IF EXISTS mindpal_bench; CREATE DATABASE mindpal_bench CHARACTER SET utf8mb4"
redis-cli -u "$redis" FLUSHDB >/dev/null
echo "1. mindpal-admin seed --scale $scale …"
report=$($cli --json --mysql "$url/mindpal_bench" --redis "$redis" seed --scale "$scale")
mysql_s=$(echo "$report" | json 'r["mysqlSeconds"]')
redis_s=$(echo "$report" | json 'r["redisSeconds"]')
rows=$(echo "$report" | json 'r["totalRows"]')
keys=$(echo "$report" | json 'r["redisKeys"]')
size_mb=$(sql -N -e "SELECT ROUND(SUM(data_length+index_length)/1048576) FROM information_schema.TABLES WHERE table_schema='mindpal_bench'")
sql mindpal_bench -e "ANALYZE TABLE users, digital_humans, knowledge_base" >/dev/null
pages=$(BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench directory)
threads=$(BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench conversations)
review_filters=$(BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench review_filters)
explains=$(BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench explain)
links=$(BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench links)
sql -e "DROP DATABASE mindpal_bench"

echo "2. the same rows through TSV files and LOAD DATA LOCAL INFILE …"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
gen_s=$($cli --json seed --scale "$scale" --tsv "$dir" | json 'r["seconds"]')
sql -e "DROP DATABASE IF EXISTS mindpal_bench_load; CREATE DATABASE mindpal_bench_load CHARACTER SET utf8mb4"
$cli --mysql "$url/mindpal_bench_load" migrate >/dev/null
sql mindpal_bench_load -e "TRUNCATE operation_logs"
start=$(now)
for f in "$dir"/*.tsv; do
  t=$(basename "$f" .tsv)
  cols=$(sql -N -e "SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position) FROM information_schema.COLUMNS
    WHERE table_schema='mindpal_bench_load' AND table_name='$t' AND extra NOT LIKE '%GENERATED%' AND column_name <> 'version'")
  sql --local-infile=1 mindpal_bench_load -e "SET foreign_key_checks=0, unique_checks=0;
    LOAD DATA LOCAL INFILE '$f' INTO TABLE $t CHARACTER SET utf8mb4 ($cols)" &
  while [ "$(jobs -rp | wc -l)" -ge 3 ]; do sleep 0.05; done
done
wait
load_s=$(echo "$(now) - $start" | bc -l)
loaded=$(sql -N -e "SELECT SUM(table_rows) FROM information_schema.TABLES WHERE table_schema='mindpal_bench_load'")
sql -e "DROP DATABASE mindpal_bench_load"

ours=$(echo "$mysql_s + $redis_s" | bc -l)
tsv_total=$(echo "$gen_s + $load_s" | bc -l)
echo
printf '%-58s %8s %12s\n' "scale $scale: $rows rows, $size_mb MB InnoDB, $keys Redis keys" "seconds" "rows/s"
printf '%-58s %8.1f %12.0f\n' "mindpal-admin seed (MySQL + Redis)" "$ours" "$(echo "$rows / $mysql_s" | bc -l)"
printf '%-58s %8.1f %12.0f\n' "same generator -> TSV -> LOAD DATA LOCAL INFILE (3 at once)" "$tsv_total" "$(echo "$rows / $tsv_total" | bc -l)"
printf '%-58s %8.1f\n' "   of which writing TSV" "$gen_s"
printf '%-58s %8.1f   (%s rows by the statistics)\n' "   of which LOAD DATA" "$load_s" "$loaded"
printf 'ratio: seed is %.2fx the speed of the TSV + LOAD DATA path\n' "$(echo "$tsv_total / $ours" | bc -l)"
if [ "$scale" = "1" ]; then
  printf 'ratio: seed is %.2fx the speed of the reference Python generator + LOAD DATA (112 s, recorded)\n' \
    "$(echo "112 / $ours" | bc -l)"
fi
echo
echo "List pages at scale $scale: keyset cursors through the core (whole rows) against LIMIT 50 OFFSET n"
echo "fetching ids only, OFFSET's best case (median of 15 each; ratio = OFFSET ms / core ms)"
echo "$pages"
echo
echo "Conversation finder and thread pages at scale $scale: through the core against OFFSET (median of 15)"
echo "$threads"
echo
echo "the finder's review filters, 1% of conversations reviewed:"
echo "$review_filters"
echo
echo "EXPLAIN at scale $scale: guard, plan parsing and lint per hot query (median of 2,000), and"
echo "one EXPLAIN through the core against the bare EXPLAIN FORMAT=JSON round trip (median of 15)"
echo "$explains"
echo
echo "Slow links at scale $scale: each screen's main call through a proxy adding 100 ms each way"
echo "$links"
echo
echo "Replication health on a sandbox of its own (MariaDB primary + replica, Redis + replica, Sentinel)"
cargo bench -q -p mindpal-core --bench replication
echo
echo "Fleet overview at scale $scale: three profiles at once against each alone"
BENCH_DIRECTORY_URL="$url/mindpal_bench" cargo bench -q -p mindpal-core --bench fleet
echo
cargo bench -q -p mindpal-core --bench monitor
echo
echo "Redis Cluster SCAN on a sandbox cluster of its own (BENCH_CLUSTER_KEYS, default 1000000)"
cargo bench -q -p mindpal-core --bench cluster
