package store

// Resource tags: TagResource, UntagResource and ListTagsOfResource on table
// ARNs. Tags live in Table.Tags (set by CreateTable too); changes store a
// modified copy of the table under controlMu.
//
// Validation follows DynamoDB's order: JSON shape, then ResourceArn
// (absent, not an ARN at all, not a table ARN), the tag list, the tags
// themselves (the rules CreateTable applies), then the table.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("TagResource", opTagResource)
	register("UntagResource", opUntagResource)
	register("ListTagsOfResource", opListTagsOfResource)
}

// Tag messages, as DynamoDB words them.
const (
	tagMsgInvalidArn   = "Invalid TableArn"
	tagMsgNoTags       = "Atleast one Tag needs to be provided as Input."
	tagMsgNoTagKeys    = "Atleast one Tag Key needs to be provided as Input."
	tagMsgNotFound     = "Requested resource not found"
	tagMsgInvalidToken = "Invalid NextToken"
)

var (
	// tagArnShape is what any ARN looks like; anything else is refused
	// as an authorization failure on the resource.
	tagArnShape = regexp.MustCompile(`^.+:.+:.+:.+:.+:.+/.+$`)
	// tagTableArn is a DynamoDB table ARN.
	tagTableArn = regexp.MustCompile(`^arn:aws:dynamodb:.+:\d+:table/[^/]{2}[^/]+$`)
)

// tagsPageSize is the most tags one ListTagsOfResource answer holds; as a
// table has at most 50 tags, one page always holds them all (a variable
// so tests can exercise NextToken).
var tagsPageSize = maxTags

type tagResourceIn struct {
	ResourceArn *string `json:"ResourceArn"`
	Tags        []Tag   `json:"Tags"`
}

type untagResourceIn struct {
	ResourceArn *string  `json:"ResourceArn"`
	TagKeys     []string `json:"TagKeys"`
}

type listTagsIn struct {
	ResourceArn *string `json:"ResourceArn"`
	NextToken   *string `json:"NextToken"`
}

// tagCheckArn applies the ResourceArn checks that come before the tag
// list's: present, then shaped like an ARN (else AccessDeniedException
// for the operation op).
func (n *Node) tagCheckArn(arn *string, op string) error {
	if arn == nil {
		return ddb.Validation(tagMsgInvalidArn)
	}
	if !tagArnShape.MatchString(*arn) {
		resource := *arn
		if resource == "" {
			resource = "*" // DynamoDB names no resource as *
		}
		return &ddb.Error{Status: 400, Type: ddb.NSService + "AccessDeniedException", CapitalMessage: true,
			Message: "User: arn:aws:iam::" + n.opts.Account + ":root is not authorized to perform: dynamodb:" + op + " on resource: " + resource}
	}
	return nil
}

// tagCheckTableArn rejects an ARN that does not name a table.
func tagCheckTableArn(arn string) error {
	if !tagTableArn.MatchString(arn) {
		return ddb.Validation(tagMsgInvalidArn + ": Invalid ResourceArn provided as input " + arn)
	}
	return nil
}

// tagTable returns the table an ARN names, or ResourceNotFoundException
// with message msg.
func (n *Node) tagTable(arn, msg string) (*Table, error) {
	t, ok := n.cat.get(n.resolveTableName(arn))
	if !ok || n.resolveTableName(arn) == arn {
		return nil, ddb.ResourceNotFound(msg)
	}
	return t, nil
}

func opTagResource(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in tagResourceIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := n.tagCheckArn(in.ResourceArn, "TagResource"); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		c := &checker{}
		c.fail(nil, "tags", cMustNotBeNull)
		return nil, c.err()
	}
	if err := tagCheckTableArn(*in.ResourceArn); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, ddb.Validation(tagMsgNoTags)
	}
	if msg := checkTags(in.Tags); msg != "" {
		return nil, ddb.Validation(msg)
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.tagTable(*in.ResourceArn, "Requested resource not found: ResourcArn: "+*in.ResourceArn+" not found")
	if err != nil {
		return nil, err
	}
	merged := slices.Clone(t.Tags)
	for _, tg := range in.Tags {
		i := slices.IndexFunc(merged, func(x Tag) bool { return x.Key != nil && *x.Key == *tg.Key })
		if i >= 0 {
			merged[i] = Tag{Key: tg.Key, Value: tg.Value}
		} else {
			merged = append(merged, Tag{Key: tg.Key, Value: tg.Value})
		}
	}
	if msg := checkTags(merged); msg != "" {
		return nil, ddb.Validation(msg)
	}
	nt := *t
	nt.Tags = merged
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	return []byte{}, nil
}

func opUntagResource(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in untagResourceIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := n.tagCheckArn(in.ResourceArn, "UntagResource"); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		c := &checker{}
		c.fail(nil, "tagKeys", cMustNotBeNull)
		return nil, c.err()
	}
	if err := tagCheckTableArn(*in.ResourceArn); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, ddb.Validation(tagMsgNoTagKeys)
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.tagTable(*in.ResourceArn, tagMsgNotFound)
	if err != nil {
		return nil, err
	}
	kept := make([]Tag, 0, len(t.Tags))
	for _, tg := range t.Tags {
		if tg.Key == nil || !slices.Contains(in.TagKeys, *tg.Key) {
			kept = append(kept, tg)
		}
	}
	if len(kept) == len(t.Tags) {
		return []byte{}, nil
	}
	nt := *t
	nt.Tags = kept
	if len(kept) == 0 {
		nt.Tags = nil
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	return []byte{}, nil
}

func opListTagsOfResource(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in listTagsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := n.tagCheckArn(in.ResourceArn, "ListTagsOfResource"); err != nil {
		return nil, err
	}
	if err := tagCheckTableArn(*in.ResourceArn); err != nil {
		return nil, err
	}
	start := 0
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, ddb.Validation(tagMsgInvalidToken)
		}
		if start, err = strconv.Atoi(string(raw)); err != nil || start < 0 {
			return nil, ddb.Validation(tagMsgInvalidToken)
		}
	}
	t, err := n.tagTable(*in.ResourceArn, "Requested resource not found: ResourcArn: "+*in.ResourceArn+" not found")
	if err != nil {
		return nil, err
	}
	tags := t.Tags
	if start > len(tags) {
		start = len(tags)
	}
	tags = tags[start:]
	var out struct {
		Tags      []Tag   `json:"Tags"`
		NextToken *string `json:"NextToken,omitempty"`
	}
	if len(tags) > tagsPageSize {
		tags = tags[:tagsPageSize]
		tok := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + tagsPageSize)))
		out.NextToken = &tok
	}
	out.Tags = append([]Tag{}, tags...)
	return json.Marshal(out)
}
