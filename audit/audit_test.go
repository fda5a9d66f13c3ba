package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// serve starts a real store behind a wire server auditing into path, with
// --auth sigv4 for one user, and returns an SDK client.
func serve(t *testing.T, path string, data bool) (*dynamodb.Client, *Log) {
	t.Helper()
	users, err := auth.ParseUsers([]byte(`{"users":[{"accessKeyId":"AKIDAUDIT","secretAccessKey":"s","arn":"arn:aws:iam::000000000000:user/auditor"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	n, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Users: users, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(Options{Path: path, DataPlane: data})
	if err != nil {
		t.Fatal(err)
	}
	srv := wire.NewServer(n, quiet)
	srv.Verifier, srv.Audit = n.Verifier(), l
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Shutdown()
		_ = l.Close()
		_ = n.Close()
	})
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + ln.Addr().String()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "s", ""), HTTPClient: &http.Client{Transport: tr}})
	return c, l
}

func readEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// TestAuditLog checks the CloudTrail-shaped events of control-plane calls
// (success and failure), that data-plane calls are left out by default,
// and that with DataPlane they carry the table and key but no item values.
func TestAuditLog(t *testing.T) {
	for _, data := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "audit.log")
		c, l := serve(t, path, data)
		ctx := context.Background()
		if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("aud"), BillingMode: types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("aud"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "k1"}, "secret": &types.AttributeValueMemberS{Value: "do-not-log"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("aud"), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "k1"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")}); err == nil {
			t.Fatal("DescribeTable of a missing table succeeded")
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		evs := readEvents(t, path)
		names := []string{}
		for _, e := range evs {
			names = append(names, e["eventName"].(string))
			for _, k := range []string{"eventTime", "eventSource", "userIdentity", "requestParameters", "requestID", "eventID", "awsRegion", "sourceIPAddress"} {
				if _, ok := e[k]; !ok {
					t.Errorf("event %v lacks %s", e["eventName"], k)
				}
			}
			if id := e["userIdentity"].(map[string]any); id["arn"] != "arn:aws:iam::000000000000:user/auditor" || id["accessKeyId"] != "AKIDAUDIT" {
				t.Errorf("userIdentity %v", id)
			}
		}
		want := "CreateTable,DescribeTable"
		if data {
			want = "CreateTable,PutItem,GetItem,DescribeTable"
		}
		if got := strings.Join(names, ","); got != want {
			t.Fatalf("data plane %v: events %s, want %s", data, got, want)
		}
		last := evs[len(evs)-1]
		if last["errorCode"] != "ResourceNotFoundException" || !strings.Contains(last["errorMessage"].(string), "missing") {
			t.Errorf("failed call: %v", last)
		}
		if rp := evs[0]["requestParameters"].(map[string]any); rp["TableName"] != "aud" {
			t.Errorf("CreateTable requestParameters %v", rp)
		}
		raw, _ := os.ReadFile(path)
		if strings.Contains(string(raw), "do-not-log") {
			t.Errorf("an item value reached the audit log")
		}
		if data && !strings.Contains(string(raw), `"key":{"pk":{"S":"k1"}}`) {
			t.Errorf("the data event has no key: %s", raw)
		}
	}
}

// BenchmarkRecord measures what a call pays to record a control-plane
// event (the encoding and the write happen on the writer goroutine).
func BenchmarkRecord(b *testing.B) {
	l, err := Open(Options{Path: filepath.Join(b.TempDir(), "a.log"), Buffer: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "DescribeTable", Body: []byte(`{"TableName":"t"}`), Region: "us-east-1", RequestID: "r"}
	b.ReportAllocs()
	for b.Loop() {
		l.Record(req, "ua", nil)
	}
}
