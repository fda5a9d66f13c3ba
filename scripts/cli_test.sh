#!/usr/bin/env bash
# Drives a real dynax node with the AWS CLI (Debian's awscli). Usage:
#   scripts/cli_test.sh path/to/dynax
# With DYNAX_VIA=serve the node is `dynax serve` (the caching proxy in front of
# the store), and the test also proves that the proxy served cache hits.
set -euo pipefail
BIN=$(realpath "${1:?usage: cli_test.sh path/to/dynax}")
AWS=${AWS:-/usr/bin/aws}
[ -x "$AWS" ] || { echo "FAIL: the AWS CLI ($AWS) is not installed (apt-get install awscli)"; exit 1; }
cd "$(dirname "$0")"
. ./lib.sh

TMP=$(mktemp -d)
trap 'stop_node; rm -rf "$TMP"' EXIT
start_node "$BIN" "$TMP"

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=eu-west-1 AWS_PAGER=""
ddb() { "$AWS" dynamodb --endpoint-url "$ENDPOINT" --output json "$@"; }
ddbt() { "$AWS" dynamodb --endpoint-url "$ENDPOINT" --output text "$@"; }
streams() { "$AWS" dynamodbstreams --endpoint-url "$ENDPOINT" --output text "$@"; }

passed=0 failed=0
pass() { passed=$((passed+1)); }
fail() { failed=$((failed+1)); echo "FAIL $*"; }

# check NAME WANT CMD ARGS...: runs CMD; passes only when it exits 0 and prints
# exactly WANT. A command that fails (an endpoint that is down, say) never
# passes, whatever WANT is.
check() {
  local name=$1 want=$2 got rc=0
  shift 2
  got=$("$@" 2>"$TMP/stderr") || rc=$?
  if [ "$rc" -ne 0 ]; then fail "$name: exit status $rc: $(head -c 400 "$TMP/stderr")"; return; fi
  if [ "$got" == "$want" ]; then pass; else fail "$name: got [$got] want [$want]"; fi
}

# check_error NAME CODE MESSAGE CMD ARGS...: CMD must fail with the AWS CLI's
# service-error exit status 254 and print the error code and message.
check_error() {
  local name=$1 code=$2 msg=$3 out rc=0
  shift 3
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" -ne 254 ]; then fail "$name: exit status $rc, want 254: $out"; return; fi
  case "$out" in *"$code"*"$msg"*) pass;; *) fail "$name: got [$out] want $code: $msg";; esac
}

# cache_header CMD ARGS...: the x-dynax-cache response header of an AWS CLI
# call, read from its --debug log ("" when absent).
cache_header() {
  "$AWS" --debug "$@" 2>&1 >/dev/null | grep -io "'x-dynax-cache': '[a-z]*'" | tail -1 | cut -d"'" -f4
}

check "create table" "ACTIVE" ddbt create-table --table-name cli_users \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus
check "table status" "ACTIVE" ddbt describe-table --table-name cli_users --query Table.TableStatus
check "table arn region" "arn:aws:dynamodb:eu-west-1:000000000000:table/cli_users" ddbt describe-table --table-name cli_users --query Table.TableArn
check "list tables" "cli_users" ddbt list-tables --query 'TableNames[0]'

check "put item" "" ddb put-item --table-name cli_users --item '{"pk":{"S":"u1"},"sk":{"N":"1.50"},"name":{"S":"Ada"},"tags":{"SS":["a","b"]}}'
check "get name" "Ada" ddbt get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --query Item.name.S
check "canonical number" "1.5" ddbt get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --query Item.sk.N
if [ "${DYNAX_VIA:-store}" = serve ]; then
  # The two reads above filled the item cache: the next one is a hit, and a
  # consistent read goes around the cache.
  check "served from the cache" "hit" cache_header dynamodb --endpoint-url "$ENDPOINT" get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}'
  check "consistent read bypasses the cache" "bypass" cache_header dynamodb --endpoint-url "$ENDPOINT" get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --consistent-read
fi

check "update returns" "1" ddbt update-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' \
  --update-expression 'SET #c = if_not_exists(#c, :z) + :one' --expression-attribute-names '{"#c":"count"}' \
  --expression-attribute-values '{":one":{"N":"1"},":z":{"N":"0"}}' --return-values UPDATED_NEW --query Attributes.count.N
check "read after update" "1" ddbt get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --query Item.count.N

check_error "conditional failure" ConditionalCheckFailedException "The conditional request failed" \
  ddb put-item --table-name cli_users --item '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --condition-expression 'attribute_not_exists(pk)'
check_error "missing table" ResourceNotFoundException "Requested resource not found" \
  ddb get-item --table-name missing_table --key '{"pk":{"S":"x"}}'

check "batch write" "0" ddbt batch-write-item --query 'length(UnprocessedItems)' --request-items '{"cli_users":[{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"1"}}}},{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"2"}}}},{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"3"}}}}]}'
check "query count" "2" ddbt query --table-name cli_users --key-condition-expression 'pk = :p AND sk > :s' --expression-attribute-values '{":p":{"S":"u2"},":s":{"N":"1"}}' --query Count
if [ "${DYNAX_VIA:-store}" = serve ]; then
  check "query served from the cache" "hit" cache_header dynamodb --endpoint-url "$ENDPOINT" query --table-name cli_users --key-condition-expression 'pk = :p AND sk > :s' --expression-attribute-values '{":p":{"S":"u2"},":s":{"N":"1"}}'
fi
check "scan count" "4" ddbt scan --table-name cli_users --select COUNT --query Count
check "partiql" "3" ddbt execute-statement --statement "SELECT sk FROM cli_users WHERE pk = 'u2' AND sk = 3" --query 'Items[0].sk.N'
check "transaction" "" ddb transact-write-items --transact-items '[{"Delete":{"TableName":"cli_users","Key":{"pk":{"S":"u2"},"sk":{"N":"1"}}}},{"Delete":{"TableName":"cli_users","Key":{"pk":{"S":"u2"},"sk":{"N":"2"}}}}]'
check "after transaction" "2" ddbt scan --table-name cli_users --select COUNT --query Count

check "delete item" "" ddb delete-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}'
check "deleted" "" ddb get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}'

# DynamoDB Streams and TTL.
check "create streamed table" "NEW_AND_OLD_IMAGES" ddbt create-table --table-name cli_events \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES \
  --query TableDescription.StreamSpecification.StreamViewType
arn=$(ddbt describe-table --table-name cli_events --query Table.LatestStreamArn)
case "$arn" in arn:aws:dynamodb:eu-west-1:000000000000:table/cli_events/stream/20*) pass;; *) fail "stream arn: [$arn]";; esac
check "list streams" "$arn" streams list-streams --table-name cli_events --query 'Streams[0].StreamArn'
check "stream status" "ENABLED" streams describe-stream --stream-arn "$arn" --query StreamDescription.StreamStatus
check "enable time to live" "True	exp" ddbt update-time-to-live --table-name cli_events \
  --time-to-live-specification Enabled=true,AttributeName=exp --query 'TimeToLiveSpecification.[Enabled,AttributeName]'
check "describe time to live" "ENABLED	exp" ddbt describe-time-to-live --table-name cli_events \
  --query 'TimeToLiveDescription.[TimeToLiveStatus,AttributeName]'
check_error "enable time to live twice" ValidationException "TimeToLive is already enabled" \
  ddb update-time-to-live --table-name cli_events --time-to-live-specification Enabled=true,AttributeName=exp

check "insert" "" ddb put-item --table-name cli_events --item '{"id":{"S":"e1"},"v":{"N":"1"}}'
check "modify" "" ddb update-item --table-name cli_events --key '{"id":{"S":"e1"}}' --update-expression 'SET v = :v' --expression-attribute-values '{":v":{"N":"2"}}'
check "remove" "" ddb delete-item --table-name cli_events --key '{"id":{"S":"e1"}}'
past=$(( $(date +%s) - 60 ))
check "expiring item" "" ddb put-item --table-name cli_events --item "{\"id\":{\"S\":\"e2\"},\"exp\":{\"N\":\"$past\"}}"
gone=""
for _ in $(seq 1 100); do
  if [ "$(ddb get-item --table-name cli_events --key '{"id":{"S":"e2"}}' --consistent-read)" == "" ]; then gone=yes; break; fi
  sleep 0.1
done
[ "$gone" = yes ] && pass || fail "expired item was not deleted within 10 s"

shard=$(streams describe-stream --stream-arn "$arn" --query 'StreamDescription.Shards[0].ShardId')
case "$shard" in shardId-*) pass;; *) fail "shard id: [$shard]";; esac
it=$(streams get-shard-iterator --stream-arn "$arn" --shard-id "$shard" --shard-iterator-type TRIM_HORIZON --query ShardIterator)
check "stream events" "INSERT	MODIFY	REMOVE	INSERT	REMOVE" streams get-records --shard-iterator "$it" --query 'Records[].eventName'
check "old and new images" "1	2" streams get-records --shard-iterator "$it" --query 'Records[1].dynamodb.[OldImage.v.N,NewImage.v.N]'
check "ttl deletion identity" "Service	dynamodb.amazonaws.com" streams get-records --shard-iterator "$it" --query 'Records[4].userIdentity.[Type,PrincipalId]'
check_error "unknown shard" ResourceNotFoundException "Requested resource not found: Shard does not exist" \
  streams get-shard-iterator --stream-arn "$arn" --shard-id shardId-00000000000000000000-00000000 --shard-iterator-type LATEST
check_error "malformed iterator" ValidationException "Invalid ShardIterator" streams get-records --shard-iterator "not-an-iterator"

# Backups, restores and point-in-time recovery.
barn=$(ddbt create-backup --table-name cli_users --backup-name cli-backup --query BackupDetails.BackupArn)
case "$barn" in arn:aws:dynamodb:eu-west-1:000000000000:table/cli_users/backup/*) pass;; *) fail "backup arn: [$barn]";; esac
status=""
for _ in $(seq 1 100); do
  status=$(ddbt describe-backup --backup-arn "$barn" --query BackupDescription.BackupDetails.BackupStatus)
  [ "$status" = AVAILABLE ] && break
  sleep 0.1
done
check "backup available" "AVAILABLE" echo "$status"
check "list backups" "cli-backup" ddbt list-backups --table-name cli_users --query 'BackupSummaries[0].BackupName'
check "restore from backup" "CREATING" ddbt restore-table-from-backup --target-table-name cli_restored --backup-arn "$barn" --query TableDescription.TableStatus
for _ in $(seq 1 100); do
  [ "$(ddbt describe-table --table-name cli_restored --query Table.TableStatus)" = ACTIVE ] && break
  sleep 0.1
done
check "restored items" "1" ddbt scan --table-name cli_restored --select COUNT --query Count
check "enable pitr" "ENABLED" ddbt update-continuous-backups --table-name cli_users \
  --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --query ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus
check "pitr restore" "CREATING" ddbt restore-table-to-point-in-time --source-table-name cli_users --target-table-name cli_pitr \
  --use-latest-restorable-time --query TableDescription.TableStatus
for _ in $(seq 1 100); do
  [ "$(ddbt describe-table --table-name cli_pitr --query Table.TableStatus)" = ACTIVE ] && break
  sleep 0.1
done
check "pitr restored items" "1" ddbt scan --table-name cli_pitr --select COUNT --query Count
check_error "restore onto an existing table" TableAlreadyExistsException "Table already exists: cli_pitr" \
  ddb restore-table-from-backup --target-table-name cli_pitr --backup-arn "$barn"
# Export to a local bucket (a directory under the data dir), then import it back.
earn=$(ddbt export-table-to-point-in-time --table-arn arn:aws:dynamodb:eu-west-1:000000000000:table/cli_users \
  --s3-bucket cli-bucket --s3-prefix exp --query ExportDescription.ExportArn)
for _ in $(seq 1 100); do
  status=$(ddbt describe-export --export-arn "$earn" --query ExportDescription.ExportStatus)
  [ "$status" != IN_PROGRESS ] && break
  sleep 0.1
done
check "export completed" "COMPLETED" echo "$status"
eid=${earn##*/}
check "export manifest on disk" "yes" bash -c "test -s '$TMP/data/s3/cli-bucket/exp/AWSDynamoDB/$eid/manifest-summary.json' && test -f '$TMP/data/s3/cli-bucket/exp/AWSDynamoDB/$eid/_started' && echo yes"
check "list exports" "$earn" ddbt list-exports --query 'ExportSummaries[0].ExportArn'
iarn=$(ddbt import-table --s3-bucket-source S3Bucket=cli-bucket,S3KeyPrefix=exp/AWSDynamoDB/$eid/data/ \
  --input-format DYNAMODB_JSON --input-compression-type GZIP \
  --table-creation-parameters 'TableName=cli_imported,KeySchema=[{AttributeName=pk,KeyType=HASH},{AttributeName=sk,KeyType=RANGE}],AttributeDefinitions=[{AttributeName=pk,AttributeType=S},{AttributeName=sk,AttributeType=N}],BillingMode=PAY_PER_REQUEST' \
  --query ImportTableDescription.ImportArn)
for _ in $(seq 1 100); do
  status=$(ddbt describe-import --import-arn "$iarn" --query ImportTableDescription.ImportStatus)
  [ "$status" != IN_PROGRESS ] && break
  sleep 0.1
done
check "import completed" "COMPLETED" echo "$status"
check "imported count" "1" ddbt describe-import --import-arn "$iarn" --query ImportTableDescription.ImportedItemCount
check "imported items" "1" ddbt scan --table-name cli_imported --select COUNT --query Count
check "delete imported" "DELETING" ddbt delete-table --table-name cli_imported --query TableDescription.TableStatus

check "delete backup" "DELETED" ddbt delete-backup --backup-arn "$barn" --query BackupDescription.BackupDetails.BackupStatus
check_error "deleted backup" BackupNotFoundException "Backup not found: $barn" ddb describe-backup --backup-arn "$barn"
check "delete restored" "DELETING" ddbt delete-table --table-name cli_restored --query TableDescription.TableStatus
check "delete pitr restored" "DELETING" ddbt delete-table --table-name cli_pitr --query TableDescription.TableStatus

check "delete table" "DELETING" ddbt delete-table --table-name cli_users --query TableDescription.TableStatus
check "system backup of a pitr table" "cli_users\$DeletedTableBackup" ddbt list-backups --backup-type SYSTEM --query 'BackupSummaries[0].BackupName'
check "delete streamed table" "DELETING" ddbt delete-table --table-name cli_events --query TableDescription.TableStatus
check "no tables" "0" ddb list-tables --query 'length(TableNames)'

# --auth sigv4: a second node that verifies signatures against a
# credentials file and authorizes by IAM policy (alice may read only her
# own partition of cli_docs).
cat >"$TMP/creds.json" <<'JSON'
{"users":[
 {"accessKeyId":"AKIDADMIN","secretAccessKey":"admin-secret","arn":"arn:aws:iam::000000000000:user/admin"},
 {"accessKeyId":"AKIDALICE","secretAccessKey":"alice-secret","arn":"arn:aws:iam::000000000000:user/alice","policies":[
  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["alice"]}}}]}]}]}
JSON
main_pid=$NODE_PID main_ep=$ENDPOINT
start_node "$BIN" "$TMP/auth" --auth sigv4 --credentials "$TMP/creds.json"
auth_pid=$NODE_PID auth_ep=$ENDPOINT
NODE_PID=$main_pid ENDPOINT=$main_ep
trap 'kill "$auth_pid" 2>/dev/null || true; stop_node; rm -rf "$TMP"' EXIT
as() { local key=$1 secret=$2; shift 2; AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret "$AWS" dynamodb --endpoint-url "$auth_ep" --output text "$@"; }
check "auth: admin creates a table" "ACTIVE" as AKIDADMIN admin-secret create-table --table-name cli_docs \
  --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus
check "auth: admin writes" "" as AKIDADMIN admin-secret put-item --table-name cli_docs --item '{"pk":{"S":"bob"},"v":{"S":"b"}}'
check "auth: admin writes alice's row" "" as AKIDADMIN admin-secret put-item --table-name cli_docs --item '{"pk":{"S":"alice"},"v":{"S":"a"}}'
check "auth: alice reads her row" "a" as AKIDALICE alice-secret get-item --table-name cli_docs --key '{"pk":{"S":"alice"}}' --query Item.v.S
check_error "auth: alice reads bob's row" AccessDeniedException \
  "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/cli_docs because no identity-based policy allows the dynamodb:GetItem action" \
  as AKIDALICE alice-secret get-item --table-name cli_docs --key '{"pk":{"S":"bob"}}'
check_error "auth: wrong secret" InvalidSignatureException "The request signature we calculated does not match" \
  as AKIDALICE wrong-secret list-tables
check_error "auth: unknown key" UnrecognizedClientException "The security token included in the request is invalid." \
  as AKIDNOBODY x list-tables
# (Debian's AWS CLI predates PutResourcePolicy; the Go SDK tests cover it.)

# Application Auto Scaling (AnyScaleFrontendService) on the same listener,
# against a node of its own with a compressed scaler clock.
start_node "$BIN" "$TMP/aas" --autoscaling-period 100ms
aas_pid=$NODE_PID aas_ep=$ENDPOINT
NODE_PID=$main_pid ENDPOINT=$main_ep
trap 'kill "$auth_pid" "$aas_pid" 2>/dev/null || true; stop_node; rm -rf "$TMP"' EXIT
aas() { "$AWS" application-autoscaling --endpoint-url "$aas_ep" --output text "$@"; }
export -f aas; export AWS aas_ep
check "aas: provisioned table" "ACTIVE" "$AWS" dynamodb --endpoint-url "$aas_ep" --output text create-table --table-name cli_scaled \
  --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
  --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5 --query TableDescription.TableStatus
# (Debian's AWS CLI predates ScalableTargetARN: the Go SDK tests check it.)
check "aas: register-scalable-target" "" \
  bash -c 'aas register-scalable-target --service-namespace dynamodb --resource-id table/cli_scaled \
    --scalable-dimension dynamodb:table:ReadCapacityUnits --min-capacity 10 --max-capacity 40 >/dev/null'
check "aas: put-scaling-policy" "TargetTracking-table/cli_scaled-AlarmHigh-" \
  bash -c 'aas put-scaling-policy --policy-name cli-read --service-namespace dynamodb --resource-id table/cli_scaled \
    --scalable-dimension dynamodb:table:ReadCapacityUnits --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration "{\"TargetValue\":70,\"PredefinedMetricSpecification\":{\"PredefinedMetricType\":\"DynamoDBReadCapacityUtilization\"}}" \
    --query "Alarms[0].AlarmName" | cut -c1-42'
check "aas: describe-scalable-targets" "table/cli_scaled	10	40" aas describe-scalable-targets --service-namespace dynamodb \
  --query 'ScalableTargets[].[ResourceId,MinCapacity,MaxCapacity]'
check "aas: describe-scaling-policies" "cli-read	70" aas describe-scaling-policies --service-namespace dynamodb \
  --query 'ScalingPolicies[].[PolicyName,TargetTrackingScalingPolicyConfiguration.TargetValue]'
# Registering 10..40 raised the table's 5 RCU to the minimum at once.
check "aas: describe-scaling-activities" "Setting read capacity units to 10.	minimum capacity was set to 10	Successful" \
  aas describe-scaling-activities --service-namespace dynamodb --query 'ScalingActivities[].[Description,Cause,StatusCode]'
check "aas: capacity raised" "10" "$AWS" dynamodb --endpoint-url "$aas_ep" --output text describe-table --table-name cli_scaled \
  --query Table.ProvisionedThroughput.ReadCapacityUnits
check_error "aas: no such table" ValidationException "DynamoDB table does not exist: table/cli_nope" \
  aas register-scalable-target --service-namespace dynamodb --resource-id table/cli_nope \
    --scalable-dimension dynamodb:table:ReadCapacityUnits --min-capacity 1 --max-capacity 5
check_error "aas: policy without target" ObjectNotFoundException \
  "No scalable target registered for service namespace: dynamodb, resource ID: table/cli_scaled, scalable dimension: dynamodb:table:WriteCapacityUnits" \
  aas put-scaling-policy --policy-name w --service-namespace dynamodb --resource-id table/cli_scaled \
    --scalable-dimension dynamodb:table:WriteCapacityUnits --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration '{"TargetValue":70,"PredefinedMetricSpecification":{"PredefinedMetricType":"DynamoDBWriteCapacityUtilization"}}'

echo "awscli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
