package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// storeFlags are the flags of a storage node.
type storeFlags struct {
	listen      string
	dataDir     string
	account     string
	createDelay time.Duration
	noSync      bool
	logLevel    string
}

func (f *storeFlags) register(fs *flag.FlagSet, defListen string) {
	fs.StringVar(&f.listen, "listen", defListen, "address to serve the DynamoDB API on (host:port; port 0 picks a free port)")
	fs.StringVar(&f.dataDir, "data-dir", "./dynax-data", "directory holding the node's data")
	fs.StringVar(&f.account, "account", "000000000000", "AWS account id shown in ARNs")
	fs.DurationVar(&f.createDelay, "create-delay", 0, "keep new tables CREATING (and deleted ones DELETING) this long, like DynamoDB (default 0: ACTIVE at once)")
	fs.BoolVar(&f.noSync, "unsafe-no-sync", false, "do not sync the write-ahead log (faster, but acknowledged writes can be lost on a crash; default false)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func runStore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("store", "Runs the DynamoDB-compatible storage node alone.", stderr)
	var f storeFlags
	f.register(fs, "127.0.0.1:8001")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax store:", err)
		return 2
	}
	return serveNode(&f, stderr)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "Runs the all-in-one dynax node. Until the caching proxy exists this is the storage node.", stderr)
	var f storeFlags
	f.register(fs, "127.0.0.1:8000")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	return serveNode(&f, stderr)
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("bad --log-level %q", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// serveNode opens the store and serves it until SIGINT or SIGTERM.
func serveNode(f *storeFlags, stderr io.Writer) int {
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax:", err)
		return 2
	}
	node, err := store.Open(store.Options{
		Dir:         f.dataDir,
		Account:     f.account,
		CreateDelay: f.createDelay,
		NoSync:      f.noSync,
		Logger:      log,
	})
	if err != nil {
		log.Error("cannot open the store", "err", err)
		return 1
	}
	defer node.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		log.Error("cannot listen", "addr", f.listen, "err", err)
		return 1
	}
	srv := wire.NewServer(node, log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("dynax storage node listening", "addr", ln.Addr().String(), "data_dir", f.dataDir, "endpoint", "http://"+ln.Addr().String())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
		_ = srv.Shutdown()
	case err := <-done:
		if err != nil {
			log.Error("server stopped", "err", err)
			return 1
		}
	}
	return 0
}
