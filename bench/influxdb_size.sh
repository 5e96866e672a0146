#!/usr/bin/env bash
# Bytes per point in InfluxDB 1.6.7 (Debian 12's package), fully compacted, for the same points
# that build/bench/storage_report writes into edgetsdb: the peer in docs/benchmarks.md.
#
#   flock /tmp/edgetsdb-build.lock bench/influxdb_size.sh              # both datasets, generated
#   flock /tmp/edgetsdb-build.lock bench/influxdb_size.sh FILE.lp...   # files from storage_report
#
# Without files it runs storage_report --dataset beijing and --dataset iot (IOT_DEVICES devices,
# default 100, for IOT_HOURS hours, default 24) with --write-line-protocol, which prints edgetsdb's
# figures for the same points, then loads each file into a fresh influxd:
#   - a temporary directory ($EDGETSDB_BENCH_DIR, else $TMPDIR or /tmp) holds meta, data and wal,
#     with its own config: HTTP and RPC on free loopback ports, the _internal monitor database off,
#     the TSI on-disk index (INDEX_VERSION=inmem for the default in-memory one), and the cache
#     snapshotted and shards fully compacted after 1 s without writes;
#   - the file goes to /write in chunks of CHUNK_LINES lines (default 5,000) at the precision its
#     first line names; every chunk must be answered 204;
#   - SELECT count(*) must find every point;
#   - the script waits until the WAL is empty, no compaction output is pending and the TSM files
#     stay unchanged for STABLE_POLLS polls (default 3) POLL_SECONDS apart (default 5);
#   - bytes per point = the database's *.tsm bytes (apparent size, as ls shows) over the points;
#     and its files altogether (TSM, index, series file) as allocated on disk (du), since the
#     series file's 4 MiB segments are sparse.
# The database uses InfluxDB's default shard duration (7 days for an infinite retention) unless
# SHARD_DURATION is set (e.g. 52w). influxd is stopped by its PID and the directory removed unless
# KEEP=1. Needs curl; installs influxdb and influxdb-client when missing. This is a benchmark-only
# peer: it is not among the project's packages.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
storage_report=${STORAGE_REPORT:-$repo/build/bench/storage_report}
iot_devices=${IOT_DEVICES:-100}
iot_hours=${IOT_HOURS:-24}
chunk_lines=${CHUNK_LINES:-5000}
index_version=${INDEX_VERSION:-tsi1}

die() { echo "influxdb_size: $*" >&2; exit 1; }
# influxdb_start/stop/wait_compacted, free_port, bytes_of.
# shellcheck source=bench/influxdb_lib.sh
source "$here/influxdb_lib.sh"

influxdb_ensure_installed
command -v curl >/dev/null || die "curl is needed"

work=$(mktemp -d "${EDGETSDB_BENCH_DIR:-${TMPDIR:-/tmp}}/edgetsdb-influxdb-XXXXXX")
cleanup() {
  influxdb_stop
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Field "key=value" from the first-line comment storage_report writes.
header_value() { head -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

measure() {
  local file=$1
  local dataset precision points
  dataset=$(header_value "$file" dataset)
  precision=$(header_value "$file" precision)
  points=$(header_value "$file" points)
  if [ -z "$dataset" ] || [ -z "$precision" ] || [ -z "$points" ]; then
    die "$file: no '# edgetsdb storage_report dataset=... precision=... points=...' first line"
  fi
  local dir=$work/$dataset
  mkdir -p "$dir/chunks"
  influxdb_start "$dir" "$index_version"
  local url=$influxdb_url http_port=${influxdb_url##*:}

  local database=edgetsdb_$dataset
  local create="CREATE DATABASE $database"
  [ -n "${SHARD_DURATION:-}" ] && create="$create WITH SHARD DURATION $SHARD_DURATION"
  curl -sS -o /dev/null --fail -XPOST "$url/query" --data-urlencode "q=$create"

  tail -n +2 "$file" | split -l "$chunk_lines" - "$dir/chunks/part-"
  local start end code
  start=$(date +%s.%N)
  for chunk in "$dir"/chunks/part-*; do
    code=$(curl -sS -o "$dir/response" -w '%{http_code}' -XPOST \
      "$url/write?db=$database&precision=$precision" --data-binary "@$chunk")
    [ "$code" = 204 ] || die "write of $chunk answered $code: $(cat "$dir/response")"
  done
  end=$(date +%s.%N)
  rm -rf "$dir/chunks"

  # Every point, counted per field: count(*) over each measurement, summed over its columns.
  local counted=0 measurement n
  for measurement in $(influx -host 127.0.0.1 -port "$http_port" -database "$database" \
      -format csv -execute 'SHOW MEASUREMENTS' | tail -n +2 | cut -d, -f2); do
    n=$(influx -host 127.0.0.1 -port "$http_port" -database "$database" -format csv \
      -execute "SELECT count(*) FROM \"$measurement\"" |
      awk -F, 'NR > 1 {for (i = 3; i <= NF; i++) s += $i} END {print s + 0}')
    counted=$((counted + n))
  done
  [ "$counted" = "$points" ] || die "$dataset: InfluxDB counts $counted points, the file has $points"

  local data=$dir/data/$database
  influxdb_wait_compacted "$data" "$dir/wal" >/dev/null

  local tsm_bytes all_bytes tsm_files shards
  tsm_bytes=$(bytes_of "$data" -name '*.tsm')
  all_bytes=$(du -s -B1 "$data" | cut -f1)
  tsm_files=$(find "$data" -name '*.tsm' | wc -l)
  # data/DATABASE/RETENTION_POLICY/SHARD_ID; _series holds the series file's partitions.
  shards=$(find "$data" -mindepth 2 -maxdepth 2 -type d -not -path "$data/_series/*" | wc -l)
  influxdb_stop

  awk -v d="$dataset" -v p="$points" -v t="$tsm_bytes" -v a="$all_bytes" -v f="$tsm_files" \
      -v s="$shards" -v t0="$start" -v t1="$end" -v ix="$index_version" 'BEGIN {
    l = t1 - t0
    printf "influxdb %s: %d points, %d shards, %d TSM files; load %.1f s (%.2f M points/s)\n",
           d, p, s, f, l, p / l / 1e6
    printf "  TSM: %d bytes = %.3f bytes/point\n", t, t / p
    printf "  every file of the database, allocated (TSM, %s index, series file): %d bytes = %.3f bytes/point\n",
           ix, a, a / p
  }'
}

files=("$@")
if [ ${#files[@]} = 0 ]; then
  [ -x "$storage_report" ] || die "$storage_report not built: run make build first"
  "$storage_report" --dataset beijing --write-line-protocol "$work/beijing.lp"
  "$storage_report" --dataset iot --devices "$iot_devices" --hours "$iot_hours" \
    --write-line-protocol "$work/iot.lp"
  files=()
  for f in "$work/beijing.lp" "$work/iot.lp"; do [ -s "$f" ] && files+=("$f"); done
fi
for file in "${files[@]}"; do measure "$file"; done
