package checkpoint

import "testing"

func TestCompareOrdersSentinelsAndSequences(t *testing.T) {
	// Each value is after every value before it, except equal neighbours.
	order := []string{
		TrimHorizon,
		"0",
		"9",
		"10",
		"0010", // equal to 10
		"49590338271490256608559692538361571095921575989136588898",
		"49590338271490256608559692540925702759324208523137515618",
		ShardEnd,
	}
	for i, a := range order {
		for j, b := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if (a == "10" && b == "0010") || (a == "0010" && b == "10") {
				want = 0
			}
			got := Compare(a, b)
			if got < 0 {
				got = -1
			} else if got > 0 {
				got = 1
			}
			if got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
	if Compare(TrimHorizon, Latest) != 0 {
		t.Error("the start sentinels should compare equal")
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{TrimHorizon, Latest, ShardEnd, "0", "123"} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "12a", "-1", "trim_horizon", " 1"} {
		if err := Validate(bad); err == nil {
			t.Errorf("Validate(%q) accepted", bad)
		}
	}
}
