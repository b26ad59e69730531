// Package lumbertest speaks the receiving side of Lumberjack v2 by hand,
// for tests that need a receiver go-lumber's server cannot play: one that
// acknowledges part of a window, or stalls after reading it.
package lumbertest

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
)

// ReadWindow reads one window of uncompressed JSON frames ('2' 'W' count,
// then '2' 'J' seq length payload per event) and returns the events'
// event.id values.
func ReadWindow(r *bufio.Reader) ([]string, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != '2' || hdr[1] != 'W' {
		return nil, io.ErrUnexpectedEOF
	}
	ids := make([]string, binary.BigEndian.Uint32(hdr[2:]))
	for i := range ids {
		var fh [10]byte // '2' 'J' seq len
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			return nil, err
		}
		payload := make([]byte, binary.BigEndian.Uint32(fh[6:]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, err
		}
		var e struct {
			Event struct{ ID string } `json:"event"`
		}
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, err
		}
		ids[i] = e.Event.ID
	}
	return ids, nil
}

// WriteACK acknowledges the events of the window up to sequence seq.
func WriteACK(w io.Writer, seq int) error {
	ack := []byte{'2', 'A', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(ack[2:], uint32(seq))
	_, err := w.Write(ack)
	return err
}
