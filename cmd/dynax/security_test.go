package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// writeCert generates a self-signed certificate for 127.0.0.1 and returns
// the paths of its PEM files and a pool trusting it.
func writeCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dynax test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

var secureEndpointRE = regexp.MustCompile(`(store_endpoint|endpoint)=(https?://127\.0\.0\.1:\d+)`)

// startSecure starts `dynax <cmd>` with extra flags and returns the
// endpoints it logs (endpoint, and store_endpoint for serve).
func startSecure(t *testing.T, bin string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	want := 1
	if args[0] == "serve" {
		want = 2
	}
	found := make(chan map[string]string, 1)
	go func() {
		got := map[string]string{}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			for _, m := range secureEndpointRE.FindAllStringSubmatch(sc.Text(), -1) {
				got[m[1]] = m[2]
			}
			if len(got) == want {
				found <- got
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case got := <-found:
		return got
	case <-time.After(30 * time.Second):
		t.Fatalf("dynax %s did not report its endpoints", args[0])
	}
	return nil
}

func tlsClient(url, key, secret string, pool *x509.CertPool) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}})
}

// TestTLSAndSigV4Processes runs `dynax store` and `dynax serve` as real
// processes with --tls-cert/--tls-key, --auth sigv4, --credentials and
// --audit-log, and talks to every listener over HTTPS with the AWS SDK:
// the right key works, a wrong secret and an unknown key get DynamoDB's
// errors, plain HTTP is refused, and the audit log records the calls.
func TestTLSAndSigV4Processes(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir)
	creds := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(creds, []byte(`{"users":[{"accessKeyId":"AKIDTLS","secretAccessKey":"tls-secret","arn":"arn:aws:iam::000000000000:user/tls"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--tls-cert", certFile, "--tls-key", keyFile, "--auth", "sigv4", "--credentials", creds}
	storeAudit := filepath.Join(dir, "store-audit.log")
	eps := startSecure(t, bin, append([]string{"store", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "s"), "--audit-log", storeAudit}, common...)...)
	serve := startSecure(t, bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0", "--etcd-listen", "",
		"--data-dir", filepath.Join(dir, "v")}, common...)...)
	ctx := context.Background()
	for i, url := range []string{eps["endpoint"], serve["endpoint"], serve["store_endpoint"]} {
		if !strings.HasPrefix(url, "https://") {
			t.Fatalf("endpoint %q is not https", url)
		}
		table := "tls" + string(rune('a'+i))
		c := tlsClient(url, "AKIDTLS", "tls-secret", pool)
		if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
			t.Fatalf("%s: CreateTable: %v", url, err)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}}); err != nil {
			t.Fatalf("%s: PutItem: %v", url, err)
		}
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
		if err != nil || out.Item == nil {
			t.Fatalf("%s: GetItem: %v %v", url, out, err)
		}
		for _, bad := range []struct{ key, secret, code string }{{"AKIDTLS", "wrong", "InvalidSignatureException"}, {"AKIDNOBODY", "x", "UnrecognizedClientException"}} {
			_, err := tlsClient(url, bad.key, bad.secret, pool).ListTables(ctx, &dynamodb.ListTablesInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != bad.code {
				t.Errorf("%s with key %s: %v, want %s", url, bad.key, err, bad.code)
			}
		}
		plain := strings.Replace(url, "https://", "http://", 1)
		if _, err := sdkClient(plain).ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
			t.Errorf("%s answered plain HTTP", plain)
		}
	}
	// The audit log is written in the background; give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(storeAudit)
		if strings.Contains(string(b), `"eventName":"CreateTable"`) && strings.Contains(string(b), `"arn":"arn:aws:iam::000000000000:user/tls"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store's audit log lacks the CreateTable call: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
