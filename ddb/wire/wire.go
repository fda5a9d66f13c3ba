// Package wire is the HTTP side of the DynamoDB protocol (AWS JSON 1.0) on
// fasthttp: it checks method, content type, target and signature shape,
// inflates gzip bodies, hands the operation to a Handler, and writes the
// answer with DynamoDB's headers (x-amzn-RequestId, x-amz-crc32) and error
// shapes. The storage node and the caching proxy both sit behind it.
//
// Request checks run in DynamoDB's order: method and content type (404
// <UnknownOperationException/>), JSON syntax, target (UnknownOperation),
// Authorization shape (MissingAuthenticationToken, IncompleteSignature),
// then the operation itself. Signatures are parsed, not verified: the region
// of the credential scope is passed on so ARNs name the caller's region.
package wire

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb"
)

// MaxBodyBytes is DynamoDB's request size limit (16 MiB).
const MaxBodyBytes = 16 << 20

// DefaultRegion is used when a request's credential scope names none.
const DefaultRegion = "us-east-1"

// Target prefixes of the JSON services dynax speaks: DynamoDB, DynamoDB
// Streams, and dynax's own change feed (package changefeed).
const (
	PrefixDynamoDB = "DynamoDB_20120810"
	PrefixStreams  = "DynamoDBStreams_20120810"
	PrefixFeed     = "DynaxChangeFeed_20261201"
	// PrefixAutoScaling is Application Auto Scaling's (AWS JSON 1.1,
	// package autoscaling), served on the DynamoDB listener.
	PrefixAutoScaling = "AnyScaleFrontendService"
)

// Request is one decoded API call.
type Request struct {
	// Prefix is the service part of X-Amz-Target (PrefixDynamoDB, …).
	Prefix string
	// Operation is the operation name, e.g. "GetItem".
	Operation string
	// Body is the JSON body, already inflated. It is only valid during the call.
	Body []byte
	// Region is the region of the SigV4 credential scope (DefaultRegion if absent).
	Region string
	// AccessKey is the access key id of the credential scope.
	AccessKey string
	// RequestID is the x-amzn-RequestId this answer will carry.
	RequestID string
	// Header gives access to the raw request headers (for proxies that re-sign).
	Header *fasthttp.RequestHeader
	// RespHeader lets the handler add response headers (e.g. x-dynax-cache).
	RespHeader *fasthttp.ResponseHeader
	// Principal is the caller that Server.Verifier authenticated; nil when
	// the server verifies no signatures (--auth off) or for calls made in
	// process on a caller's behalf after it was authorized.
	Principal *auth.Principal
	// SourceIP is the caller's address without port ("" in process).
	SourceIP string
	// Secure tells whether the request came over TLS.
	Secure bool
}

// Passthrough is an answer produced elsewhere (a proxy's backend) that is
// written as is: its status and exact body bytes. Return it as the error of
// ServeDynamoDB; the x-amz-crc32 header is computed for the bytes sent.
type Passthrough struct {
	Status int
	Body   []byte
}

func (p *Passthrough) Error() string {
	return "passthrough answer " + strconv.Itoa(p.Status)
}

// Handler serves DynamoDB operations.
type Handler interface {
	// Known reports whether prefix.op is an operation this handler serves;
	// others are answered with UnknownOperationException before any other check.
	Known(prefix, op string) bool
	// ServeDynamoDB runs one operation and returns the JSON response body.
	// A *ddb.Error result is written as that DynamoDB error, a *Passthrough
	// verbatim; any other error becomes a 500 InternalServerError and is
	// logged.
	ServeDynamoDB(ctx context.Context, req *Request) ([]byte, error)
}

// Auditor records answered calls (package audit). Record must not block
// and must copy what it keeps: the request's buffers are reused.
type Auditor interface {
	// Record notes one call and its outcome (err nil for a success).
	Record(req *Request, userAgent string, err *ddb.Error)
}

// Server adapts a Handler to fasthttp.
type Server struct {
	Handler Handler
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
	// Verifier, when set, authenticates every request's SigV4 signature
	// (after the shape checks, before the operation) and puts the caller
	// in Request.Principal; nil accepts any well-formed signature.
	Verifier *auth.Verifier
	// Audit, when set, records every call that reached an operation.
	Audit Auditor

	srv *fasthttp.Server
}

// NewServer returns a Server for h.
func NewServer(h Handler, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{Handler: h, Logger: logger}
	s.srv = s.FastHTTP(s.ServeFastHTTP)
	return s
}

// FastHTTP returns a fasthttp server running handler (which should end in
// s.ServeFastHTTP) configured as a DynamoDB endpoint: bodies up to
// MaxBodyBytes, larger ones (Content-Length or chunked, by the handler or
// past readSlack by fasthttp) answered 413 with an empty body as DynamoDB
// does, any request fasthttp cannot parse
// answered with a DynamoDB error rather than fasthttp's plain text, and
// fasthttp's own log lines sent to s.Logger.
func (s *Server) FastHTTP(handler fasthttp.RequestHandler) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:              handler,
		Name:                 "Server",
		MaxRequestBodySize:   MaxBodyBytes + readSlack,
		NoDefaultContentType: true,
		CloseOnShutdown:      true,
		IdleTimeout:          2 * time.Minute,
		ErrorHandler:         s.parseError,
		Logger:               slogPrintf{s.Logger},
	}
}

// readSlack is how far past MaxBodyBytes fasthttp reads a body before
// refusing it: a client that sent a body a little too large has finished
// writing when the handler answers its 413, so it reads the answer rather
// than a reset connection. Bodies larger still are refused (413 too) as
// soon as their Content-Length, or their chunks, pass the slack.
const readSlack = 1 << 20

// parseError answers a request fasthttp could not read.
func (s *Server) parseError(ctx *fasthttp.RequestCtx, err error) {
	ctx.Response.Header.DisableNormalizing()
	ctx.Response.Header.Set(hdrReqID, NewRequestID())
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		tooLarge(ctx)
		return
	}
	s.Logger.Debug("unreadable HTTP request", "remote", ctx.RemoteAddr().String(), "err", err)
	s.writeError(ctx, ctJSON10, &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"})
}

// tooLarge writes DynamoDB's answer to a body over MaxBodyBytes: 413, an
// empty body, sent chunked.
func tooLarge(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusRequestEntityTooLarge)
	ctx.SetBodyStreamWriter(func(*bufio.Writer) {})
}

// slogPrintf routes fasthttp's Printf logging to slog.
type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, args ...any) {
	p.l.Warn(fmt.Sprintf(format, args...), "component", "fasthttp")
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// ShutdownTimeout bounds how long Shutdown waits for in-flight requests.
const ShutdownTimeout = 10 * time.Second

// Shutdown stops the server, waiting up to ShutdownTimeout for in-flight
// requests; idle keep-alive connections are closed at once.
func (s *Server) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	return s.srv.ShutdownWithContext(ctx)
}

var (
	ctJSON10   = []byte("application/x-amz-json-1.0")
	ctJSON     = []byte("application/json")
	ctJSON11   = []byte("application/x-amz-json-1.1")
	unknownOp  = []byte("<UnknownOperationException/>\n")
	hdrTarget  = []byte("X-Amz-Target")
	hdrCRC     = "x-amz-crc32"
	hdrReqID   = "x-amzn-RequestId"
	methodPOST = []byte("POST")

	prefixAutoScalingDot = []byte(PrefixAutoScaling + ".")
)

// ServeFastHTTP is the fasthttp handler.
func (s *Server) ServeFastHTTP(ctx *fasthttp.RequestCtx) {
	reqID := NewRequestID()
	// Header names go out as DynamoDB spells them (x-amzn-RequestId).
	ctx.Response.Header.DisableNormalizing()
	ctx.Response.Header.Set(hdrReqID, reqID)

	if origin := ctx.Request.Header.Peek("Origin"); len(origin) > 0 {
		ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
		if ctx.IsOptions() {
			if h := ctx.Request.Header.Peek("Access-Control-Request-Headers"); len(h) > 0 {
				ctx.Response.Header.SetBytesV("Access-Control-Allow-Headers", h)
			}
			if m := ctx.Request.Header.Peek("Access-Control-Request-Method"); len(m) > 0 {
				ctx.Response.Header.SetBytesV("Access-Control-Allow-Methods", m)
			}
			ctx.Response.Header.Set("Access-Control-Max-Age", "172800")
			ctx.Response.Header.Set("Access-Control-Expose-Headers", exposeHeaders)
			ctx.SetStatusCode(200)
			return
		}
	}

	if ctx.IsGet() {
		if string(ctx.Path()) != "/" {
			// DynamoDB answers a health check on / only.
			writeRaw(ctx, 404, "", unknownOp)
			return
		}
		body := []byte("healthy: " + string(ctx.Host()) + " ")
		writeRaw(ctx, 200, "text/plain", body)
		return
	}

	ct := ctx.Request.Header.ContentType()
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = bytes.TrimSpace(ct[:i])
	}
	body := ctx.Request.Body()
	raw := body // what was signed: the body before inflation
	if len(body) > MaxBodyBytes {
		// Too large is answered before anything else is looked at,
		// whatever the method's body claims to be.
		tooLarge(ctx)
		return
	}
	// AWS JSON 1.1 is Application Auto Scaling's protocol: accepted for
	// its target prefix only, as DynamoDB refuses it.
	json11 := bytes.Equal(ct, ctJSON11) && bytes.HasPrefix(ctx.Request.Header.PeekBytes(hdrTarget), prefixAutoScalingDot)
	if !bytes.Equal(ctx.Method(), methodPOST) || (len(body) > 0 && !bytes.Equal(ct, ctJSON10) && !bytes.Equal(ct, ctJSON) && !json11) {
		writeRaw(ctx, 404, "", unknownOp)
		return
	}
	// Errors echo application/x-amz-json-1.0 (or 1.1) when the request
	// used it, and are application/json otherwise (no content type included).
	respCT := ctJSON
	if bytes.Equal(ct, ctJSON10) {
		respCT = ctJSON10
	} else if json11 {
		respCT = ctJSON11
	}

	if enc := ctx.Request.Header.ContentEncoding(); len(enc) > 0 && !bytes.EqualFold(enc, []byte("identity")) {
		inflated, err := inflate(enc, body)
		if err != nil {
			// DynamoDB answers an unknown coding or a corrupt, truncated
			// or empty compressed body with a 500, running nothing.
			s.Logger.Debug("undecodable request body", "encoding", string(enc), "err", err)
			s.writeError(ctx, respCT, ddb.InternalServerError(""))
			return
		}
		if len(inflated) > MaxBodyBytes {
			tooLarge(ctx)
			return
		}
		body = inflated
	}

	prefix, op := splitTarget(ctx.Request.Header.PeekBytes(hdrTarget))
	if prefix == "" || !s.Handler.Known(prefix, op) {
		if len(body) > 0 && !json.Valid(body) {
			s.writeError(ctx, respCT, &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"})
			return
		}
		s.writeError(ctx, respCT, ddb.UnknownOperation())
		return
	}

	region, access, aerr := checkAuth(&ctx.Request)
	if aerr != nil {
		s.writeError(ctx, respCT, aerr)
		return
	}
	var principal *auth.Principal
	if s.Verifier != nil {
		ar := authRequest(ctx, raw)
		p, err := s.Verifier.Verify(ctx, &ar)
		if err != nil {
			de, _ := ddb.AsError(err)
			s.writeError(ctx, respCT, de)
			return
		}
		principal = p
	}
	if len(body) == 0 {
		s.writeError(ctx, respCT, &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"})
		return
	}

	req := Request{Prefix: prefix, Operation: op, Body: body, Region: region, AccessKey: access, RequestID: reqID,
		Header: &ctx.Request.Header, RespHeader: &ctx.Response.Header, Principal: principal, Secure: ctx.IsTLS()}
	if principal != nil {
		req.SourceIP = ctx.RemoteIP().String()
	}
	out, err := s.Handler.ServeDynamoDB(ctx, &req)
	if err != nil {
		if p, ok := err.(*Passthrough); ok {
			if s.Audit != nil {
				s.Audit.Record(&req, b2s(ctx.UserAgent()), passthroughError(p))
			}
			s.writeBody(ctx, p.Status, respCT, p.Body)
			return
		}
		de, ok := ddb.AsError(err)
		if !ok {
			s.Logger.Error("internal error", "op", op, "err", err)
			de = ddb.InternalServerError("Internal server error")
		}
		if s.Audit != nil {
			s.Audit.Record(&req, b2s(ctx.UserAgent()), de)
		}
		s.writeError(ctx, respCT, de)
		return
	}
	if s.Audit != nil {
		s.Audit.Record(&req, b2s(ctx.UserAgent()), nil)
	}
	s.writeBody(ctx, 200, respCT, out)
}

// passthroughError reads the error of a passed-through answer (nil for a
// success), for the audit log.
func passthroughError(p *Passthrough) *ddb.Error {
	if p.Status == 200 {
		return nil
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Msg     string `json:"Message"`
	}
	_ = json.Unmarshal(p.Body, &e)
	if e.Message == "" {
		e.Message = e.Msg
	}
	return &ddb.Error{Status: p.Status, Type: e.Type, Message: e.Message}
}

// authRequest is what signature verification needs of a request: method,
// path, query, host, headers and the body as sent. The strings alias the
// request's buffers (no copies on the hit path): they are only valid
// during the call, and Verify keeps none of them.
func authRequest(ctx *fasthttp.RequestCtx, body []byte) auth.Request {
	r := auth.Request{Method: b2s(ctx.Method()), Path: b2s(ctx.Path()), RawQuery: b2s(ctx.URI().QueryString()),
		Host: b2s(ctx.Host()), Body: body}
	r.Headers = make([]auth.Header, 0, ctx.Request.Header.Len())
	for k, v := range ctx.Request.Header.All() {
		r.Headers = append(r.Headers, auth.Header{Name: b2s(k), Value: b2s(v)})
	}
	return r
}

// b2s views b as a string without copying.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func splitTarget(t []byte) (prefix, op string) {
	i := bytes.IndexByte(t, '.')
	if i <= 0 || i == len(t)-1 || bytes.IndexByte(t[i+1:], '.') >= 0 {
		return "", ""
	}
	p := t[:i]
	switch {
	case string(p) == PrefixDynamoDB:
		prefix = PrefixDynamoDB
	case string(p) == PrefixStreams:
		prefix = PrefixStreams
	case string(p) == PrefixFeed:
		prefix = PrefixFeed
	case string(p) == PrefixAutoScaling:
		prefix = PrefixAutoScaling
	case string(p) == "DynamoDB_20111205":
		prefix = PrefixDynamoDB
	default:
		return "", ""
	}
	return prefix, string(t[i+1:])
}

// exposeHeaders are the response headers a CORS preflight lets browser
// clients read.
const exposeHeaders = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date,x-amz-crc32"

// errCoding is the inflate error for a Content-Encoding dynax cannot read.
var errCoding = errors.New("wire: unsupported Content-Encoding")

// inflate decodes a request body sent with Content-Encoding enc, reading
// at most MaxBodyBytes+1 bytes of output. gzip takes concatenated members
// and ignores trailing bytes that do not start another member; deflate is
// one zlib (RFC 1950) stream with nothing after it, as DynamoDB reads them.
func inflate(enc, b []byte) ([]byte, error) {
	switch {
	case bytes.EqualFold(enc, []byte("gzip")):
		return gunzip(b)
	case bytes.EqualFold(enc, []byte("deflate")):
		br := bytes.NewReader(b)
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		out, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
		if err != nil {
			return nil, err
		}
		if br.Len() > 0 {
			return nil, errors.New("wire: data after the deflate stream")
		}
		return out, nil
	}
	return nil, errCoding
}

func gunzip(b []byte) ([]byte, error) {
	br := bytes.NewReader(b)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out bytes.Buffer
	for {
		zr.Multistream(false)
		if _, err := io.Copy(&out, io.LimitReader(zr, MaxBodyBytes+1-int64(out.Len()))); err != nil {
			return nil, err
		}
		if out.Len() > MaxBodyBytes || br.Len() < 2 {
			break
		}
		rest := b[len(b)-br.Len():]
		if rest[0] != 0x1f || rest[1] != 0x8b {
			break // trailing bytes that are not a member: ignored
		}
		if err := zr.Reset(br); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// CompressMin is the smallest body DynamoDB compresses: answers up to it
// go out as they are whatever the client accepts.
const CompressMin = 4096

// responseCoding picks the coding of an answer from the first
// Accept-Encoding line: gzip or deflate by q-value (a q over 1 counts as
// 1, the first q= of a coding wins), * standing for any coding not named;
// at equal q the coding named first wins, and a named one beats *. ""
// means no compression.
func responseCoding(accept []byte) string {
	type cand struct {
		q     float64
		named bool
		pos   int
	}
	var gz, df, star cand
	gz.q, df.q, star.q = -1, -1, -1
	for pos, part := range strings.Split(string(accept), ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = min(f, 1)
				break
			}
		}
		c := cand{q: q, named: true, pos: pos}
		switch name {
		case "gzip":
			if !gz.named {
				gz = c
			}
		case "deflate":
			if !df.named {
				df = c
			}
		case "*":
			if star.q < 0 {
				star = cand{q: q, pos: pos}
			}
		}
	}
	if !gz.named {
		gz = cand{q: star.q, pos: 1 << 30}
	}
	if !df.named {
		df = cand{q: star.q, pos: 1<<30 + 1}
	}
	best, bq, bpos := "", 0.0, 0
	for _, c := range []struct {
		name string
		cand
	}{{"gzip", gz}, {"deflate", df}} {
		if c.q <= 0 {
			continue
		}
		if best == "" || c.q > bq || (c.q == bq && c.pos < bpos) {
			best, bq, bpos = c.name, c.q, c.pos
		}
	}
	return best
}

// writeBody writes a JSON body, gzip-compressed when the client accepts it,
// with the CRC32 of the bytes actually sent.
func (s *Server) writeBody(ctx *fasthttp.RequestCtx, status int, ct []byte, body []byte) {
	ctx.Response.Header.SetContentTypeBytes(ct)
	if len(body) > CompressMin {
		switch responseCoding(ctx.Request.Header.Peek("Accept-Encoding")) {
		case "gzip":
			var buf bytes.Buffer
			zw := gzipWriters.Get().(*gzip.Writer)
			zw.Reset(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
			gzipWriters.Put(zw)
			body = buf.Bytes()
			ctx.Response.Header.Set("Content-Encoding", "gzip")
		case "deflate":
			var buf bytes.Buffer
			zw := zlib.NewWriter(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = buf.Bytes()
			ctx.Response.Header.Set("Content-Encoding", "deflate")
		}
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.Set(hdrCRC, strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	ctx.Response.SetBodyRaw(body)
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func writeRaw(ctx *fasthttp.RequestCtx, status int, ct string, body []byte) {
	if ct != "" {
		ctx.Response.Header.SetContentType(ct)
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.Set(hdrCRC, strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	ctx.Response.SetBodyRaw(body)
}

func (s *Server) writeError(ctx *fasthttp.RequestCtx, ct []byte, e *ddb.Error) {
	s.writeBody(ctx, e.Status, ct, ErrorBody(e))
}

// ErrorBody renders a DynamoDB error as its JSON body.
func ErrorBody(e *ddb.Error) []byte {
	b := make([]byte, 0, 64+len(e.Message))
	b = append(b, `{"__type":`...)
	b = ddb.AppendString(b, e.Type)
	if e.Message != "" {
		if e.CapitalMessage {
			b = append(b, `,"Message":`...)
		} else {
			b = append(b, `,"message":`...)
		}
		b = ddb.AppendString(b, e.Message)
	}
	for _, f := range e.Extra {
		b = append(b, ',')
		b = ddb.AppendString(b, f.Name)
		b = append(b, ':')
		b = append(b, f.JSON...)
	}
	return append(b, '}')
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewRequestID returns a 52-character request id like DynamoDB's.
func NewRequestID() string {
	var b [52]byte
	for i := 0; i < len(b); {
		r := rand.Uint64()
		for j := 0; j < 10 && i < len(b); j++ {
			b[i] = idAlphabet[r%36]
			r /= 36
			i++
		}
	}
	return string(b[:])
}

// checkAuth validates the shape of SigV4 authentication (header or query
// string) and returns the credential scope's region and access key.
func checkAuth(r *fasthttp.Request) (region, access string, err *ddb.Error) {
	auth := string(r.Header.Peek("Authorization"))
	args := r.URI().QueryArgs()
	query := args.Has("X-Amz-Algorithm")
	if auth != "" && query {
		return "", "", &ddb.Error{Status: 400, Type: ddb.NSService + "InvalidSignatureException",
			Message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."}
	}
	if (auth == "" && !query) || (auth != "" && !strings.HasPrefix(strings.TrimSpace(auth), "AWS4-")) {
		return "", "", ddb.MissingAuthenticationToken()
	}
	var credential string
	var msg strings.Builder
	if auth != "" {
		// Fields after the algorithm, separated by commas or spaces.
		var signature, signed string
		fields := auth
		if i := strings.IndexAny(fields, ", "); i >= 0 {
			fields = fields[i:]
		} else {
			fields = ""
		}
		for fields != "" {
			i := 0
			for i < len(fields) && (fields[i] == ',' || fields[i] == ' ') {
				i++
			}
			fields = fields[i:]
			j := strings.IndexAny(fields, ", ")
			if j < 0 {
				j = len(fields)
			}
			if k, v, ok := strings.Cut(fields[:j], "="); ok {
				switch k {
				case "Credential":
					credential = v
				case "Signature":
					signature = v
				case "SignedHeaders":
					signed = v
				}
			}
			fields = fields[j:]
		}
		for _, p := range [...]struct{ name, v string }{{"Credential", credential}, {"Signature", signature}, {"SignedHeaders", signed}} {
			if p.v == "" {
				msg.WriteString("Authorization header requires '" + p.name + "' parameter. ")
			}
		}
		if len(r.Header.Peek("X-Amz-Date")) == 0 && len(r.Header.Peek("Date")) == 0 {
			msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		if msg.Len() > 0 {
			msg.WriteString("Authorization=" + auth)
		}
	} else {
		for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
			if len(args.Peek(p)) == 0 {
				msg.WriteString("AWS query-string parameters must include '" + p + "'. ")
			}
		}
		if msg.Len() > 0 {
			msg.WriteString("Re-examine the query-string parameters.")
		}
		credential = string(args.Peek("X-Amz-Credential"))
	}
	if msg.Len() > 0 {
		return "", "", ddb.IncompleteSignature(msg.String())
	}
	// keyid/date/region/service/term, trailing slashes ignored.
	scope := strings.TrimRight(credential, "/")
	if strings.Count(scope, "/") != 4 {
		return "", "", ddb.IncompleteSignature("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + credential + "'")
	}
	access, rest, _ := strings.Cut(scope, "/")
	_, rest, _ = strings.Cut(rest, "/")
	region, _, _ = strings.Cut(rest, "/")
	if region == "" {
		region = DefaultRegion
	}
	return region, access, nil
}

// ForPrefix returns a handler serving the requests whose X-Amz-Target
// names the service prefix with s, and every other request with next: two
// services on one listener (Application Auto Scaling beside DynamoDB),
// each with its own Handler and signature Verifier.
func (s *Server) ForPrefix(prefix string, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	p := []byte(prefix + ".")
	return func(ctx *fasthttp.RequestCtx) {
		if ctx.IsPost() && bytes.HasPrefix(ctx.Request.Header.PeekBytes(hdrTarget), p) {
			s.ServeFastHTTP(ctx)
			return
		}
		next(ctx)
	}
}
