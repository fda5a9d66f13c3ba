#!/usr/bin/env bash
# Drives a real dynax node with the AWS CLI (Debian's awscli). Usage:
#   scripts/cli_test.sh path/to/dynax
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

passed=0 failed=0
check() { # check NAME GOT WANT
  if [ "$2" == "$3" ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL $1: got [$2] want [$3]"; fi
}

ddb create-table --table-name cli_users \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST >/dev/null
check "table status" "$(ddbt describe-table --table-name cli_users --query Table.TableStatus)" "ACTIVE"
check "table arn region" "$(ddbt describe-table --table-name cli_users --query Table.TableArn)" "arn:aws:dynamodb:eu-west-1:000000000000:table/cli_users"
check "list tables" "$(ddbt list-tables --query 'TableNames[0]')" "cli_users"

ddb put-item --table-name cli_users --item '{"pk":{"S":"u1"},"sk":{"N":"1.50"},"name":{"S":"Ada"},"tags":{"SS":["a","b"]}}'
check "get name" "$(ddbt get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --query Item.name.S)" "Ada"
check "canonical number" "$(ddbt get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --query Item.sk.N)" "1.5"

check "update returns" "$(ddbt update-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' \
  --update-expression 'SET #c = if_not_exists(#c, :z) + :one' --expression-attribute-names '{"#c":"count"}' \
  --expression-attribute-values '{":one":{"N":"1"},":z":{"N":"0"}}' --return-values UPDATED_NEW --query Attributes.count.N)" "1"

set +e
out=$(ddb put-item --table-name cli_users --item '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}' --condition-expression 'attribute_not_exists(pk)' 2>&1)
rc=$?
set -e
check "conditional failure exit code" "$rc" "254"
case "$out" in *"ConditionalCheckFailedException"*"The conditional request failed"*) passed=$((passed+1));; *) failed=$((failed+1)); echo "FAIL conditional message: $out";; esac

set +e
out=$(ddb get-item --table-name missing_table --key '{"pk":{"S":"x"}}' 2>&1)
set -e
case "$out" in *"ResourceNotFoundException"*"Requested resource not found"*) passed=$((passed+1));; *) failed=$((failed+1)); echo "FAIL missing table: $out";; esac

ddb batch-write-item --request-items '{"cli_users":[{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"1"}}}},{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"2"}}}},{"PutRequest":{"Item":{"pk":{"S":"u2"},"sk":{"N":"3"}}}}]}' >/dev/null
check "query count" "$(ddbt query --table-name cli_users --key-condition-expression 'pk = :p AND sk > :s' --expression-attribute-values '{":p":{"S":"u2"},":s":{"N":"1"}}' --query Count)" "2"
check "scan count" "$(ddbt scan --table-name cli_users --select COUNT --query Count)" "4"
check "partiql" "$(ddbt execute-statement --statement "SELECT sk FROM cli_users WHERE pk = 'u2' AND sk = 3" --query 'Items[0].sk.N')" "3"
ddb transact-write-items --transact-items '[{"Delete":{"TableName":"cli_users","Key":{"pk":{"S":"u2"},"sk":{"N":"1"}}}},{"Delete":{"TableName":"cli_users","Key":{"pk":{"S":"u2"},"sk":{"N":"2"}}}}]'
check "after transaction" "$(ddbt scan --table-name cli_users --select COUNT --query Count)" "2"

ddb delete-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}'
check "deleted" "$(ddb get-item --table-name cli_users --key '{"pk":{"S":"u1"},"sk":{"N":"1.5"}}')" ""
check "delete table" "$(ddbt delete-table --table-name cli_users --query TableDescription.TableStatus)" "DELETING"
check "no tables" "$(ddb list-tables --query 'length(TableNames)')" "0"

echo "awscli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
