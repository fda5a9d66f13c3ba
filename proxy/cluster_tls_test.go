package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/store"
)

// selfSigned returns a server configuration with a fresh certificate for
// 127.0.0.1 and a client configuration trusting only it.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, &tls.Config{RootCAs: pool}
}

// TestClusterPeerTLS runs a two-member cluster whose peer ports speak TLS:
// reads are forwarded to the owner over it, and a plain-HTTP request
// gets nothing from a TLS peer port.
func TestClusterPeerTLS(t *testing.T) {
	e, err := cluster.StartEtcd(cluster.EtcdOptions{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	node, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	ce := &clusterEnv{t: t, etcd: e, node: node, ttl: 3 * time.Second}
	ce.tls, ce.clientTLS = selfSigned(t)
	ce.add("t1")
	ce.add("t2")
	ce.settle()
	ce.createTable("tlsitems")
	forwarded := 0
	for i := 0; i < 20; i++ {
		pk := fmt.Sprintf("k%d", i)
		ce.post(ce.nodes[0], "PutItem", `{"TableName":"tlsitems","Item":{"pk":{"S":"`+pk+`"}}}`)
		own := ce.owner(itemKey("tlsitems", pk))
		for _, via := range ce.nodes {
			r := ce.post(via, "GetItem", `{"TableName":"tlsitems","Key":{"pk":{"S":"`+pk+`"}}}`)
			if r.Header.Get(hdrOwner) != own.id || len(itemOf(t, r.Body)) != 1 {
				t.Fatalf("GetItem %s via %s: owner %q (want %s) %s", pk, via.id, r.Header.Get(hdrOwner), own.id, r.Body)
			}
			if via != own {
				forwarded++
			}
		}
	}
	if forwarded == 0 || ce.nodes[0].p.cl.forwarded.Load()+ce.nodes[1].p.cl.forwarded.Load() == 0 {
		t.Fatal("no read was forwarded over the TLS peer port")
	}
	if _, err := cluster.Health(t.Context(), ce.nodes[1].cn.PeerAddr, time.Second); err == nil {
		t.Fatal("a plain-HTTP health check of a TLS peer port succeeded")
	}
}
