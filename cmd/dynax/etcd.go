package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/dynax/dynax/cluster"
)

// runEtcd runs a standalone single-node etcd for a cache cluster of `dynax
// proxy` nodes in front of a `dynax store` (dynax serve runs one itself).
func runEtcd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("etcd", `Runs a single-node etcd (embedded, on loopback by default) that dynax
proxies join with --etcd to form a cache cluster, for deployments where the
cluster's coordination should not live inside one of the nodes. Data under
--data-dir/etcd.`, stderr)
	listen := fs.String("listen", cluster.DefaultEtcdClientAddr, "etcd client address (host:port; port 0 picks a free port)")
	dataDir := fs.String("data-dir", "./dynax-etcd", "directory of etcd's data")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax etcd:", err)
		return 2
	}
	log, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax etcd:", err)
		return 2
	}
	lvl := "fatal"
	if *logLevel == "debug" {
		lvl = "warn"
	}
	e, err := cluster.StartEtcd(cluster.EtcdOptions{Dir: filepath.Join(*dataDir, "etcd"), ClientAddr: *listen, LogLevel: lvl})
	if err != nil {
		log.Error("cannot start etcd", "err", err)
		return 1
	}
	defer e.Close()
	log.Info("etcd ready", "etcd_endpoint", e.Endpoint(), "ready_in", e.ReadyTook)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	s := <-sig
	log.Info("shutting down", "signal", s.String())
	return 0
}
