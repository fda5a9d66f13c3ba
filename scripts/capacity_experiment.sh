#!/usr/bin/env bash
# The capacity experiment of docs/capacity.md: YCSB A against a table of
# 100 WCU (and 400 RCU) on two storage nodes that enforce capacity, one
# with an Application Auto Scaling target-tracking policy (70 %, scaler
# minute compressed to --autoscaling-period), one without; one
# `dynax bench` run measures both (one round each) and plots throughput and
# throttles over time in its HTML report.
#
# usage: scripts/capacity_experiment.sh BIN OUTDIR [DURATION] [RATE]
set -euo pipefail
BIN=$(realpath "$1") OUT=$2 DUR=${3:-60s} RATE=${4:-400}
AWS=${AWS:-aws}
mkdir -p "$OUT"
TMP=$(mktemp -d)
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
P1=$(free_port) P2=$(free_port)
"$BIN" store --listen 127.0.0.1:$P1 --data-dir "$TMP/fixed" --capacity enforce >"$TMP/fixed.log" 2>&1 &
A=$!
"$BIN" store --listen 127.0.0.1:$P2 --data-dir "$TMP/scaled" --capacity enforce --autoscaling-period 1s >"$TMP/scaled.log" 2>&1 &
B=$!
trap 'kill $A $B 2>/dev/null || true; rm -rf "$TMP"' EXIT
for p in $P1 $P2; do
  for _ in $(seq 100); do "$AWS" dynamodb list-tables --endpoint-url http://127.0.0.1:$p >/dev/null 2>&1 && break; sleep 0.1; done
  "$AWS" dynamodb create-table --endpoint-url http://127.0.0.1:$p --table-name dynax_bench_ycsb \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
    --provisioned-throughput ReadCapacityUnits=400,WriteCapacityUnits=100 >/dev/null
done
aas() { "$AWS" application-autoscaling --endpoint-url http://127.0.0.1:$P2 "$@"; }
for d in Read Write; do
  aas register-scalable-target --service-namespace dynamodb --resource-id table/dynax_bench_ycsb \
    --scalable-dimension dynamodb:table:${d}CapacityUnits --min-capacity $([ $d = Read ] && echo 400 || echo 100) --max-capacity 4000
  aas put-scaling-policy --policy-name ycsb-$d --service-namespace dynamodb --resource-id table/dynax_bench_ycsb \
    --scalable-dimension dynamodb:table:${d}CapacityUnits --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration "{\"TargetValue\":70,\"PredefinedMetricSpecification\":{\"PredefinedMetricType\":\"DynamoDB${d}CapacityUtilization\"}}" >/dev/null
done
"$BIN" bench --endpoint fixed=http://127.0.0.1:$P1 --endpoint autoscaled=http://127.0.0.1:$P2 \
  --workload a --records 2000 --item-size 1000 --rate "$RATE" --concurrency 8 --duration "$DUR" --warmup 0s --rounds 1 \
  --html "$OUT/capacity-ycsb-a.html" --json "$OUT/capacity-ycsb-a.json"
echo "--- scaling activities of the autoscaled node"
aas describe-scaling-activities --service-namespace dynamodb --output text \
  --query 'ScalingActivities[].[StartTime,Description,StatusCode]' | sort
"$AWS" dynamodb describe-table --endpoint-url http://127.0.0.1:$P2 --table-name dynax_bench_ycsb --output text \
  --query 'Table.ProvisionedThroughput.[ReadCapacityUnits,WriteCapacityUnits]'
