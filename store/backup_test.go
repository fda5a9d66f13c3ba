package store

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// backupTableWithIndex creates table name (pk S) with a GSI "byv" on v (N).
func backupTableWithIndex(t *testing.T, ts *testServer, name string) {
	t.Helper()
	itemsCreateTable(t, ts, name, []string{"pk:S"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("v"), AttributeType: types.ScalarAttributeTypeN})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("byv"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("v"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}
	})
}

func backupPut(t *testing.T, ts *testServer, table, pk string, v int) {
	t.Helper()
	if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberN{Value: strconv.Itoa(v)}}}); err != nil {
		t.Fatalf("PutItem %s %s: %v", table, pk, err)
	}
}

func backupDelete(t *testing.T, ts *testServer, table, pk string) {
	t.Helper()
	if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}}}); err != nil {
		t.Fatalf("DeleteItem %s %s: %v", table, pk, err)
	}
}

// tableState returns "pk=v" of every item of table, sorted, read with a
// consistent scan.
func tableState(t *testing.T, ts *testServer, table string) []string {
	t.Helper()
	var out []string
	var start map[string]types.AttributeValue
	for {
		page, err := ts.Client.Scan(bg, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("Scan %s: %v", table, err)
		}
		for _, it := range page.Items {
			out = append(out, it["pk"].(*types.AttributeValueMemberS).Value+"="+it["v"].(*types.AttributeValueMemberN).Value)
		}
		if page.LastEvaluatedKey == nil {
			break
		}
		start = page.LastEvaluatedKey
	}
	sort.Strings(out)
	return out
}

// indexState returns the pks the GSI byv holds for v, sorted.
func indexState(t *testing.T, ts *testServer, table string, v int) []string {
	t.Helper()
	out, err := ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("byv"),
		KeyConditionExpression:    aws.String("v = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(v)}}})
	if err != nil {
		t.Fatalf("Query %s byv: %v", table, err)
	}
	var pks []string
	for _, it := range out.Items {
		pks = append(pks, it["pk"].(*types.AttributeValueMemberS).Value)
	}
	sort.Strings(pks)
	return pks
}

func waitBackupAvailable(t *testing.T, ts *testServer, arn string) *types.BackupDescription {
	t.Helper()
	for i := 0; i < 500; i++ {
		out, err := ts.Client.DescribeBackup(bg, &dynamodb.DescribeBackupInput{BackupArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeBackup: %v", err)
		}
		if out.BackupDescription.BackupDetails.BackupStatus == types.BackupStatusAvailable {
			return out.BackupDescription
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("backup %s never became AVAILABLE", arn)
	return nil
}

func waitTableActive(t *testing.T, ts *testServer, name string) *types.TableDescription {
	t.Helper()
	for i := 0; i < 500; i++ {
		out, err := ts.Client.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTable %s: %v", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return out.Table
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("table %s never became ACTIVE", name)
	return nil
}

func TestBackupAndRestore(t *testing.T) {
	ts := newTestServer(t)
	backupTableWithIndex(t, ts, "bkp")
	for i := 0; i < 1200; i++ { // more than one copy chunk
		backupPut(t, ts, "bkp", fmt.Sprintf("k%04d", i), i%7)
	}
	out, err := ts.Client.CreateBackup(bg, &dynamodb.CreateBackupInput{TableName: aws.String("bkp"), BackupName: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	d := out.BackupDetails
	arn := aws.ToString(d.BackupArn)
	if !strings.HasPrefix(arn, "arn:aws:dynamodb:us-east-1:000000000000:table/bkp/backup/") || len(arn) != len("arn:aws:dynamodb:us-east-1:000000000000:table/bkp/backup/")+26 {
		t.Errorf("BackupArn %q", arn)
	}
	if aws.ToString(d.BackupName) != "first" || d.BackupType != types.BackupTypeUser {
		t.Errorf("details %+v", d)
	}
	// Writes after CreateBackup answered are not in the backup.
	backupPut(t, ts, "bkp", "k0000", 100)
	backupPut(t, ts, "bkp", "late", 3)
	backupDelete(t, ts, "bkp", "k0001")

	desc := waitBackupAvailable(t, ts, arn)
	if got := aws.ToInt64(desc.SourceTableDetails.ItemCount); got != 1200 {
		t.Errorf("backup ItemCount %d, want 1200", got)
	}
	if aws.ToInt64(desc.BackupDetails.BackupSizeBytes) <= 0 || aws.ToInt64(desc.SourceTableDetails.TableSizeBytes) != aws.ToInt64(desc.BackupDetails.BackupSizeBytes) {
		t.Errorf("sizes: backup %d table %d", aws.ToInt64(desc.BackupDetails.BackupSizeBytes), aws.ToInt64(desc.SourceTableDetails.TableSizeBytes))
	}
	if f := desc.SourceTableFeatureDetails; len(f.GlobalSecondaryIndexes) != 1 || aws.ToString(f.GlobalSecondaryIndexes[0].IndexName) != "byv" || f.StreamDescription == nil {
		t.Errorf("feature details %+v", f)
	}
	if desc.SourceTableDetails.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %q", desc.SourceTableDetails.BillingMode)
	}

	rt, err := ts.Client.RestoreTableFromBackup(bg, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("bkp2"), BackupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if rs := rt.TableDescription.RestoreSummary; rs == nil || aws.ToString(rs.SourceBackupArn) != arn || !aws.ToBool(rs.RestoreInProgress) {
		t.Errorf("RestoreSummary %+v", rs)
	}
	if rt.TableDescription.TableStatus != types.TableStatusCreating {
		t.Errorf("restored table status %s, want CREATING", rt.TableDescription.TableStatus)
	}
	td := waitTableActive(t, ts, "bkp2")
	if td.StreamSpecification != nil || td.LatestStreamArn != nil {
		t.Errorf("a restore must not restore the stream: %+v", td.StreamSpecification)
	}
	if aws.ToBool(td.RestoreSummary.RestoreInProgress) || aws.ToInt64(td.ItemCount) != 1200 {
		t.Errorf("after restore: in progress %v, ItemCount %d", aws.ToBool(td.RestoreSummary.RestoreInProgress), aws.ToInt64(td.ItemCount))
	}
	var want []string
	for i := 0; i < 1200; i++ {
		want = append(want, fmt.Sprintf("k%04d=%d", i, i%7))
	}
	sort.Strings(want)
	if got := tableState(t, ts, "bkp2"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("restored items differ: %d items, first %v", len(got), got[:min(3, len(got))])
	}
	// The GSI is rebuilt: v=0 holds k0000, k0007, … (1200/7 rounded up).
	if got := indexState(t, ts, "bkp2", 0); len(got) != 172 || got[0] != "k0000" || got[1] != "k0007" {
		t.Errorf("restored index v=0: %d entries, %v…", len(got), got[:min(2, len(got))])
	}
	// The source is untouched by the restore.
	if got := indexState(t, ts, "bkp", 100); len(got) != 1 || got[0] != "k0000" {
		t.Errorf("source index v=100: %v", got)
	}

	// The backup outlives its table.
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("bkp")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.RestoreTableFromBackup(bg, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("bkp"), BackupArn: aws.String(arn),
		BillingModeOverride: types.BillingModeProvisioned, ProvisionedThroughputOverride: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)},
		GlobalSecondaryIndexOverride: []types.GlobalSecondaryIndex{}}); err != nil {
		t.Fatal(err)
	}
	td = waitTableActive(t, ts, "bkp")
	if len(td.GlobalSecondaryIndexes) != 0 || aws.ToInt64(td.ProvisionedThroughput.ReadCapacityUnits) != 3 || aws.ToInt64(td.ItemCount) != 1200 {
		t.Errorf("overrides: %d GSIs, RCU %d, %d items", len(td.GlobalSecondaryIndexes), aws.ToInt64(td.ProvisionedThroughput.ReadCapacityUnits), aws.ToInt64(td.ItemCount))
	}

	del, err := ts.Client.DeleteBackup(bg, &dynamodb.DeleteBackupInput{BackupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if del.BackupDescription.BackupDetails.BackupStatus != types.BackupStatusDeleted {
		t.Errorf("DeleteBackup status %s", del.BackupDescription.BackupDetails.BackupStatus)
	}
	_, err = ts.Client.DescribeBackup(bg, &dynamodb.DescribeBackupInput{BackupArn: aws.String(arn)})
	wantErr(t, err, "BackupNotFoundException", "Backup not found: "+arn)
}

func TestBackupErrors(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "bke", []string{"pk:S"})
	itemsCreateTable(t, ts, "taken", []string{"pk:S"})
	f := func(op, body string, status int, wantType, wantMsg string) {
		t.Helper()
		st, typ, msg, _ := ctlRaw(t, ts.URL, op, body)
		if st != status || typ != wantType || msg != wantMsg {
			t.Errorf("%s %s\n got %d %s %q\nwant %d %s %q", op, body, st, typ, msg, status, wantType, wantMsg)
		}
	}
	const missing = "arn:aws:dynamodb:us-east-1:000000000000:table/bke/backup/01764680000000-00000000"
	f("CreateBackup", `{"TableName":"nope","BackupName":"bk1"}`, 400, "TableNotFoundException", "Table not found: nope")
	f("CreateBackup", `{"TableName":"bke"}`, 400, "ValidationException",
		"1 validation error detected: Value null at 'backupName' failed to satisfy constraint: Member must not be null")
	f("CreateBackup", `{"TableName":"bke","BackupName":"a b"}`, 400, "ValidationException",
		"1 validation error detected: Value 'a b' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	f("DescribeBackup", `{"BackupArn":"`+missing+`"}`, 400, "BackupNotFoundException", "Backup not found: "+missing)
	f("DeleteBackup", `{"BackupArn":"`+missing+`"}`, 400, "BackupNotFoundException", "Backup not found: "+missing)
	f("DescribeBackup", `{"BackupArn":"short"}`, 400, "ValidationException",
		"1 validation error detected: Value 'short' at 'backupArn' failed to satisfy constraint: Member must have length greater than or equal to 37")
	f("RestoreTableFromBackup", `{"TargetTableName":"xx1","BackupArn":"`+missing+`"}`, 400, "BackupNotFoundException", "Backup not found: "+missing)
	f("ListBackups", `{"BackupType":"SOME"}`, 400, "ValidationException",
		"1 validation error detected: Value 'SOME' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
	f("ListBackups", `{"Limit":0}`, 400, "ValidationException",
		"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")

	out, err := ts.Client.CreateBackup(bg, &dynamodb.CreateBackupInput{TableName: aws.String("bke"), BackupName: aws.String("bk1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.BackupDetails.BackupArn)
	waitBackupAvailable(t, ts, arn)
	f("RestoreTableFromBackup", `{"TargetTableName":"taken","BackupArn":"`+arn+`"}`, 400, "TableAlreadyExistsException", "Table already exists: taken")
	f("DescribeContinuousBackups", `{"TableName":"nope"}`, 400, "TableNotFoundException", "Table not found: nope")
	f("RestoreTableToPointInTime", `{"SourceTableName":"bke","TargetTableName":"xx2","UseLatestRestorableTime":true}`, 400,
		"PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'bke'")
	f("RestoreTableToPointInTime", `{"SourceTableName":"nope","TargetTableName":"xx2","UseLatestRestorableTime":true}`, 400,
		"TableNotFoundException", "Table not found: nope")
	f("UpdateContinuousBackups", `{"TableName":"bke"}`, 400, "ValidationException",
		"1 validation error detected: Value null at 'pointInTimeRecoverySpecification' failed to satisfy constraint: Member must not be null")
	f("UpdateContinuousBackups", `{"TableName":"bke","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true,"RecoveryPeriodInDays":36}}`, 400, "ValidationException",
		"1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35")
}

func TestListBackups(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "lsa", []string{"pk:S"})
	itemsCreateTable(t, ts, "lsb", []string{"pk:S"})
	var arns []string
	for i, table := range []string{"lsa", "lsb", "lsa"} {
		out, err := ts.Client.CreateBackup(bg, &dynamodb.CreateBackupInput{TableName: aws.String(table), BackupName: aws.String(fmt.Sprintf("bak%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, aws.ToString(out.BackupDetails.BackupArn))
		waitBackupAvailable(t, ts, arns[i])
		time.Sleep(5 * time.Millisecond) // distinct creation times
	}
	list := func(in *dynamodb.ListBackupsInput) ([]string, string) {
		t.Helper()
		out, err := ts.Client.ListBackups(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range out.BackupSummaries {
			names = append(names, aws.ToString(s.BackupName))
		}
		return names, aws.ToString(out.LastEvaluatedBackupArn)
	}
	if got, last := list(&dynamodb.ListBackupsInput{}); strings.Join(got, ",") != "bak0,bak1,bak2" || last != "" {
		t.Errorf("all: %v %q", got, last)
	}
	if got, _ := list(&dynamodb.ListBackupsInput{TableName: aws.String("lsa")}); strings.Join(got, ",") != "bak0,bak2" {
		t.Errorf("table la: %v", got)
	}
	got, last := list(&dynamodb.ListBackupsInput{Limit: aws.Int32(2)})
	if strings.Join(got, ",") != "bak0,bak1" || last != arns[1] {
		t.Errorf("page 1: %v %q", got, last)
	}
	if got, last := list(&dynamodb.ListBackupsInput{Limit: aws.Int32(2), ExclusiveStartBackupArn: aws.String(last)}); strings.Join(got, ",") != "bak2" || last != "" {
		t.Errorf("page 2: %v %q", got, last)
	}
	if got, _ := list(&dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterSystem}); len(got) != 0 {
		t.Errorf("system: %v", got)
	}
	d, err := ts.Client.DescribeBackup(bg, &dynamodb.DescribeBackupInput{BackupArn: aws.String(arns[1])})
	if err != nil {
		t.Fatal(err)
	}
	created := *d.BackupDescription.BackupDetails.BackupCreationDateTime
	if got, _ := list(&dynamodb.ListBackupsInput{TimeRangeLowerBound: aws.Time(created)}); strings.Join(got, ",") != "bak1,bak2" {
		t.Errorf("from b1's time: %v", got)
	}
	if got, _ := list(&dynamodb.ListBackupsInput{TimeRangeUpperBound: aws.Time(created)}); strings.Join(got, ",") != "bak0,bak1" {
		t.Errorf("up to b1's time: %v", got)
	}
}

func TestBackupSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerOpts(t, Options{Dir: dir, NoSync: true})
	itemsCreateTable(t, ts, "brs", []string{"pk:S"})
	for i := 0; i < 10; i++ {
		if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("brs"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}, "v": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := ts.Client.CreateBackup(bg, &dynamodb.CreateBackupInput{TableName: aws.String("brs"), BackupName: aws.String("keep")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.BackupDetails.BackupArn)
	waitBackupAvailable(t, ts, arn)
	if err := ts.Node.Close(); err != nil {
		t.Fatal(err)
	}
	ts2 := newTestServerOpts(t, Options{Dir: dir, NoSync: true})
	d := waitBackupAvailable(t, ts2, arn)
	if aws.ToInt64(d.SourceTableDetails.ItemCount) != 10 {
		t.Errorf("ItemCount after restart %d", aws.ToInt64(d.SourceTableDetails.ItemCount))
	}
	if _, err := ts2.Client.RestoreTableFromBackup(bg, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("brs2"), BackupArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if td := waitTableActive(t, ts2, "brs2"); aws.ToInt64(td.ItemCount) != 10 {
		t.Errorf("restored %d items", aws.ToInt64(td.ItemCount))
	}
}

// TestPITRExactness writes, deletes and overwrites items while noting the
// acknowledged state at chosen instants, then restores to each instant and
// compares items and index entries with the noted state.
func TestPITRExactness(t *testing.T) {
	ts := newTestServer(t)
	backupTableWithIndex(t, ts, "pit")
	backupPut(t, ts, "pit", "before", 1) // present before PITR: in the first base
	out, err := ts.Client.UpdateContinuousBackups(bg, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("pit"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(7)}})
	if err != nil {
		t.Fatal(err)
	}
	p := out.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled || aws.ToInt32(p.RecoveryPeriodInDays) != 7 || p.EarliestRestorableDateTime == nil {
		t.Fatalf("PITR description %+v", p)
	}
	// The window opens at the next whole second.
	time.Sleep(time.Until(*p.EarliestRestorableDateTime) + 5*time.Millisecond)
	state := map[string]int{"before": 1}
	type mark struct {
		at   time.Time
		want []string
	}
	var marks []mark
	snapshot := func() {
		time.Sleep(3 * time.Millisecond) // the instant lies strictly between writes
		var w []string
		for k, v := range state {
			w = append(w, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(w)
		marks = append(marks, mark{time.Now(), w})
		time.Sleep(3 * time.Millisecond)
	}
	snapshot()
	// Four writers at a time, each on its own keys (so the acknowledged
	// state after a round is known), with the marks between rounds.
	var mu sync.Mutex
	for round := 0; round < 4; round++ {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 12; i++ {
					k := fmt.Sprintf("k%d_%d", w, (i*7+round*3)%6)
					if (i+round+w)%5 == 4 {
						backupDelete(t, ts, "pit", k)
						mu.Lock()
						delete(state, k)
						mu.Unlock()
						continue
					}
					v := (i + round + w) % 4
					backupPut(t, ts, "pit", k, v)
					mu.Lock()
					state[k] = v
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		snapshot()
	}
	for i, m := range marks {
		target := fmt.Sprintf("pit_r%d", i)
		if _, err := ts.Client.RestoreTableToPointInTime(bg, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("pit"),
			TargetTableName: aws.String(target), RestoreDateTime: aws.Time(m.at)}); err != nil {
			t.Fatalf("restore to mark %d: %v", i, err)
		}
		waitTableActive(t, ts, target)
		if got := tableState(t, ts, target); strings.Join(got, ",") != strings.Join(m.want, ",") {
			t.Errorf("mark %d:\n got %v\nwant %v", i, got, m.want)
		}
		for v := 0; v < 4; v++ {
			var want []string
			for _, kv := range m.want {
				k, val, _ := strings.Cut(kv, "=")
				if val == strconv.Itoa(v) {
					want = append(want, k)
				}
			}
			if got := indexState(t, ts, target, v); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("mark %d index v=%d:\n got %v\nwant %v", i, v, got, want)
			}
		}
	}
	// The latest restorable time gives the current state.
	if _, err := ts.Client.RestoreTableToPointInTime(bg, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("pit"),
		TargetTableName: aws.String("pit_latest"), UseLatestRestorableTime: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waitTableActive(t, ts, "pit_latest")
	if got, want := tableState(t, ts, "pit_latest"), tableState(t, ts, "pit"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("latest:\n got %v\nwant %v", got, want)
	}
	// Before the window: InvalidRestoreTimeException.
	_, err = ts.Client.RestoreTableToPointInTime(bg, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String("pit"),
		TargetTableName: aws.String("pit_old"), RestoreDateTime: aws.Time(marks[0].at.Add(-time.Hour))})
	wantErr(t, err, "InvalidRestoreTimeException", "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.")

	// Deleting a PITR table leaves the system backup.
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("pit")}); err != nil {
		t.Fatal(err)
	}
	lb, err := ts.Client.ListBackups(bg, &dynamodb.ListBackupsInput{BackupType: types.BackupTypeFilterSystem})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.BackupSummaries) != 1 || aws.ToString(lb.BackupSummaries[0].BackupName) != "pit$DeletedTableBackup" || lb.BackupSummaries[0].BackupExpiryDateTime == nil {
		t.Fatalf("system backups: %+v", lb.BackupSummaries)
	}
	sys := aws.ToString(lb.BackupSummaries[0].BackupArn)
	waitBackupAvailable(t, ts, sys)
	if _, err := ts.Client.RestoreTableFromBackup(bg, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("pit_back"), BackupArn: aws.String(sys)}); err != nil {
		t.Fatal(err)
	}
	waitTableActive(t, ts, "pit_back")
	if got, want := tableState(t, ts, "pit_back"), tableState(t, ts, "pit_latest"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("deleted-table backup:\n got %v\nwant %v", got, want)
	}
}

func TestContinuousBackupsLifecycle(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "cbk", []string{"pk:S"})
	d, err := ts.Client.DescribeContinuousBackups(bg, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("cbk")})
	if err != nil {
		t.Fatal(err)
	}
	if d.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled {
		t.Errorf("new table: %+v", d.ContinuousBackupsDescription)
	}
	on := func(enabled bool) *types.ContinuousBackupsDescription {
		t.Helper()
		out, err := ts.Client.UpdateContinuousBackups(bg, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("cbk"),
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(enabled)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.ContinuousBackupsDescription
	}
	c := on(true)
	p := c.PointInTimeRecoveryDescription
	if c.ContinuousBackupsStatus != types.ContinuousBackupsStatusEnabled || aws.ToInt32(p.RecoveryPeriodInDays) != 35 ||
		p.EarliestRestorableDateTime == nil || p.LatestRestorableDateTime == nil || p.LatestRestorableDateTime.Before(*p.EarliestRestorableDateTime) {
		t.Errorf("enabled: %+v %+v", c, p)
	}
	first := *p.EarliestRestorableDateTime
	time.Sleep(20 * time.Millisecond)
	if p := on(true).PointInTimeRecoveryDescription; !p.EarliestRestorableDateTime.Equal(first) {
		t.Errorf("enabling again moved the earliest time: %v → %v", first, *p.EarliestRestorableDateTime)
	}
	if p := on(false).PointInTimeRecoveryDescription; p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled || p.EarliestRestorableDateTime != nil {
		t.Errorf("disabled: %+v", p)
	}
	if got := len(ts.Node.backups.basesOf(mustTable(t, ts, "cbk").ID)); got != 0 {
		t.Errorf("%d bases left after disabling", got)
	}
	time.Sleep(time.Until(first) + 20*time.Millisecond)
	if p := on(true).PointInTimeRecoveryDescription; !p.EarliestRestorableDateTime.After(first) {
		t.Errorf("re-enabling must reset the earliest time: %v, first %v", *p.EarliestRestorableDateTime, first)
	}
}

func mustTable(t *testing.T, ts *testServer, name string) *Table {
	t.Helper()
	tb, ok := ts.Node.cat.get(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tb
}

// TestBackupInProgress holds a backup's copy and checks what DynamoDB
// refuses meanwhile: deleting the table, deleting or restoring the backup.
func TestBackupInProgress(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "busy", []string{"pk:S"})
	backupCopyGate = make(chan struct{})
	t.Cleanup(func() { backupCopyGate = nil })
	out, err := ts.Client.CreateBackup(bg, &dynamodb.CreateBackupInput{TableName: aws.String("busy"), BackupName: aws.String("held")})
	if err != nil {
		t.Fatal(err)
	}
	if out.BackupDetails.BackupStatus != types.BackupStatusCreating || out.BackupDetails.BackupSizeBytes != nil {
		t.Errorf("a held backup: %s, size %v", out.BackupDetails.BackupStatus, out.BackupDetails.BackupSizeBytes)
	}
	arn := aws.ToString(out.BackupDetails.BackupArn)
	_, err = ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("busy")})
	wantErr(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being backed up: busy")
	const inUse = "There is another ongoing conflicting backup control plane operation on the table. The backup is either being created, deleted or restored to a table."
	_, err = ts.Client.DeleteBackup(bg, &dynamodb.DeleteBackupInput{BackupArn: aws.String(arn)})
	wantErr(t, err, "BackupInUseException", inUse)
	_, err = ts.Client.RestoreTableFromBackup(bg, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("busy2"), BackupArn: aws.String(arn)})
	wantErr(t, err, "BackupInUseException", inUse)
	close(backupCopyGate)
	waitBackupAvailable(t, ts, arn)
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("busy")}); err != nil {
		t.Fatalf("DeleteTable once the backup is done: %v", err)
	}
}
