package bench

import (
	"bytes"
	"hash/crc32"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"
)

// FixedGetItemBody is the answer of the floor server: a small GetItem result.
var FixedGetItemBody = []byte(`{"Item":{"pk":{"S":"key-000042"},"v":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}`)

// fixedDescribeBody answers DescribeTable, so that the bench's set-up
// (CreateTable, then wait for ACTIVE) passes.
var fixedDescribeBody = []byte(`{"Table":{"TableName":"fixed","TableStatus":"ACTIVE"}}`)

// ServeFixed serves FixedGetItemBody to every request on ln (DescribeTable
// excepted: an ACTIVE table), with the headers a DynamoDB answer carries.
// It is the floor any HTTP server or cache can reach on this machine. It
// stores nothing: reads after writes are stale.
func ServeFixed(ln net.Listener) error {
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(FixedGetItemBody)), 10)
	dcrc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(fixedDescribeBody)), 10)
	return fasthttp.Serve(ln, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("x-amzn-RequestId", "FIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFIXEDFI")
		ctx.Response.Header.SetContentType("application/x-amz-json-1.0")
		if bytes.HasSuffix(ctx.Request.Header.Peek("X-Amz-Target"), []byte(".DescribeTable")) {
			ctx.Response.Header.Set("x-amz-crc32", dcrc)
			ctx.Response.SetBodyRaw(fixedDescribeBody)
			return
		}
		ctx.Response.Header.Set("x-amz-crc32", crc)
		ctx.Response.SetBodyRaw(FixedGetItemBody)
	})
}
