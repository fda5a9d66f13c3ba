package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestKillNineEncryptedStore runs `dynax store --kms-key-file`, kills it
// with SIGKILL after acknowledged writes, restarts it with the key and
// finds every write; the data directory holds none of the values in
// plaintext, and a restart without the key fails.
func TestKillNineEncryptedStore(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	proc, url := startStore(t, bin, dir, "--kms-key-file", keyFile)
	client := sdkClient(url)
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("vault"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
		t.Fatal(err)
	}
	const secret = "PLAINTEXTCANARY"
	for i := 0; i < 300; i++ {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("vault"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i)}, "v": &types.AttributeValueMemberS{Value: fmt.Sprintf("%s-%d", secret, i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the value in plaintext", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	proc, url = startStore(t, bin, dir, "--kms-key-file", keyFile)
	client = sdkClient(url)
	for i := 0; i < 300; i++ {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("vault"), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i)}}})
		if err != nil || out.Item == nil {
			t.Fatalf("k%d after kill -9: %v %v", i, out, err)
		}
		if v := out.Item["v"].(*types.AttributeValueMemberS).Value; v != fmt.Sprintf("%s-%d", secret, i) {
			t.Fatalf("k%d = %q", i, v)
		}
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	// Without the key the store does not open.
	cmd := exec.Command(bin, "store", "--listen", "127.0.0.1:0", "--data-dir", dir)
	done := make(chan error, 1)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("the store opened without its key and exited 0: %s", outb.String())
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the store kept running without its key: %s", outb.String())
	}
}
