package main

// Global tables: the Region flags of a storage node, and `dynax serve
// --regions`, which runs one storage node per Region in one process.

import (
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
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// globalFlags name the node's Region and its peer Regions.
type globalFlags struct {
	region     string
	peers      peerFlag
	secret     string
	secretFile string
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.region, "region", "", `the AWS Region this node is: its tables' ARNs name it, and global tables replicate between Regions (default "": each CreateTable's credential scope names the Region)`)
	fs.Var(&g.peers, "peer-region", "another Region of global tables and its node's endpoint, REGION=URL (repeatable, e.g. us-west-2=http://10.0.0.2:8001)")
	fs.StringVar(&g.secretFile, "peer-secret-file", "", "file holding the secret that authenticates replication calls between Regions (at least 16 bytes, the same on every node)")
	fs.StringVar(&g.secret, "peer-secret", "", "the peer secret itself (prefer --peer-secret-file or DYNAX_PEER_SECRET: a command line is visible to other users)")
}

// load reads the secret file and checks the combination.
func (g *globalFlags) load() error {
	if g.secret == "" && g.secretFile != "" {
		b, err := os.ReadFile(g.secretFile)
		if err != nil {
			return fmt.Errorf("peer secret: %w", err)
		}
		g.secret = strings.TrimSpace(string(b))
	}
	if len(g.peers) == 0 {
		return nil
	}
	if g.region == "" {
		return errors.New("--peer-region needs --region")
	}
	if len(g.secret) < 16 {
		return errors.New("--peer-region needs --peer-secret-file or --peer-secret of at least 16 bytes")
	}
	if _, ok := g.peers[g.region]; ok {
		return fmt.Errorf("--peer-region %s names this node's own --region", g.region)
	}
	return nil
}

// peerFlag is the repeatable --peer-region REGION=URL.
type peerFlag map[string]string

func (p *peerFlag) String() string {
	if p == nil || *p == nil {
		return ""
	}
	var parts []string
	for r, u := range *p {
		parts = append(parts, r+"="+u)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (p *peerFlag) Set(v string) error {
	if *p == nil {
		*p = peerFlag{}
	}
	for _, one := range strings.Split(v, ",") {
		r, u, ok := strings.Cut(strings.TrimSpace(one), "=")
		if !ok || r == "" || !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
			return fmt.Errorf("want REGION=http(s)://host:port, got %q", one)
		}
		(*p)[r] = u
	}
	return nil
}

// serveRegions runs one storage node per Region of list on consecutive
// ports from --listen's (port 0: free ports), each the peer of all the
// others, until SIGINT or SIGTERM.
func serveRegions(f *storeFlags, list string, stderr io.Writer) (code int) {
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	var regions []string
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	if len(regions) == 0 {
		fmt.Fprintln(stderr, "dynax serve: --regions names no Region")
		return 2
	}
	host, portStr, err := net.SplitHostPort(f.listen)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil {
		fmt.Fprintf(stderr, "dynax serve: bad --listen %q\n", f.listen)
		return 2
	}
	secret := f.global.secret
	if secret == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		secret = hex.EncodeToString(b[:]) // in process only
	}
	lns := make([]net.Listener, len(regions))
	for i := range regions {
		p := 0
		if port != 0 {
			p = port + i
		}
		if lns[i], err = f.sec.listen(net.JoinHostPort(host, strconv.Itoa(p))); err != nil {
			log.Error("cannot listen", "region", regions[i], "err", err)
			for _, ln := range lns[:i] {
				ln.Close()
			}
			return 1
		}
	}
	urls := map[string]string{}
	for i, r := range regions {
		urls[r] = f.sec.scheme() + "://" + lns[i].Addr().String()
	}
	var nodes []*store.Node
	defer func() {
		for _, n := range nodes {
			code = closeNode(log, n, code)
		}
	}()
	done := make(chan error, len(regions))
	var srvs []*fasthttp.Server
	for i, r := range regions {
		rf := *f
		rf.dataDir = filepath.Join(f.dataDir, r)
		rf.global = globalFlags{region: r, peers: peerFlag{}, secret: secret}
		for _, o := range regions {
			if o != r {
				rf.global.peers[o] = urls[o]
			}
		}
		rlog := log.With("region", r)
		node, err := openNode(&rf, rlog)
		if err != nil {
			rlog.Error("cannot open the store", "err", err)
			for _, ln := range lns[i:] {
				ln.Close()
			}
			return 1
		}
		nodes = append(nodes, node)
		ws := wire.NewServer(node, rlog)
		ws.Verifier = node.Verifier()
		srv := ws.FastHTTP(withStoreMetrics(node, store.InsightsHandler(node, ws.ServeFastHTTP)))
		srvs = append(srvs, srv)
		ln := lns[i]
		go func() { done <- srv.Serve(ln) }()
		rlog.Info("dynax Region listening", "endpoint", urls[r], "data_dir", rf.dataDir)
	}
	slog.Info("dynax serve --regions: one storage node per Region; point an SDK at a Region's endpoint", "regions", strings.Join(regions, ","))
	return waitAndStop(log, done, srvs...)
}
