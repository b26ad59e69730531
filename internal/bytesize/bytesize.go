// Package bytesize formats byte counts for people, in the progress lines
// and summaries of the elbstream commands and the forwarder.
package bytesize

import "fmt"

// Format formats n bytes: 812 B, 3.4 KiB, 2.1 MiB, 1.0 GiB.
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
