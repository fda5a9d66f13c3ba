package console

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestMount: only GET and HEAD of /console and below are the console's.
func TestMount(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		console      bool
	}{
		{"GET", "/console", true}, {"HEAD", "/console/", true}, {"GET", "/console/static/app.js", true},
		{"GET", "/consolex", false}, {"GET", "/", false}, {"GET", "/metrics", false},
		{"POST", "/console", false}, {"POST", "/", false},
	} {
		passed := false
		h := c.Mount(func(*fasthttp.RequestCtx) { passed = true })
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(tc.method)
		ctx.Request.SetRequestURI(tc.path)
		h(&ctx)
		if passed == tc.console {
			t.Errorf("%s %s: console %v", tc.method, tc.path, !passed)
		}
		if tc.console && ctx.Response.StatusCode() != 200 {
			t.Errorf("%s %s: %d", tc.method, tc.path, ctx.Response.StatusCode())
		}
	}
}

// BenchmarkMountPassThrough is what the console adds to every DynamoDB
// call (a POST): compare with BenchmarkNoMount.
func BenchmarkMountPassThrough(b *testing.B) {
	c, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, c.Mount(func(*fasthttp.RequestCtx) {}))
}

func BenchmarkNoMount(b *testing.B) { benchHandler(b, func(*fasthttp.RequestCtx) {}) }

func benchHandler(b *testing.B, h fasthttp.RequestHandler) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI("/")
	b.ReportAllocs()
	for b.Loop() {
		h(&ctx)
	}
}
