package store

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/cryptfs"
)

// TestSSESealsTableItems checks that SSESpecification is applied: with a
// keyring, a KMS-encrypted table's items, index entries and change
// records are sealed on disk (the raw files hold none of their bytes)
// while a table without SSE is stored as is (so the test can see
// plaintext); the sealed items read back through GetItem, Query on the
// index and Scan, also after a restart with the same keys.
func TestSSESealsTableItems(t *testing.T) {
	keyB := bytes.Repeat([]byte{7}, 32)
	kr, err := cryptfs.NewKeyring(bytes.Repeat([]byte{3}, 32), map[string][]byte{"arn:aws:kms:us-east-1:000000000000:key/b": keyB})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts := Options{Dir: dir, Keyring: kr, Logger: slog.New(slog.DiscardHandler)}
	ts := newTestServerOpts(t, opts)
	c, ctx := ts.Client, context.Background()
	mk := func(name string, sse *types.SSESpecification) {
		if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest, SSESpecification: sse,
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byg"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
			StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		}); err != nil {
			t.Fatal(err)
		}
	}
	mk("sealed", &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String("arn:aws:kms:us-east-1:000000000000:key/b")})
	mk("plain", nil)
	put := func(table, v string) {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "k"}, "g": &types.AttributeValueMemberS{Value: "G"}, "v": &types.AttributeValueMemberS{Value: v}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("sealed", "SEALED-MARKER-41c7")
	put("sealed", "SEALED-MARKER-41c8") // an update: the change record holds both images
	put("plain", "PLAIN-MARKER-93ab")

	read := func(c *dynamodb.Client) {
		t.Helper()
		g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sealed"), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}})
		if err != nil || g.Item["v"].(*types.AttributeValueMemberS).Value != "SEALED-MARKER-41c8" {
			t.Fatalf("GetItem: %v %v", g, err)
		}
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("sealed"), IndexName: aws.String("byg"),
			KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberS{Value: "G"}}})
		if err != nil || len(q.Items) != 1 || q.Items[0]["v"].(*types.AttributeValueMemberS).Value != "SEALED-MARKER-41c8" {
			t.Fatalf("index Query: %v %v", q, err)
		}
		s, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("sealed")})
		if err != nil || len(s.Items) != 1 {
			t.Fatalf("Scan: %v %v", s, err)
		}
	}
	read(c)
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("sealed")})
	if err != nil || d.Table.SSEDescription == nil || *d.Table.SSEDescription.KMSMasterKeyArn != "arn:aws:kms:us-east-1:000000000000:key/b" {
		t.Fatalf("SSEDescription: %+v %v", d, err)
	}

	// The raw files: the plain table's value is there, the sealed one's not.
	raw := func() []byte {
		var all []byte
		_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				all = append(all, b...)
			}
			return nil
		})
		return all
	}
	files := raw()
	if !bytes.Contains(files, []byte("PLAIN-MARKER-93ab")) {
		t.Fatal("the plain table's value is not in the files: the check below could not see plaintext")
	}
	if bytes.Contains(files, []byte("SEALED-MARKER")) {
		t.Fatal("a KMS-encrypted table's value is stored in plaintext")
	}

	// After a restart with the same keys everything reads back.
	ts.Node.Close()
	ts2 := newTestServerOpts(t, opts)
	read(ts2.Client)
}
