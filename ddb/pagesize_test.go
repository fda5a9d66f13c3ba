package ddb

import (
	"strings"
	"testing"
)

// TestPageSize checks PageSize against dynalite's own itemSize (compress,
// addMetaSize) for the same items: the figures were printed by dynalite 4.
// The first two are items of its recorded page-limit tests (25 of the
// first fill 1 MB less one byte).
func TestPageSize(t *testing.T) {
	cases := []struct {
		item     string
		rangeKey string
		want     int
	}{
		{`{"a":{"S":"AAAAAAAAAA"},"b":{"S":"00"},"e":{"S":"` + strings.Repeat("e", 41645) + `"}}`, "b", 41943},
		{`{"a":{"S":"00"},"b":{"S":"` + strings.Repeat("x", 43366) + `"},"c":{"N":"12.3456"},"d":{"B":"AQI="},"e":{"SS":["a","bc"]},"f":{"NS":["1.23","12.3"]},"g":{"BS":["AQI=","Ag==","AQ=="]}}`, "", 43682},
		{`{"a":{"S":"x"},"n":{"NULL":true},"t":{"BOOL":false},"l":{"L":[{"S":"a"},{"N":"-1"},{"M":{"x":{"S":"y"}}}]},"m":{"M":{"p":{"N":"100"},"q":{"L":[]}}}}`, "", 60},
		{`{"a":{"S":"x"},"r":{"N":"-12.5"},"s":{"S":"` + strings.Repeat("y", 200) + `"}}`, "r", 230},
		{`{"a":{"N":"0"},"b":{"N":"1e100"},"c":{"N":"-0.001"},"d":{"N":"123456789012345678901234567890123456"}}`, "a", 51},
		{`{"a":{"S":"k"},"b":{"B":"AAECAwQFBgcICQ=="},"c":{"S":"` + strings.Repeat("z", 16384) + `"},"d":{"S":"` + strings.Repeat("z", 127) + `"},"e":{"S":"` + strings.Repeat("z", 128) + `"},"f":{"S":"` + strings.Repeat("z", 16383) + `"}}`, "b", 33347},
	}
	for i, c := range cases {
		it, err := DecodeItem([]byte(c.item))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := PageSize(it, c.rangeKey); got != c.want {
			t.Errorf("case %d: PageSize = %d, want %d", i, got, c.want)
		}
	}
}
