package dynamodb

import (
	"fmt"
	"strings"

	"github.com/elbstream/elbstream/stream/checkpoint"
)

// orderKey returns the string that sorts byte-wise as seq orders among
// checkpoints (see the package doc), or an error for a value that is
// neither a sentinel nor a decimal sequence number.
func orderKey(seq string) (string, error) {
	switch seq {
	case checkpoint.TrimHorizon, checkpoint.Latest:
		return "0", nil
	case checkpoint.ShardEnd:
		return "2", nil
	}
	if err := checkpoint.Validate(seq); err != nil {
		return "", fmt.Errorf("checkpoint/dynamodb: %w", err)
	}
	digits := strings.TrimLeft(seq, "0")
	if digits == "" {
		digits = "0"
	}
	if len(digits) > 999 {
		return "", fmt.Errorf("checkpoint/dynamodb: sequence number of %d digits", len(digits))
	}
	return fmt.Sprintf("1%03d%s", len(digits), digits), nil
}
