package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/dynax/dynax/audit"
	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb/wire"
)

// securityFlags are the flags every listener shares: authentication
// (--auth, --credentials), TLS (--tls-cert, --tls-key) and the audit log.
type securityFlags struct {
	mode        string
	credentials string
	tlsCert     string
	tlsKey      string
	auditLog    string
	auditData   bool

	users *auth.Users
	tls   *tls.Config
	// clientTLS is what the cluster's peer calls trust.
	clientTLS *tls.Config
	audit     *audit.Log // nil: no audit log
}

func (f *securityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "auth", "off", "request authentication: off (any well-formed signature is accepted, for local development with any credentials) or sigv4 (signatures verified against --credentials, requests authorized by their IAM policies)")
	fs.StringVar(&f.credentials, "credentials", "", `with --auth sigv4: JSON file of access keys and their identity policies, {"users":[{"accessKeyId":…,"secretAccessKey":…,"arn":…,"policies":[…]}]}; users without policies may do everything`)
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key); also used by the cluster peer port")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.auditLog, "audit-log", "", "append a CloudTrail-shaped JSON line per control-plane call to this file (default \"\": no audit log)")
	fs.BoolVar(&f.auditData, "audit-data-plane", false, "with --audit-log: log data-plane calls (item reads and writes) too")
}

// load checks the flags and reads the credentials file and certificate.
func (f *securityFlags) load() error {
	switch f.mode {
	case "off":
		if f.credentials != "" {
			return errors.New("--credentials needs --auth sigv4")
		}
	case "sigv4":
		if f.credentials == "" {
			return errors.New("--auth sigv4 needs --credentials FILE")
		}
		u, err := auth.LoadUsers(f.credentials)
		if err != nil {
			return err
		}
		f.users = u
	default:
		return fmt.Errorf("bad --auth %q: want off or sigv4", f.mode)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		f.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		// Peer calls trust the system's roots and the members' shared
		// certificate itself (a self-signed one included).
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		pem, err := os.ReadFile(f.tlsCert)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		roots.AppendCertsFromPEM(pem)
		f.clientTLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	if f.auditData && f.auditLog == "" {
		return errors.New("--audit-data-plane needs --audit-log FILE")
	}
	return nil
}

// openAudit opens the audit log (nil when --audit-log is not set); the
// caller closes it after the listeners stopped.
func (f *securityFlags) openAudit(account string, log *slog.Logger) (wire.Auditor, func(), error) {
	if f.auditLog == "" {
		return nil, func() {}, nil
	}
	l, err := audit.Open(audit.Options{Path: f.auditLog, DataPlane: f.auditData, Account: account, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	f.audit = l
	return l, func() {
		if err := l.Close(); err != nil {
			log.Error("audit log close", "err", err)
		}
		if n := l.Dropped(); n > 0 {
			log.Warn("audit events dropped: the log could not keep up", "dropped", n)
		}
	}, nil
}

// listen opens addr, serving TLS when a certificate is configured.
func (f *securityFlags) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || f.tls == nil {
		return ln, err
	}
	return tls.NewListener(ln, f.tls), nil
}

// scheme is the URL scheme of the listeners.
func (f *securityFlags) scheme() string {
	if f.tls != nil {
		return "https"
	}
	return "http"
}

// guard returns the proxy's authorization for users (nil with --auth off).
func (f *securityFlags) guard(policies auth.ResourcePolicies, account string) *auth.Guard {
	if f.users == nil {
		return nil
	}
	return &auth.Guard{Verifier: auth.NewVerifier(f.users, auth.Options{}), Policies: policies, Account: account}
}
