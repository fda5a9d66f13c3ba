package bench

import (
	"math"
	"math/bits"
)

// Histogram is a log-linear latency histogram (in the manner of HDR
// histograms): values below 256 are counted exactly, larger values in 128
// sub-buckets per power of two, so a reported value is within 1/256
// (0.4%) of the true one. Values are nanoseconds. The zero value is
// ready to use; it is not safe for concurrent use (one per worker, then
// Merge).
type Histogram struct {
	counts [histChunks]*[histSub]uint64 // allocated on first use, per power of two
	n      uint64
	sum    float64
	min    int64
	max    int64
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits // 128 sub-buckets per power of two
	histLinear  = 2 * histSub      // values below are exact
	histMaxExp  = 48               // values up to 2^56 ns (~2 years)
	histBuckets = histLinear + histMaxExp*histSub
	histChunks  = histBuckets / histSub
)

func (h *Histogram) add(i int, n uint64) {
	c := h.counts[i/histSub]
	if c == nil {
		c = new([histSub]uint64)
		h.counts[i/histSub] = c
	}
	c[i%histSub] += n
}

func histIndex(v int64) int {
	if v < histLinear {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (histSubBits + 1) // v>>shift in [128,256)
	if shift > histMaxExp {
		return histBuckets - 1
	}
	return histLinear + (shift-1)*histSub + int(v>>uint(shift)) - histSub
}

// histValue returns the midpoint of bucket i.
func histValue(i int) int64 {
	if i < histLinear {
		return int64(i)
	}
	j := i - histLinear
	shift := j/histSub + 1
	lo := int64(j%histSub+histSub) << uint(shift)
	return lo + (int64(1)<<uint(shift))/2
}

// Record adds one value (nanoseconds).
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.add(histIndex(v), 1)
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() int64 { return h.max }

// Min returns the smallest recorded value, exactly.
func (h *Histogram) Min() int64 { return h.min }

// Mean returns the mean of the recorded values.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	for ci, c := range o.counts {
		if c == nil {
			continue
		}
		for j, n := range c {
			if n > 0 {
				h.add(ci*histSub+j, n)
			}
		}
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Quantile returns the value at quantile q in [0,1]: the smallest value v
// such that at least q of the recorded values are ≤ v (within the
// histogram's precision, clamped to the exact min and max).
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for ci, c := range h.counts {
		if c == nil {
			continue
		}
		for j, n := range c {
			cum += n
			if cum >= rank {
				v := histValue(ci*histSub + j)
				return min(max(v, h.min), h.max)
			}
		}
	}
	return h.max
}
