// Package testpeer starts the real foreign peers that tests talk to
// (Node.js programs installed from npm by `make deps`, such as kinesalite)
// on free loopback ports, and stops them when the test ends. A test that
// needs a peer fails, never skips, when the peer is not installed.
package testpeer

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NodeCLI runs the Node.js program cli (the path in environment variable
// env, or ~/.cache/dynax/<def> where `make deps` installs it) with the
// arguments args(port) on a free loopback port, waits until it accepts
// connections and returns its URL.
func NodeCLI(t testing.TB, env, def string, args func(port string) []string) string {
	t.Helper()
	cli := os.Getenv(env)
	if cli == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cli = filepath.Join(home, ".cache", "dynax", def)
		}
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s is not installed (run `make deps`, or set %s): %v", def, env, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s needs node: %v", def, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command(node, append([]string{cli}, args(port)...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start on %s: %v", def, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kinesalite starts kinesalite (a Kinesis implementation; environment
// variable DYNAX_KINESALITE names its cli.js) and returns its URL.
func Kinesalite(t testing.TB) string {
	return NodeCLI(t, "DYNAX_KINESALITE", "kinesalite/node_modules/kinesalite/cli.js", func(port string) []string {
		return []string{"--host", "127.0.0.1", "--port", port, "--createStreamMs", "0", "--deleteStreamMs", "0"}
	})
}
