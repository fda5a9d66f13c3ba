package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/proxy"
)

// clusterFlags are the cache-cluster flags of `dynax serve` and `dynax proxy`.
type clusterFlags struct {
	serve       bool
	etcd        string
	etcdListen  string
	name        string
	prefix      string
	peerListen  string
	secret      string
	secretFile  string
	leaseTTL    time.Duration
	settle      time.Duration
	peerTimeout time.Duration
	id          string
}

func (f *clusterFlags) register(fs *flag.FlagSet, serve bool) {
	f.serve = serve
	if serve {
		fs.StringVar(&f.etcd, "etcd", "", "etcd client URLs (comma-separated) of an existing etcd cluster to join instead of running the embedded one")
		fs.StringVar(&f.etcdListen, "etcd-listen", cluster.DefaultEtcdClientAddr, "client address of the embedded single-node etcd (data under --data-dir/etcd) that other proxies join with --etcd; if the default is taken a free port is used (logged); \"\" = no etcd, no cluster")
		fs.StringVar(&f.secretFile, "cluster-secret-file", "", "file holding the cluster secret (default: --data-dir/cluster-secret, created with a random secret when missing)")
	} else {
		fs.StringVar(&f.etcd, "etcd", "", "etcd client URLs (comma-separated) to join a cache cluster; \"\" = run alone, no cluster")
		fs.StringVar(&f.secretFile, "cluster-secret-file", "", "file holding the cluster secret (e.g. the data directory's cluster-secret of dynax serve); this or --cluster-secret is required with --etcd")
	}
	fs.StringVar(&f.secret, "cluster-secret", "", "the cluster secret authenticating peer calls (at least 16 bytes; prefer --cluster-secret-file or DYNAX_CLUSTER_SECRET: a command line is visible to other users)")
	fs.StringVar(&f.name, "cluster", cluster.DefaultCluster, "name of the cache cluster (nodes with the same etcd and name form one cache)")
	fs.StringVar(&f.prefix, "etcd-prefix", cluster.DefaultPrefix, "etcd key prefix of the cluster registrations")
	fs.StringVar(&f.peerListen, "peer-listen", "127.0.0.1:0", "address of this node's peer server (authenticated forwarding between cache nodes; never a DynamoDB endpoint); port 0 picks a free port, advertised in etcd")
	fs.DurationVar(&f.leaseTTL, "lease-ttl", cluster.DefaultLeaseTTL, "life of the membership lease: a crashed node leaves the cluster about this long after its last keep-alive")
	fs.DurationVar(&f.settle, "settle-window", cluster.DefaultSettleWindow, "how long keys a node gains in a membership change are served uncached while the change spreads")
	fs.DurationVar(&f.peerTimeout, "peer-timeout", time.Second, "bound of one peer call; a read whose owner does not answer in time is served from the backend")
	fs.StringVar(&f.id, "node-id", "", "this node's member id (default: random at each start)")
}

// readSecret returns the cluster secret from the flags (creating the
// serve default file when needed).
func (f *clusterFlags) readSecret(dataDir string) (string, error) {
	if f.secret != "" {
		return f.secret, nil
	}
	path := f.secretFile
	if path == "" && f.serve {
		path = filepath.Join(dataDir, "cluster-secret")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			var b [32]byte
			if _, err := rand.Read(b[:]); err != nil {
				return "", err
			}
			if err := os.MkdirAll(dataDir, 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(path, []byte(hex.EncodeToString(b[:])+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("write cluster secret: %w", err)
			}
		}
	}
	if path == "" {
		return "", errors.New("joining a cluster needs --cluster-secret-file or --cluster-secret (DYNAX_CLUSTER_SECRET)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cluster secret: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// clusterRun is a running cluster membership (and embedded etcd).
type clusterRun struct {
	node *proxy.ClusterNode
	etcd *cluster.Etcd
	// Where the members are registered (the console's cluster page).
	endpoints    []string
	prefix, name string
}

func (r *clusterRun) Close() {
	if r == nil {
		return
	}
	if r.node != nil {
		_ = r.node.Close()
	}
	if r.etcd != nil {
		r.etcd.Close()
	}
}

// start runs the embedded etcd (serve, without --etcd) and joins p to the
// cluster. A nil run and nil error: no cluster (proxy without --etcd).
func (f *clusterFlags) start(fs *flag.FlagSet, p *proxy.Proxy, log *slog.Logger, dataDir, logLevel string, sec *securityFlags) (*clusterRun, error) {
	run := &clusterRun{}
	endpoints := etcdURLs(f.etcd)
	if len(endpoints) == 0 {
		if !f.serve || f.etcdListen == "" {
			return nil, nil
		}
		explicit := false
		fs.Visit(func(fl *flag.Flag) { explicit = explicit || fl.Name == "etcd-listen" })
		addr := f.etcdListen
		if !explicit {
			if ln, err := net.Listen("tcp", addr); err != nil {
				log.Warn("default etcd address taken; the embedded etcd uses a free port", "etcd_addr", addr)
				addr = "127.0.0.1:0"
			} else {
				ln.Close()
			}
		}
		lvl := "fatal"
		if logLevel == "debug" {
			lvl = "warn"
		}
		e, err := cluster.StartEtcd(cluster.EtcdOptions{Dir: filepath.Join(dataDir, "etcd"), ClientAddr: addr, LogLevel: lvl})
		if err != nil {
			return nil, err
		}
		run.etcd = e
		endpoints = []string{e.Endpoint()}
		log.Info("embedded etcd ready", "etcd_endpoint", e.Endpoint(), "ready_in", e.ReadyTook.Round(time.Millisecond))
	}
	secret, err := f.readSecret(dataDir)
	if err != nil {
		run.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster.Version = version
	n, err := p.JoinCluster(ctx, proxy.ClusterOptions{
		Membership: cluster.Options{Endpoints: endpoints, Prefix: f.prefix, Cluster: f.name, ID: f.id,
			LeaseTTL: f.leaseTTL, SettleWindow: f.settle, Logger: log},
		PeerListen:  f.peerListen,
		Secret:      secret,
		PeerTimeout: f.peerTimeout,
		TLS:         sec.tls,
		ClientTLS:   sec.clientTLS,
	})
	if err != nil {
		run.Close()
		return nil, err
	}
	run.node = n
	run.endpoints, run.prefix, run.name = endpoints, f.prefix, f.name
	v := n.Membership.View()
	log.Info("joined the cache cluster", "cluster", f.name, "member", n.Membership.Self().ID, "peer_addr", n.PeerAddr,
		"etcd", strings.Join(endpoints, ","), "members", len(v.Members))
	return run, nil
}

// etcdURLs splits a comma-separated list of etcd endpoints (http:// is
// assumed when a scheme is missing).
func etcdURLs(s string) []string {
	out := splitList(s)
	for i, u := range out {
		if !strings.Contains(u, "://") {
			out[i] = "http://" + u
		}
	}
	return out
}

func runCluster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(stderr, "Usage: dynax cluster status --etcd URL [--cluster NAME]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := newFlagSet("cluster status", "Lists the members of a cache cluster: id, peer address, share of the key space, uptime and health.", stderr)
	etcd := fs.String("etcd", "http://"+cluster.DefaultEtcdClientAddr, "etcd client URLs (comma-separated)")
	name := fs.String("cluster", cluster.DefaultCluster, "name of the cache cluster")
	prefix := fs.String("etcd-prefix", cluster.DefaultPrefix, "etcd key prefix of the cluster registrations")
	timeout := fs.Duration("timeout", 2*time.Second, "bound of the etcd read and of each health check")
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax cluster status:", err)
		return 2
	}
	ms, err := cluster.Status(context.Background(), etcdURLs(*etcd), *prefix, *name, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "dynax cluster status:", err)
		return 1
	}
	fmt.Fprintf(stdout, "cluster %q: %d members\n", *name, len(ms))
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPEER\tSHARE\tUPTIME\tHEALTH\tVERSION")
	code := 0
	for _, m := range ms {
		health := "ok"
		if !m.Healthy {
			health = "unreachable: " + m.Err
			code = 1
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t%s\t%s\t%s\n", m.ID, m.Peer, 100*m.Share, time.Since(m.Started).Round(time.Second), health, m.Version)
	}
	_ = tw.Flush()
	return code
}
