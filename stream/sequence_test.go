package stream

import "testing"

func TestCompareSequence(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "0", 0},
		{"", "1", -1},
		{"9", "10", -1},
		{"10", "9", 1},
		{"0010", "10", 0},
		{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899", -1},
		{"49590338271490256608559692540925702759324208523137515618", "49590338271490256608559692538361571095921575989136588898", 1},
	}
	for _, tt := range tests {
		if got := CompareSequence(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareSequence(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
