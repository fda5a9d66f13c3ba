#!/usr/bin/env python3
"""Drives a real dynax node with boto3 (Debian's python3-boto3).

Usage: boto3_test.py path/to/dynax
"""
import datetime
import decimal
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import boto3
    from boto3.dynamodb.conditions import Attr, Key
    from botocore.exceptions import ClientError
except ImportError:
    print("FAIL: boto3 is not installed (apt-get install python3-boto3)")
    sys.exit(1)


def start_node(binary, tmp, *extra):
    os.makedirs(tmp, exist_ok=True)
    log = open(os.path.join(tmp, "node.log"), "w+")
    # DYNAX_VIA=serve: the all-in-one node (caching proxy in front of the store).
    args = [binary, "store"]
    if os.environ.get("DYNAX_VIA") == "serve":
        args = [binary, "serve", "--store-listen", "", "--etcd-listen", ""]
    proc = subprocess.Popen(args + ["--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data")] + list(extra),
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        log.seek(0)
        m = re.search(r" addr=(127\.0\.0\.1:\d+)", log.read())
        if m:
            return proc, "http://" + m.group(1)
        time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise SystemExit("node did not start:\n" + log.read())


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def eq(self, name, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: got {got!r} want {want!r}")

    def raises(self, name, fn, code, message):
        try:
            fn()
        except ClientError as e:
            self.eq(name + " code", e.response["Error"]["Code"], code)
            self.eq(name + " message", e.response["Error"]["Message"], message)
            return
        self.failed += 1
        print(f"FAIL {name}: no error raised")


def cache_header(response):
    """The x-dynax-cache header of a boto3 response ("" when absent)."""
    return response["ResponseMetadata"]["HTTPHeaders"].get("x-dynax-cache", "")


def check_cache_hits(c, client):
    """Through dynax serve, repeated eventually consistent reads are cache hits."""
    key = {"customer": {"S": "c2"}, "order": {"N": "7"}}
    client.get_item(TableName="boto_orders", Key=key)
    c.eq("item cache hit", cache_header(client.get_item(TableName="boto_orders", Key=key)), "hit")
    c.eq("consistent read bypass",
         cache_header(client.get_item(TableName="boto_orders", Key=key, ConsistentRead=True)), "bypass")
    q = {"TableName": "boto_orders", "KeyConditionExpression": "customer = :c",
         "ExpressionAttributeValues": {":c": {"S": "c2"}}, "Limit": 3}
    client.query(**q)
    c.eq("query cache hit", cache_header(client.query(**q)), "hit")
    client.put_item(TableName="boto_orders", Item={**key, "total": {"N": "70"}})
    got = client.get_item(TableName="boto_orders", Key=key)
    c.eq("read after write", got["Item"]["total"]["N"], "70")


def check_streams_and_ttl(c, session, client, endpoint):
    """A streamed table with TTL, read back through boto3's dynamodbstreams client."""
    streams = session.client("dynamodbstreams", endpoint_url=endpoint)
    desc = client.create_table(
        TableName="boto_events", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    arn = desc["LatestStreamArn"]
    c.eq("stream arn", arn.startswith("arn:aws:dynamodb:ap-southeast-2:000000000000:table/boto_events/stream/"), True)
    c.eq("stream label", arn.endswith("/stream/" + desc["LatestStreamLabel"]), True)
    c.eq("list streams", [s["StreamArn"] for s in streams.list_streams(TableName="boto_events")["Streams"]], [arn])
    c.raises("enable stream twice", lambda: client.update_table(
        TableName="boto_events", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}),
        "ValidationException", "Table already has an enabled stream: TableName: boto_events")

    ttl = client.update_time_to_live(TableName="boto_events",
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    c.eq("ttl spec", ttl["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "expires"})
    c.eq("ttl status", client.describe_time_to_live(TableName="boto_events")["TimeToLiveDescription"],
         {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
    c.raises("ttl enabled twice", lambda: client.update_time_to_live(
        TableName="boto_events", TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"}),
        "ValidationException", "TimeToLive is already enabled")

    client.put_item(TableName="boto_events", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    client.put_item(TableName="boto_events", Item={"id": {"S": "a"}, "v": {"N": "2"}})
    client.put_item(TableName="boto_events", Item={"id": {"S": "b"}, "expires": {"N": str(int(time.time()) - 5)}})
    deadline = time.time() + 10
    while "Item" in client.get_item(TableName="boto_events", Key={"id": {"S": "b"}}, ConsistentRead=True):
        if time.time() > deadline:
            c.eq("expired item deleted", "still there after 10 s", "deleted")
            break
        time.sleep(0.1)

    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = []
    for _ in range(20):
        page = streams.get_records(ShardIterator=it, Limit=2)
        records += page["Records"]
        it = page["NextShardIterator"]
        if len(records) >= 4:
            break
    c.eq("events", [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records],
         [("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "b"), ("REMOVE", "b")])
    c.eq("new image", records[1]["dynamodb"].get("NewImage"), {"id": {"S": "a"}, "v": {"N": "2"}})
    c.eq("no old image", "OldImage" in records[1]["dynamodb"], False)
    c.eq("ttl identity", records[3].get("userIdentity"), {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"})
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    c.eq("sequence numbers increase", seqs, sorted(set(seqs)))
    c.raises("expired-format iterator", lambda: streams.get_records(ShardIterator="x" * 40),
             "ValidationException", "Invalid ShardIterator")
    client.delete_table(TableName="boto_events")


def wait_for(fn, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def check_backups(c, client):
    """On-demand backup, restore, and point-in-time recovery of boto_orders."""
    count = client.scan(TableName="boto_orders", Select="COUNT", ConsistentRead=True)["Count"]
    arn = client.create_backup(TableName="boto_orders", BackupName="boto-backup")["BackupDetails"]["BackupArn"]
    wait_for(lambda: client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
             == "AVAILABLE", "the backup")
    desc = client.describe_backup(BackupArn=arn)["BackupDescription"]
    c.eq("backup item count", desc["SourceTableDetails"]["ItemCount"], count)
    c.eq("backup type", desc["BackupDetails"]["BackupType"], "USER")
    c.eq("list backups", [b["BackupArn"] for b in client.list_backups(TableName="boto_orders")["BackupSummaries"]], [arn])
    client.put_item(TableName="boto_orders", Item={"customer": {"S": "after"}, "order": {"N": "1"}})
    restored = client.restore_table_from_backup(TargetTableName="boto_restored", BackupArn=arn)["TableDescription"]
    c.eq("restore summary", restored["RestoreSummary"]["SourceBackupArn"], arn)
    wait_for(lambda: client.describe_table(TableName="boto_restored")["Table"]["TableStatus"] == "ACTIVE", "the restore")
    c.eq("restored count", client.scan(TableName="boto_restored", Select="COUNT", ConsistentRead=True)["Count"], count)
    c.raises("restore onto existing", lambda: client.restore_table_from_backup(TargetTableName="boto_restored", BackupArn=arn),
             "TableAlreadyExistsException", "Table already exists: boto_restored")

    pitr = client.update_continuous_backups(TableName="boto_orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]
    c.eq("pitr status", pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
    # Debian's botocore predates RecoveryPeriodInDays; the default is 35.
    c.eq("pitr period", pitr["PointInTimeRecoveryDescription"].get("RecoveryPeriodInDays", 35), 35)
    # Restore times travel in whole seconds; the window opens at the next one.
    time.sleep(max(0.0, pitr["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp() - time.time()) + 1.0)
    mark = time.time()
    time.sleep(1.0)
    # Export (PITR is on) to a local bucket, then import the export back.
    exp = client.export_table_to_point_in_time(TableArn="boto_orders", S3Bucket="boto-bucket",
                                               ExportFormat="ION")["ExportDescription"]
    wait_for(lambda: client.describe_export(ExportArn=exp["ExportArn"])["ExportDescription"]["ExportStatus"]
             != "IN_PROGRESS", "the export")
    done = client.describe_export(ExportArn=exp["ExportArn"])["ExportDescription"]
    c.eq("export status", done["ExportStatus"], "COMPLETED")
    c.eq("export count", done["ItemCount"], count + 1)
    export_id = exp["ExportArn"].rsplit("/", 1)[1]
    imp = client.import_table(
        S3BucketSource={"S3Bucket": "boto-bucket", "S3KeyPrefix": "AWSDynamoDB/" + export_id + "/"},
        InputFormat="ION", InputCompressionType="GZIP",
        TableCreationParameters={"TableName": "boto_imported", "BillingMode": "PAY_PER_REQUEST",
                                 "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"},
                                               {"AttributeName": "order", "KeyType": "RANGE"}],
                                 "AttributeDefinitions": [{"AttributeName": "customer", "AttributeType": "S"},
                                                          {"AttributeName": "order", "AttributeType": "N"}]})
    iarn = imp["ImportTableDescription"]["ImportArn"]
    wait_for(lambda: client.describe_import(ImportArn=iarn)["ImportTableDescription"]["ImportStatus"]
             != "IN_PROGRESS", "the import")
    idesc = client.describe_import(ImportArn=iarn)["ImportTableDescription"]
    c.eq("import status", (idesc["ImportStatus"], idesc["ImportedItemCount"], idesc["ErrorCount"]), ("COMPLETED", count + 1, 0))
    wait_for(lambda: client.describe_table(TableName="boto_imported")["Table"]["TableStatus"] == "ACTIVE", "the imported table")
    c.eq("imported item", client.get_item(TableName="boto_imported", ConsistentRead=True,
                                          Key={"customer": {"S": "after"}, "order": {"N": "1"}}).get("Item"),
         {"customer": {"S": "after"}, "order": {"N": "1"}})
    client.delete_table(TableName="boto_imported")

    client.delete_item(TableName="boto_orders", Key={"customer": {"S": "after"}, "order": {"N": "1"}})
    client.restore_table_to_point_in_time(SourceTableName="boto_orders", TargetTableName="boto_pitr",
                                          RestoreDateTime=datetime.datetime.fromtimestamp(mark, datetime.timezone.utc))
    wait_for(lambda: client.describe_table(TableName="boto_pitr")["Table"]["TableStatus"] == "ACTIVE", "the PITR restore")
    c.eq("pitr state at the mark", "Item" in client.get_item(TableName="boto_pitr", ConsistentRead=True,
                                                            Key={"customer": {"S": "after"}, "order": {"N": "1"}}), True)
    c.eq("pitr count", client.scan(TableName="boto_pitr", Select="COUNT", ConsistentRead=True)["Count"], count + 1)
    c.raises("pitr off", lambda: client.restore_table_to_point_in_time(
        SourceTableName="boto_restored", TargetTableName="boto_x", UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'boto_restored'")
    c.eq("delete backup", client.delete_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"], "DELETED")
    c.raises("deleted backup", lambda: client.describe_backup(BackupArn=arn), "BackupNotFoundException", "Backup not found: " + arn)
    client.update_continuous_backups(TableName="boto_orders",
                                     PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    client.delete_table(TableName="boto_restored")
    client.delete_table(TableName="boto_pitr")


CREDENTIALS = """{"users":[
 {"accessKeyId":"AKIDADMIN","secretAccessKey":"admin-secret","arn":"arn:aws:iam::000000000000:user/admin"},
 {"accessKeyId":"AKIDBOB","secretAccessKey":"bob-secret","arn":"arn:aws:iam::000000000000:user/bob","policies":[
  {"Version":"2012-10-17","Statement":[
   {"Effect":"Allow","Action":["dynamodb:Query","dynamodb:BatchGetItem"],"Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["bob"]}}},
   {"Effect":"Allow","Action":"dynamodb:PartiQLSelect","Resource":"*",
    "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["bob"]}}}]}]}]}"""


class shifted_clock:
    """Shifts the clock botocore's SigV4 signer reads (datetime.utcnow, or
    get_current_datetime in newer botocore) for the duration of a block."""

    def __init__(self, delta):
        self.delta = delta

    def __enter__(self):
        import botocore.auth as ba
        delta, real = self.delta, datetime.datetime

        class Shifted(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return real.utcnow() + delta

            @classmethod
            def now(cls, tz=None):
                return real.now(tz) + delta

        self.saved = ba.datetime.datetime
        ba.datetime.datetime = Shifted
        self.saved_fn = getattr(ba, "get_current_datetime", None)
        if self.saved_fn is not None:
            ba.get_current_datetime = lambda *a, **k: self.saved_fn(*a, **k) + delta
        return self

    def __exit__(self, *exc):
        import botocore.auth as ba
        ba.datetime.datetime = self.saved
        if self.saved_fn is not None:
            ba.get_current_datetime = self.saved_fn


def check_auth(c, binary, tmp):
    """--auth sigv4: keys verified, requests authorized by IAM policy."""
    path = os.path.join(tmp, "creds.json")
    with open(path, "w") as f:
        f.write(CREDENTIALS)
    proc, endpoint = start_node(binary, os.path.join(tmp, "auth"), "--auth", "sigv4", "--credentials", path)
    try:
        def client(key, secret):
            return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                         region_name="us-east-1").client("dynamodb", endpoint_url=endpoint)
        admin, bob = client("AKIDADMIN", "admin-secret"), client("AKIDBOB", "bob-secret")
        admin.create_table(TableName="boto_auth", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        for pk in ("bob", "carol"):
            admin.put_item(TableName="boto_auth", Item={"pk": {"S": pk}})
        c.eq("auth query own", bob.query(TableName="boto_auth", KeyConditionExpression="pk = :p",
                                         ExpressionAttributeValues={":p": {"S": "bob"}})["Count"], 1)
        denied = ("User: arn:aws:iam::000000000000:user/bob is not authorized to perform: dynamodb:{op} on resource: "
                  "arn:aws:dynamodb:us-east-1:000000000000:table/boto_auth because no identity-based policy allows "
                  "the dynamodb:{op} action")
        c.raises("auth query other", lambda: bob.query(TableName="boto_auth", KeyConditionExpression="pk = :p",
                                                       ExpressionAttributeValues={":p": {"S": "carol"}}),
                 "AccessDeniedException", denied.format(op="Query"))
        c.raises("auth batch other", lambda: bob.batch_get_item(RequestItems={"boto_auth": {"Keys": [
            {"pk": {"S": "bob"}}, {"pk": {"S": "carol"}}]}}), "AccessDeniedException", denied.format(op="BatchGetItem"))
        c.eq("auth partiql own", len(bob.execute_statement(Statement="SELECT * FROM boto_auth WHERE pk = ?",
                                                           Parameters=[{"S": "bob"}])["Items"]), 1)
        c.raises("auth partiql other", lambda: bob.execute_statement(Statement="SELECT * FROM boto_auth WHERE pk = 'carol'"),
                 "AccessDeniedException", denied.format(op="PartiQLSelect"))
        c.raises("auth get not granted", lambda: bob.get_item(TableName="boto_auth", Key={"pk": {"S": "bob"}}),
                 "AccessDeniedException", denied.format(op="GetItem"))
        c.raises("auth wrong secret", lambda: client("AKIDBOB", "nope").list_tables(), "InvalidSignatureException",
                 "The request signature we calculated does not match the signature you provided. Check your AWS "
                 "Secret Access Key and signing method. Consult the service documentation for details.")
        c.raises("auth unknown key", lambda: client("AKIDNOBODY", "x").list_tables(), "UnrecognizedClientException",
                 "The security token included in the request is invalid.")
        # Expired and future-dated signatures: botocore signs at the time
        # its signer reads, shifted here by ten minutes either way.
        for name, shift, prefix in (("expired", -10, "Signature expired: "), ("future", 10, "Signature not yet current: ")):
            with shifted_clock(datetime.timedelta(minutes=shift)):
                try:
                    client("AKIDADMIN", "admin-secret").list_tables()
                    c.eq("auth " + name, "no error", "InvalidSignatureException")
                except ClientError as e:
                    c.eq("auth " + name + " code", e.response["Error"]["Code"], "InvalidSignatureException")
                    c.eq("auth " + name + " message", e.response["Error"]["Message"].startswith(prefix), True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def check_capacity(c, binary, tmp):
    """--capacity enforce: a table over its provisioned throughput throttles."""
    proc, endpoint = start_node(binary, os.path.join(tmp, "capacity"), "--capacity", "enforce")
    try:
        from botocore.config import Config
        client = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                       region_name="us-east-1").client(
            "dynamodb", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))
        client.create_table(TableName="boto_capacity", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
        err = None
        for i in range(50):
            try:
                client.put_item(TableName="boto_capacity", Item={"pk": {"S": "k%d" % i}})
            except ClientError as e:
                err = e
                break
        c.eq("capacity throttled", err is not None, True)
        if err is not None:
            c.eq("capacity code", err.response["Error"]["Code"], "ProvisionedThroughputExceededException")
            c.eq("capacity message", err.response["Error"]["Message"],
                 "The level of configured provisioned throughput for the table was exceeded. "
                 "Consider increasing your provisioning level with the UpdateTable API.")
            c.eq("capacity status", err.response["ResponseMetadata"]["HTTPStatusCode"], 400)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp()
    proc, endpoint = start_node(binary, tmp)
    c = Checks()
    try:
        session = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                        region_name="ap-southeast-2")
        client = session.client("dynamodb", endpoint_url=endpoint)
        res = session.resource("dynamodb", endpoint_url=endpoint)

        table = res.create_table(
            TableName="boto_orders",
            KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"},
                       {"AttributeName": "order", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                                  {"AttributeName": "order", "AttributeType": "N"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        table.wait_until_exists()
        c.eq("status", table.table_status, "ACTIVE")
        c.eq("arn", table.table_arn, "arn:aws:dynamodb:ap-southeast-2:000000000000:table/boto_orders")

        table.put_item(Item={"customer": "c1", "order": 1, "total": decimal.Decimal("12.50"),
                             "items": ["apple", {"sku": "x", "qty": 2}], "paid": True, "note": None,
                             "labels": {"new", "gift"}, "blob": b"\x00\x01"})
        item = table.get_item(Key={"customer": "c1", "order": 1})["Item"]
        c.eq("decimal", item["total"], decimal.Decimal("12.5"))
        c.eq("list", item["items"], ["apple", {"sku": "x", "qty": 2}])
        c.eq("bool", item["paid"], True)
        c.eq("null", item["note"], None)
        c.eq("set", item["labels"], {"new", "gift"})
        c.eq("binary", bytes(item["blob"]), b"\x00\x01")

        proj = table.get_item(Key={"customer": "c1", "order": 1}, ProjectionExpression="#i[1].sku, #t",
                              ExpressionAttributeNames={"#i": "items", "#t": "total"})["Item"]
        c.eq("projection", proj, {"items": [{"sku": "x"}], "total": decimal.Decimal("12.5")})

        out = table.update_item(Key={"customer": "c1", "order": 1},
                                UpdateExpression="SET #t = #t + :d REMOVE note ADD labels :l",
                                ExpressionAttributeNames={"#t": "total"},
                                ExpressionAttributeValues={":d": decimal.Decimal("0.25"), ":l": {"vip"}},
                                ReturnValues="ALL_NEW")["Attributes"]
        c.eq("update total", out["total"], decimal.Decimal("12.75"))
        c.eq("update set", out["labels"], {"new", "gift", "vip"})
        c.eq("update remove", "note" in out, False)

        c.raises("condition", lambda: table.put_item(Item={"customer": "c1", "order": 1},
                                                     ConditionExpression=Attr("customer").not_exists()),
                 "ConditionalCheckFailedException", "The conditional request failed")
        c.raises("missing key", lambda: table.get_item(Key={"customer": "c1"}),
                 "ValidationException", "The provided key element does not match the schema")
        c.raises("unknown table", lambda: client.describe_table(TableName="nope_table"),
                 "ResourceNotFoundException", "Requested resource not found: Table: nope_table not found")
        c.raises("reserved word", lambda: table.update_item(Key={"customer": "c1", "order": 1},
                                                            UpdateExpression="SET name = :v",
                                                            ExpressionAttributeValues={":v": "x"}),
                 "ValidationException",
                 "1 validation error detected: Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name")

        old = table.delete_item(Key={"customer": "c1", "order": 1}, ReturnValues="ALL_OLD")["Attributes"]
        c.eq("delete returns", old["total"], decimal.Decimal("12.75"))
        c.eq("deleted", "Item" in table.get_item(Key={"customer": "c1", "order": 1}), False)

        # Query, Scan, batches and transactions through boto3's resource API.
        with table.batch_writer() as batch:
            for i in range(1, 31):
                batch.put_item(Item={"customer": "c2", "order": i, "total": decimal.Decimal(i)})
        q = table.query(KeyConditionExpression=Key("customer").eq("c2") & Key("order").between(5, 9),
                        ScanIndexForward=False)
        c.eq("query between desc", [int(it["order"]) for it in q["Items"]], [9, 8, 7, 6, 5])
        q = table.query(KeyConditionExpression=Key("customer").eq("c2"), FilterExpression=Attr("total").gt(25),
                        Limit=28)
        c.eq("query filter count", (q["Count"], q["ScannedCount"]), (3, 28))
        c.eq("query last key", q["LastEvaluatedKey"], {"customer": "c2", "order": 28})
        seen = 0
        for seg in range(3):
            kwargs = {"Segment": seg, "TotalSegments": 3}
            while True:
                page = table.scan(**kwargs)
                seen += page["Count"]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        c.eq("parallel scan", seen, 30)
        got = res.batch_get_item(RequestItems={"boto_orders": {"Keys": [{"customer": "c2", "order": 1},
                                                                          {"customer": "c2", "order": 2}]}})
        c.eq("batch get", sorted(int(it["order"]) for it in got["Responses"]["boto_orders"]), [1, 2])
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "boto_orders", "Key": {"customer": {"S": "c2"}, "order": {"N": "1"}},
                        "UpdateExpression": "SET #t = #t - :x", "ConditionExpression": "#t >= :x",
                        "ExpressionAttributeNames": {"#t": "total"}, "ExpressionAttributeValues": {":x": {"N": "1"}}}},
            {"Update": {"TableName": "boto_orders", "Key": {"customer": {"S": "c2"}, "order": {"N": "2"}},
                        "UpdateExpression": "SET #t = #t + :x",
                        "ExpressionAttributeNames": {"#t": "total"}, "ExpressionAttributeValues": {":x": {"N": "1"}}}}])
        c.eq("transaction applied", int(table.get_item(Key={"customer": "c2", "order": 2})["Item"]["total"]), 3)
        try:
            client.transact_write_items(TransactItems=[
                {"ConditionCheck": {"TableName": "boto_orders", "Key": {"customer": {"S": "c2"}, "order": {"N": "1"}},
                                    "ConditionExpression": "attribute_not_exists(customer)"}},
                {"Delete": {"TableName": "boto_orders", "Key": {"customer": {"S": "c2"}, "order": {"N": "2"}}}}])
            c.eq("transaction cancelled", "no error", "TransactionCanceledException")
        except ClientError as e:
            c.eq("transaction cancelled", e.response["Error"]["Code"], "TransactionCanceledException")
            c.eq("cancellation reasons", [r["Code"] for r in e.response["CancellationReasons"]],
                 ["ConditionalCheckFailed", "None"])
        rows = client.execute_statement(Statement='SELECT "order" FROM "boto_orders" WHERE customer = ? AND "order" < 3',
                                        Parameters=[{"S": "c2"}])["Items"]
        c.eq("partiql select", sorted(int(r["order"]["N"]) for r in rows), [1, 2])
        for i in range(1, 31):
            table.delete_item(Key={"customer": "c2", "order": i})

        if os.environ.get("DYNAX_VIA") == "serve":
            check_cache_hits(c, client)
        check_streams_and_ttl(c, session, client, endpoint)
        check_backups(c, client)
        check_auth(c, binary, tmp)
        check_capacity(c, binary, tmp)

        c.eq("list tables", client.list_tables()["TableNames"], ["boto_orders"])
        table.delete()
        c.eq("no tables", client.list_tables()["TableNames"], [])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"boto3: {c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
