package local

// Trim runs one pass of the background retention trim now.
func (s *Stream) Trim() error { return s.trim() }
