package output

import "bytes"

// validObjects checks that every event looks like one JSON object: it
// starts with '{' and ends with '}'. It does not parse the JSON, which
// would cost as much as the send; the transform stage produces valid JSON,
// and this catches the empty, truncated or foreign records that would
// otherwise make a beats receiver drop the connection on every retry.
func validObjects(events [][]byte) error {
	for i, e := range events {
		if len(e) < 2 || e[0] != '{' || e[len(e)-1] != '}' {
			return &InvalidEventError{Index: i, Reason: "not a JSON object"}
		}
	}
	return nil
}

// validLines checks validObjects and that no event holds a newline, which
// would split it into two broken lines for a line-delimited receiver.
func validLines(events [][]byte) error {
	if err := validObjects(events); err != nil {
		return err
	}
	for i, e := range events {
		if bytes.IndexByte(e, '\n') >= 0 {
			return &InvalidEventError{Index: i, Reason: "contains a newline"}
		}
	}
	return nil
}
