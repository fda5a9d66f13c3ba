package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const tagArnPrefix = "arn:aws:dynamodb:us-east-1:000000000000:table/"

func tagList(t *testing.T, ts *testServer, arn string) map[string]string {
	t.Helper()
	out, err := ts.Client.ListTagsOfResource(bg, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsOfResource: %v", err)
	}
	if out.NextToken != nil {
		t.Fatalf("unexpected NextToken %q", *out.NextToken)
	}
	m := map[string]string{}
	for _, tg := range out.Tags {
		m[*tg.Key] = *tg.Value
	}
	return m
}

func tagsOf(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestTagResourceLifecycle(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "tagged", []string{"pk:S"}, func(in *dynamodb.CreateTableInput) {
		in.Tags = tagsOf("team", "db")
	})
	arn := tagArnPrefix + "tagged"
	if got := tagList(t, ts, arn); fmt.Sprint(got) != "map[team:db]" {
		t.Fatalf("tags from CreateTable: %v", got)
	}
	if _, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn),
		Tags: tagsOf("env", "test", "team", "storage", "empty", "")}); err != nil {
		t.Fatal(err)
	}
	if got := tagList(t, ts, arn); fmt.Sprint(got) != "map[empty: env:test team:storage]" {
		t.Fatalf("after TagResource: %v", got)
	}
	// Untagging a key that is absent is not an error.
	if _, err := ts.Client.UntagResource(bg, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn),
		TagKeys: []string{"team", "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got := tagList(t, ts, arn); fmt.Sprint(got) != "map[empty: env:test]" {
		t.Fatalf("after UntagResource: %v", got)
	}
	// The tags survive a restart (they are part of the catalog entry).
	d, _ := ts.Client.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("tagged")})
	if *d.Table.TableArn != arn {
		t.Fatalf("TableArn %s", *d.Table.TableArn)
	}
	// A table ARN of another region names the same table (one namespace per node).
	if got := tagList(t, ts, "arn:aws:dynamodb:eu-west-1:000000000000:table/tagged"); len(got) != 2 {
		t.Fatalf("other region: %v", got)
	}
}

func TestTagResourceLimits(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "lim", []string{"pk:S"})
	arn := tagArnPrefix + "lim"
	var kv []string
	for i := 0; i < 50; i++ {
		kv = append(kv, fmt.Sprintf("k%02d", i), "v")
	}
	if _, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagsOf(kv...)}); err != nil {
		t.Fatal(err)
	}
	// Re-tagging existing keys keeps the count at 50.
	if _, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagsOf("k00", "w")}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagsOf("k50", "v")})
	wantErr(t, err, "ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn")
	if got := tagList(t, ts, arn); len(got) != 50 || got["k00"] != "w" {
		t.Fatalf("tags: %d %v", len(got), got["k00"])
	}
}

func TestTagResourceErrors(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "errs", []string{"pk:S"})
	arn := tagArnPrefix + "errs"
	long := strings.Repeat("k", 129)
	cases := []struct {
		name      string
		body      string
		op        string
		code, msg string
	}{
		{"tag no arn", `{"Tags":[{"Key":"a","Value":"b"}]}`, "TagResource", "ValidationException", "Invalid TableArn"},
		{"tag not an arn", `{"ResourceArn":"nope","Tags":[{"Key":"a","Value":"b"}]}`, "TagResource", "AccessDeniedException",
			"User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:TagResource on resource: nope"},
		{"tag no tags", `{"ResourceArn":"` + arn + `"}`, "TagResource", "ValidationException",
			"1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"},
		{"tag not a table arn", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:stream/x","Tags":[{"Key":"a","Value":"b"}]}`, "TagResource",
			"ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb:us-east-1:000000000000:stream/x"},
		{"tag empty tags", `{"ResourceArn":"` + arn + `","Tags":[]}`, "TagResource", "ValidationException", "Atleast one Tag needs to be provided as Input."},
		{"tag empty key", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"","Value":"b"}]}`, "TagResource", "ValidationException",
			"The Tag Key provided is invalid, Key: "},
		{"tag long key", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"` + long + `","Value":"b"}]}`, "TagResource", "ValidationException",
			"The Tag Key provided is invalid, Key: " + long},
		{"tag long value", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"a","Value":"` + strings.Repeat("v", 257) + `"}]}`, "TagResource",
			"ValidationException", "The Tag Value provided is invalid, Value: " + strings.Repeat("v", 257)},
		{"tag aws prefix", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"aws:x","Value":"b"}]}`, "TagResource", "ValidationException",
			"Tag Key cannot be prefixed with aws:, Key: aws:x"},
		{"tag duplicate", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"a","Value":"b"},{"Key":"a","Value":"c"}]}`, "TagResource",
			"ValidationException", "Duplicate Tag Keys provided as input: Duplicate Tag Key found a"},
		{"tag unknown table", `{"ResourceArn":"` + tagArnPrefix + `nope","Tags":[{"Key":"a","Value":"b"}]}`, "TagResource",
			"ResourceNotFoundException", "Requested resource not found: ResourcArn: " + tagArnPrefix + "nope not found"},
		{"tag other account", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:111111111111:table/errs","Tags":[{"Key":"a","Value":"b"}]}`, "TagResource",
			"ResourceNotFoundException", "Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:111111111111:table/errs not found"},
		{"untag no arn", `{"TagKeys":["a"]}`, "UntagResource", "ValidationException", "Invalid TableArn"},
		{"untag no keys", `{"ResourceArn":"` + arn + `"}`, "UntagResource", "ValidationException",
			"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"},
		{"untag empty keys", `{"ResourceArn":"` + arn + `","TagKeys":[]}`, "UntagResource", "ValidationException",
			"Atleast one Tag Key needs to be provided as Input."},
		{"untag unknown table", `{"ResourceArn":"` + tagArnPrefix + `nope","TagKeys":["a"]}`, "UntagResource",
			"ResourceNotFoundException", "Requested resource not found"},
		{"list no arn", `{}`, "ListTagsOfResource", "ValidationException", "Invalid TableArn"},
		{"list not an arn", `{"ResourceArn":"x"}`, "ListTagsOfResource", "AccessDeniedException",
			"User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:ListTagsOfResource on resource: x"},
		{"list short table", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/ab"}`, "ListTagsOfResource",
			"ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb:us-east-1:000000000000:table/ab"},
		{"list unknown table", `{"ResourceArn":"` + tagArnPrefix + `nope"}`, "ListTagsOfResource",
			"ResourceNotFoundException", "Requested resource not found: ResourcArn: " + tagArnPrefix + "nope not found"},
		{"list bad token", `{"ResourceArn":"` + arn + `","NextToken":"!!"}`, "ListTagsOfResource", "ValidationException", "Invalid NextToken"},
		{"tag wrong shape", `{"ResourceArn":"` + arn + `","Tags":{"Key":"a"}}`, "TagResource", "SerializationException",
			"Start of structure or map found where not expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := itemsRaw(t, ts, c.op, c.body)
			if status != 400 || !strings.Contains(body, "#"+c.code+`"`) || !strings.Contains(body, fmt.Sprintf("%q", c.msg)) {
				t.Fatalf("got %d %s\nwant %s %q", status, body, c.code, c.msg)
			}
		})
	}
	// And through the SDK.
	_, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(tagArnPrefix + "nope"), Tags: tagsOf("a", "b")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: ResourcArn: "+tagArnPrefix+"nope not found")
	_, err = ts.Client.UntagResource(bg, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{}})
	wantErr(t, err, "ValidationException", "Atleast one Tag Key needs to be provided as Input.")
	// Nothing was changed by the failures.
	if got := tagList(t, ts, arn); len(got) != 0 {
		t.Fatalf("tags: %v", got)
	}
}

func TestTagListPaging(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "paged", []string{"pk:S"})
	arn := tagArnPrefix + "paged"
	var kv []string
	for i := 0; i < 7; i++ {
		kv = append(kv, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	if _, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagsOf(kv...)}); err != nil {
		t.Fatal(err)
	}
	old := tagsPageSize
	tagsPageSize = 3
	defer func() { tagsPageSize = old }()
	var keys []string
	var next *string
	pages := 0
	for {
		out, err := ts.Client.ListTagsOfResource(bg, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Tags) > 3 {
			t.Fatalf("page of %d", len(out.Tags))
		}
		for _, tg := range out.Tags {
			keys = append(keys, *tg.Key)
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if pages != 3 || strings.Join(keys, ",") != "k0,k1,k2,k3,k4,k5,k6" {
		t.Fatalf("%d pages: %v", pages, keys)
	}
}

// TestTagResourceConcurrent checks that concurrent TagResource calls on one
// table lose no tag (each stores a copy under controlMu).
func TestTagResourceConcurrent(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "conc", []string{"pk:S"})
	arn := tagArnPrefix + "conc"
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func(i int) {
			_, err := ts.Client.TagResource(bg, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagsOf(fmt.Sprintf("k%d", i), "v")})
			errs <- err
		}(i)
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := tagList(t, ts, arn); len(got) != 20 {
		t.Fatalf("%d tags", len(got))
	}
}
