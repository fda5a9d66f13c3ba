package proxy

import "github.com/dynax/dynax/storebackend"

// StoreBackend is the in-process storage node as a backend, for tests that
// run the proxy in front of a real store (the type lives in storebackend:
// package proxy never imports store).
type StoreBackend = storebackend.Backend
