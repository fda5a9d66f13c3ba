package main

import (
	"log/slog"
	"net"

	"github.com/dynax/dynax/store"
)

// server is what the commands serve: a fasthttp or wire server.
type server interface {
	// Serve serves connections from ln until Shutdown; it returns nil
	// after Shutdown and the error that stopped it otherwise.
	Serve(ln net.Listener) error
	// Shutdown stops the server gracefully.
	Shutdown() error
}

// serveBackground runs srv.Serve(ln) in a goroutine. stop shuts the server
// down and returns the error Serve returned (nil after a clean shutdown),
// so that a server which failed while nobody watched is not forgotten.
func serveBackground(srv server, ln net.Listener) (stop func() error) {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return func() error {
		shutErr := srv.Shutdown()
		// A Shutdown that came before Serve registered ln would not stop
		// it: closing ln does (Serve then returns nil).
		_ = ln.Close()
		if err := <-done; err != nil {
			return err
		}
		return shutErr
	}
}

// closeNode closes the store and returns the exit code: code, or 1 when
// closing failed (the engine may not have persisted everything).
func closeNode(log *slog.Logger, node *store.Node, code int) int {
	if err := node.Close(); err != nil {
		log.Error("closing the store failed", "err", err)
		if code == 0 {
			return 1
		}
	}
	return code
}
