package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/console"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// node is a storage node behind a caching proxy, both with the console
// mounted, as `dynax serve` runs them, on random ports.
type node struct {
	URL, StoreURL string
	Store         *store.Node
	Proxy         *proxy.Proxy
	DB            *dynamodb.Client
}

func startNode(t *testing.T, auth string) *node {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	sn, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log, ChangeFeedRetention: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sn.Close() })
	p, err := proxy.New(proxy.Options{Backend: &storebackend.Backend{Node: sn}, Logger: log, ItemTTL: time.Minute, QueryTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c, err := console.New(console.Options{Node: "test", Auth: auth, Cache: p, Store: sn.Metrics()})
	if err != nil {
		t.Fatal(err)
	}
	srv := p.Server()
	srv.Handler = c.Mount(srv.Handler)
	n := &node{URL: serve(t, srv), Store: sn, Proxy: p}
	n.DB = dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	return n
}

// serve runs srv on a random port until the test ends and returns its URL.
func serve(t *testing.T, srv *fasthttp.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		// A browser may hold connections on which it sent nothing yet
		// (preconnects): do not wait for their idle timeout.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.ShutdownWithContext(ctx)
	})
	return "http://" + ln.Addr().String()
}

// browserCtx is the headless Chromium shared by the tests of this package
// (started once: a browser start costs about a second); each test opens a
// tab of it.
var browserCtx context.Context

func TestMain(m *testing.M) {
	code := func() int {
		path, err := exec.LookPath("chromium")
		if err != nil {
			// Tests that need the browser fail (browser reports it).
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "dynax-console-chromium-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Flag("headless", true),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 800),
		}
		actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancel()
		bctx, cancelB := chromedp.NewContext(actx)
		defer cancelB()
		if err := chromedp.Do(bctx); err != nil {
			fmt.Fprintln(os.Stderr, "cannot start chromium:", err)
			return 1
		}
		browserCtx = bctx
		return m.Run()
	}()
	os.Exit(code)
}

// browser returns a new tab (closed with the test); it fails the test
// when Chromium is missing (`make deps` installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	if browserCtx == nil {
		t.Fatal("chromium is not installed: the console's browser tests need it (make deps installs Debian's chromium)")
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// A script error in a page fails the test (the browser's own log
	// lines, such as a 400 answer, do not).
	var mu sync.Mutex
	var scriptErrs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				mu.Lock()
				scriptErrs = append(scriptErrs, m.String()+" at "+m.URL+":"+strconv.FormatInt(m.Line+1, 10))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range scriptErrs {
			t.Errorf("script error: %s", e)
		}
	})
	ctx, cancel2 := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancel2)
	return ctx
}

// run runs the steps, failing the test with the page's location and text.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond)) }()
	if err := chromedp.Do(ctx, steps...); err != nil {
		c2, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(c2, chromedp.Location())
		body, _ := chromedp.Run(c2, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// evalJS runs a script in the page, for its effect.
func evalJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, tg)
		return err
	})
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			// Errors are retried: a navigation can replace the node
			// between its query and its text.
			s, err := chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)(ctx, tg)
			if err == nil && strings.Contains(s, want) {
				return nil
			}
			if err != nil && ctx.Err() != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s never showed %q (last: %q): %w", sel, want, s, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

func TestBrowserTablesAndItems(t *testing.T) {
	t0 := time.Now()
	n := startNode(t, "off")
	t.Logf("node: %v", time.Since(t0))
	ctx := browser(t)
	t.Logf("tab: %v", time.Since(t0))

	// The landing page lists no tables; bad input shows DynamoDB's message
	// next to the field and creates nothing.
	run(t, ctx, "open the console",
		chromedp.Navigate(n.URL+"/console"),
		waitText("#tables tbody", "No tables yet."),
		chromedp.SetValue(chromedp.CSS("#ct-name"), "a"),
		chromedp.SetValue(chromedp.CSS("#ct-pk"), "id"),
		chromedp.Click(chromedp.CSS("#create-table button[type=submit]")),
		waitText("#ct-name-err", "ValidationException"),
	)
	msg := get(t, ctx, chromedp.Text(chromedp.CSS("#ct-name-err")))
	if !strings.Contains(strings.ToLower(msg), "tablename") {
		t.Errorf("name error %q: want DynamoDB's message about TableName", msg)
	}
	lt, err := n.DB.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || len(lt.TableNames) != 0 {
		t.Fatalf("after a refused create: tables %v, err %v", lt, err)
	}

	// Create a table with a sort key through the form.
	run(t, ctx, "create a table",
		chromedp.SetValue(chromedp.CSS("#ct-name"), "Movies"),
		chromedp.SetValue(chromedp.CSS("#ct-sk"), "year"),
		chromedp.SetValue(chromedp.CSS("#ct-skt"), "N"),
		chromedp.Click(chromedp.CSS("#create-table button[type=submit]")),
		waitText("#table-h", "Movies"),
		waitText("#browse-results", "0 items"),
	)
	dt, err := n.DB.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("Movies")})
	if err != nil {
		t.Fatal(err)
	}
	if len(dt.Table.KeySchema) != 2 || *dt.Table.KeySchema[1].AttributeName != "year" {
		t.Fatalf("key schema %+v", dt.Table.KeySchema)
	}
	run(t, ctx, "the list shows it",
		chromedp.Navigate(n.URL+"/console"),
		waitText("#tables tbody", "Movies"),
		waitText("#tables tbody", "On-demand"),
	)

	// Put an item through the item form (DynamoDB JSON).
	run(t, ctx, "put an item",
		chromedp.Navigate(n.URL+"/console/table?name=Movies"),
		waitText("#browse-results", "0 items"),
		chromedp.Click(chromedp.CSS("#new-item")),
		waitText("#item-h", "Create item"),
		chromedp.WaitVisible(chromedp.CSS("#item-json")),
		// Bad input first: DynamoDB's message, the field marked, nothing written.
		chromedp.SetValue(chromedp.CSS("#item-json"), `{"id":{"S":"heat"},"year":{"N":"nineteen"}}`),
		chromedp.Click(chromedp.CSS("#item-save")),
		waitText("#item-error", "ValidationException"),
		chromedp.WaitVisible(chromedp.CSS(`#item-json[aria-invalid="true"]`)),
		chromedp.SetValue(chromedp.CSS("#item-json"), `{"id":{"S":"heat"},"year":{"N":"1995"},"title":{"S":"Heat"}}`),
		chromedp.Click(chromedp.CSS("#item-save")),
		waitText("#item-error", "Saved."),
	)
	if sc, err := n.DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("Movies")}); err != nil || sc.Count != 1 {
		t.Fatalf("after a refused and an accepted put: %v items, %v", sc.Count, err)
	}
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "heat"}, "year": &types.AttributeValueMemberN{Value: "1995"}}
	gi, err := n.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Movies"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || gi.Item["title"] == nil {
		t.Fatalf("item after the form: %v, %v", gi, err)
	}

	// Edit it as plain JSON.
	run(t, ctx, "edit as plain JSON",
		chromedp.Click(chromedp.CSS("#fmt-plain")),
		chromedp.WaitVisible(chromedp.CSS("#item-json")),
	)
	plain := get(t, ctx, chromedp.Value(chromedp.CSS("#item-json")))
	if !strings.Contains(plain, `"title": "Heat"`) || !strings.Contains(plain, `"year": 1995`) {
		t.Fatalf("plain JSON view: %s", plain)
	}
	run(t, ctx, "save plain",
		chromedp.SetValue(chromedp.CSS("#item-json"), `{"id":"heat","year":1995,"title":"Heat","rating":8.3}`),
		chromedp.Click(chromedp.CSS("#item-save")),
		waitText("#item-error", "Saved."),
	)
	gi, err = n.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Movies"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := gi.Item["rating"].(*types.AttributeValueMemberN); !ok || r.Value != "8.3" {
		t.Fatalf("rating after the edit: %#v", gi.Item["rating"])
	}

	// Find it with the Query builder, which shows the CLI command; the
	// tabs answer the arrow keys.
	run(t, ctx, "query",
		chromedp.Navigate(n.URL+"/console/table?name=Movies"),
		waitText("#browse-results", "1 item"),
		chromedp.Focus(chromedp.CSS("#tab-items")),
		chromedp.KeyEvent(kb.ArrowRight),
		chromedp.WaitVisible(chromedp.CSS("#panel-query")),
	)
	if focused := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`)); focused != "tab-query" {
		t.Errorf("after ArrowRight the focus is on %q, want tab-query", focused)
	}
	run(t, ctx, "query",
		chromedp.SetValue(chromedp.CSS("#qb-pk"), "heat"),
		chromedp.SetValue(chromedp.CSS("#qb-skop"), ">="),
		chromedp.SetValue(chromedp.CSS("#qb-sk1"), "1990"),
		chromedp.Click(chromedp.CSS("#qb button[type=submit]")),
		waitText("#qb-results", "Heat"),
	)
	cli := get(t, ctx, chromedp.Text(chromedp.CSS("#qb-cli")))
	for _, want := range []string{"aws dynamodb query --endpoint-url " + n.URL, "--table-name Movies", "--key-condition-expression '#pk = :pk AND #sk >= :sk1'", `'{":pk":{"S":"heat"},":sk1":{"N":"1990"}}'`} {
		if !strings.Contains(cli, want) {
			t.Errorf("CLI command %q lacks %q", cli, want)
		}
	}

	// Delete it from its page, reached by the result's link.
	run(t, ctx, "delete",
		chromedp.Click(chromedp.CSS(`#qb-results a[href^="/console/item"]`)),
		waitText("#item-h", "Edit item"),
		waitText("#item-hints", "title: S"),
		chromedp.Click(chromedp.CSS("#item-delete")),
		waitText("#table-h", "Movies"),
		waitText("#browse-results", "0 items"),
	)
	gi, err = n.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Movies"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || gi.Item != nil {
		t.Fatalf("after delete: %v, %v", gi.Item, err)
	}
}
