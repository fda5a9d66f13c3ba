package bench

import (
	"hash/crc32"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"
)

// FixedGetItemBody is the answer of the floor server: a small GetItem result.
var FixedGetItemBody = []byte(`{"Item":{"pk":{"S":"key-000042"},"v":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}`)

// ServeFixed serves FixedGetItemBody to every request on ln, with the
// headers a DynamoDB answer carries. It is the floor any HTTP server or
// cache can reach on this machine.
func ServeFixed(ln net.Listener) error {
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(FixedGetItemBody)), 10)
	return fasthttp.Serve(ln, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("x-amzn-RequestId", "FIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFI")
		ctx.Response.Header.Set("x-amz-crc32", crc)
		ctx.Response.Header.SetContentType("application/x-amz-json-1.0")
		ctx.Response.SetBodyRaw(FixedGetItemBody)
	})
}
