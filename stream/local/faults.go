package local

import "github.com/elbstream/elbstream/stream"

// InjectPutFaults makes every later Put ask fault about each entry once it
// is routed: a non-empty code (stream.ErrCodeThrottled,
// stream.ErrCodeInternal) fails that entry with the code, and nothing is
// written for it. nil removes the hook. For tests of callers' retry paths;
// fault runs inside the commit and must not call the Stream.
func (s *Stream) InjectPutFaults(fault func(shardID string, e stream.Entry) (code string)) {
	if fault == nil {
		s.putFault.Store(nil)
		return
	}
	s.putFault.Store(&fault)
}

// InjectReadFaults makes every later Iterator.Next call fault first: a
// non-nil error (say stream.ErrThrottled or stream.ErrExpiredIterator) is
// returned, wrapped, instead of a batch, and the iterator stays where it
// was. nil removes the hook. For tests of readers' retry paths.
func (s *Stream) InjectReadFaults(fault func(shardID string) error) {
	if fault == nil {
		s.readFault.Store(nil)
		return
	}
	s.readFault.Store(&fault)
}
