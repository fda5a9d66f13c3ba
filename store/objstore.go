package store

// Object storage for exports and imports: S3 buckets, either directories
// under <data-dir>/s3/<bucket>/ (the default, so a local user can open the
// files) or any S3-compatible service through the AWS SDK's S3 client
// (Options.S3Endpoint).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectStore is a set of S3-style buckets.
type objectStore interface {
	// BucketExists reports whether bucket exists.
	BucketExists(ctx context.Context, bucket string) (bool, error)
	// Put stores body at key in bucket, replacing what was there.
	Put(ctx context.Context, bucket, key string, body []byte) error
	// Get returns the object at key; errNoSuchKey when there is none.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// List returns the keys in bucket that start with prefix, sorted.
	List(ctx context.Context, bucket, prefix string) ([]string, error)
}

var (
	errNoSuchKey    = errors.New("store: no such object")
	errNoSuchBucket = errors.New("store: no such bucket")
)

// dirStore keeps buckets as directories under root.
type dirStore struct{ root string }

func (d dirStore) bucketDir(bucket string) (string, error) {
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == "." || bucket == ".." {
		return "", fmt.Errorf("store: invalid bucket name %q", bucket)
	}
	return filepath.Join(d.root, bucket), nil
}

func (d dirStore) path(bucket, key string) (string, error) {
	dir, err := d.bucketDir(bucket)
	if err != nil {
		return "", err
	}
	clean := filepath.Clean("/" + key)
	if clean == "/" || strings.Contains(key, "\x00") {
		return "", fmt.Errorf("store: invalid object key %q", key)
	}
	return filepath.Join(dir, filepath.FromSlash(clean)), nil
}

func (d dirStore) BucketExists(ctx context.Context, bucket string) (bool, error) {
	dir, err := d.bucketDir(bucket)
	if err != nil {
		return false, nil
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && st.IsDir(), err
}

func (d dirStore) Put(ctx context.Context, bucket, key string, body []byte) error {
	p, err := d.path(bucket, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func (d dirStore) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	p, err := d.path(bucket, key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSuchKey
	}
	return b, err
}

func (d dirStore) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	dir, err := d.bucketDir(bucket)
	if err != nil {
		return nil, errNoSuchBucket
	}
	if ok, _ := d.BucketExists(ctx, bucket); !ok {
		return nil, errNoSuchBucket
	}
	var keys []string
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(p, ".tmp") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	sort.Strings(keys)
	return keys, err
}

// s3Store is an S3-compatible service.
type s3Store struct{ c *s3.Client }

func newS3Store(endpoint, region string, pathStyle bool) (*s3Store, error) {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("store: S3 client configuration: %w", err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = pathStyle
	})
	return &s3Store{c: c}, nil
}

func (s *s3Store) BucketExists(ctx context.Context, bucket string) (bool, error) {
	_, err := s.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var nf *s3types.NotFound
	var nb *s3types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nb) {
		return false, nil
	}
	return err == nil, err
}

func (s *s3Store) Put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	return err
}

func (s *s3Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nk *s3types.NoSuchKey
	if errors.As(err, &nk) {
		return nil, errNoSuchKey
	}
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (s *s3Store) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var nb *s3types.NoSuchBucket
		if errors.As(err, &nb) {
			return nil, errNoSuchBucket
		}
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// objects returns the node's object store (created on first use).
func (n *Node) objects(region string) (objectStore, error) {
	if n.opts.S3Endpoint == "" {
		return dirStore{root: filepath.Join(n.opts.Dir, "s3")}, nil
	}
	n.s3Once.Do(func() { n.s3, n.s3Err = newS3Store(n.opts.S3Endpoint, region, n.opts.S3PathStyle) })
	return n.s3, n.s3Err
}
