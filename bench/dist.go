package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// KeyChooser picks the index of the next key among n existing keys.
type KeyChooser interface {
	Next(rng *rand.Rand, n int) int
}

// NewKeyChooser returns the key distribution named dist ("uniform",
// "zipfian", "latest" or "hotspot") over records keys. theta is the
// zipfian constant (YCSB's default 0.99); hotData of the keys get hotOps of
// the operations with "hotspot".
func NewKeyChooser(dist string, records int, theta, hotData, hotOps float64) (KeyChooser, error) {
	if records < 1 {
		return nil, fmt.Errorf("bench: records must be positive")
	}
	switch dist {
	case "uniform":
		return uniform{}, nil
	case "zipfian":
		z, err := NewZipfian(records, theta)
		if err != nil {
			return nil, err
		}
		return &scrambledZipfian{z: z}, nil
	case "latest":
		z, err := NewZipfian(records, theta)
		if err != nil {
			return nil, err
		}
		return latest{z: z}, nil
	case "hotspot":
		if hotData <= 0 || hotData >= 1 || hotOps < 0 || hotOps > 1 {
			return nil, fmt.Errorf("bench: hotspot wants 0 < hot-data < 1 and 0 ≤ hot-ops ≤ 1")
		}
		return hotspot{data: hotData, ops: hotOps}, nil
	}
	return nil, fmt.Errorf("bench: unknown key distribution %q (want uniform, zipfian, latest or hotspot)", dist)
}

type uniform struct{}

func (uniform) Next(rng *rand.Rand, n int) int { return rng.IntN(n) }

// Zipfian draws integers in [0, n) where 0 is the most popular, as YCSB's
// ZipfianGenerator (Gray et al., "Quickly generating billion-record
// synthetic databases").
type Zipfian struct {
	n                              int
	theta, alpha, zetan, eta, half float64
}

// NewZipfian returns a zipfian generator over n items with constant theta
// (0 < theta < 1). Its set-up costs O(n).
func NewZipfian(n int, theta float64) (*Zipfian, error) {
	if theta <= 0 || theta >= 1 {
		return nil, fmt.Errorf("bench: zipfian theta must be in (0, 1), got %g", theta)
	}
	zetan := 0.0
	for i := 1; i <= n; i++ {
		zetan += 1 / math.Pow(float64(i), theta)
	}
	zeta2 := 1 + math.Pow(0.5, theta)
	z := &Zipfian{n: n, theta: theta, alpha: 1 / (1 - theta), zetan: zetan, half: math.Pow(0.5, theta)}
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan)
	return z, nil
}

// Next returns the next draw in [0, n).
func (z *Zipfian) Next(rng *rand.Rand) int {
	u := rng.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < 1+z.half {
		return 1
	}
	v := int(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(max(v, 0), z.n-1)
}

// scrambledZipfian spreads the popular items over the key space with a
// hash, as YCSB's ScrambledZipfianGenerator.
type scrambledZipfian struct{ z *Zipfian }

func (s *scrambledZipfian) Next(rng *rand.Rand, n int) int {
	return int(fnv64(uint64(s.z.Next(rng))) % uint64(n))
}

// fnv64 is YCSB's FNV-1a hash of a long, byte by byte.
func fnv64(v uint64) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= 1099511628211
		v >>= 8
	}
	return h
}

// latest favours the most recently inserted keys (YCSB's
// SkewedLatestGenerator).
type latest struct{ z *Zipfian }

func (l latest) Next(rng *rand.Rand, n int) int {
	return max(n-1-l.z.Next(rng), 0)
}

// hotspot sends ops of the operations to the first data of the keys.
type hotspot struct{ data, ops float64 }

func (h hotspot) Next(rng *rand.Rand, n int) int {
	hot := max(int(float64(n)*h.data), 1)
	if rng.Float64() < h.ops || hot >= n {
		return rng.IntN(hot)
	}
	return hot + rng.IntN(n-hot)
}

// SizeChooser draws item payload sizes in bytes.
type SizeChooser struct{ Min, Max int }

// ParseSize parses "N" (fixed) or "MIN..MAX" (uniform).
func ParseSize(s string) (SizeChooser, error) {
	var a, b int
	if n, _ := fmt.Sscanf(s, "%d..%d", &a, &b); n == 2 {
		if a < 0 || b < a {
			return SizeChooser{}, fmt.Errorf("bench: bad item size %q", s)
		}
		return SizeChooser{a, b}, nil
	}
	if n, _ := fmt.Sscanf(s, "%d", &a); n == 1 && a >= 0 && fmt.Sprint(a) == s {
		return SizeChooser{a, a}, nil
	}
	return SizeChooser{}, fmt.Errorf("bench: bad item size %q (want N or MIN..MAX)", s)
}

// Next returns a size.
func (s SizeChooser) Next(rng *rand.Rand) int {
	if s.Max <= s.Min {
		return s.Min
	}
	return s.Min + rng.IntN(s.Max-s.Min+1)
}
