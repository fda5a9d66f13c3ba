package cluster

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// EtcdOptions configures an embedded single-node etcd.
type EtcdOptions struct {
	// Dir holds etcd's data. Required.
	Dir string
	// ClientAddr is the host:port etcd serves clients on. Default
	// 127.0.0.1:2379; port 0 picks a free port.
	ClientAddr string
	// PeerAddr is etcd's own raft peer address (unused by a single node
	// but required by etcd). Default 127.0.0.1:0 (a free port).
	PeerAddr string
	// StartTimeout bounds waiting for etcd to be ready. Default 30s.
	StartTimeout time.Duration
	// LogLevel is etcd's (zap) log level. Default "fatal": etcd's errors (shutdown noise included) stay quiet; clients see failures as errors.
	LogLevel string
}

// DefaultEtcdClientAddr is where `dynax serve` runs its etcd by default.
const DefaultEtcdClientAddr = "127.0.0.1:2379"

// Etcd is an embedded single-node etcd server.
type Etcd struct {
	e         *embed.Etcd
	endpoint  string
	ReadyTook time.Duration // time from start to ready
}

// StartEtcd starts an embedded single-node etcd on loopback and waits
// until it serves.
func StartEtcd(o EtcdOptions) (*Etcd, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: EtcdOptions.Dir is required", ErrBadOptions)
	}
	if o.ClientAddr == "" {
		o.ClientAddr = DefaultEtcdClientAddr
	}
	if o.PeerAddr == "" {
		o.PeerAddr = "127.0.0.1:0"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.LogLevel == "" {
		o.LogLevel = "fatal"
	}
	peer, err := freeAddr(o.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster: etcd peer address: %w", err)
	}
	start := time.Now()
	cfg := embed.NewConfig()
	cfg.Name = "dynax"
	cfg.Dir = o.Dir
	cfg.LogLevel = o.LogLevel
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{"stderr"}
	// A single voter on loopback: short ticks make the first election (and
	// so readiness) fast.
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	curl := url.URL{Scheme: "http", Host: o.ClientAddr}
	purl := url.URL{Scheme: "http", Host: peer}
	cfg.ListenClientUrls = []url.URL{curl}
	cfg.AdvertiseClientUrls = []url.URL{curl}
	cfg.ListenPeerUrls = []url.URL{purl}
	cfg.AdvertisePeerUrls = []url.URL{purl}
	cfg.InitialCluster = cfg.Name + "=" + purl.String()
	cfg.ListenMetricsUrls = nil
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: start etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("cluster: etcd failed: %w", err)
	case <-time.After(o.StartTimeout):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("cluster: etcd not ready after %v", o.StartTimeout)
	}
	addr := e.Clients[0].Addr().String()
	return &Etcd{e: e, endpoint: "http://" + addr, ReadyTook: time.Since(start)}, nil
}

// freeAddr resolves port 0 of addr to a free port.
func freeAddr(addr string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	a := ln.Addr().String()
	ln.Close()
	return a, nil
}

// Endpoint returns the client URL (http://host:port).
func (e *Etcd) Endpoint() string { return e.endpoint }

// Close stops etcd.
func (e *Etcd) Close() {
	e.e.Close()
}
