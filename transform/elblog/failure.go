package elblog

// appendFailure appends the event of a line that did not parse: the line
// itself as event.original, what was wrong as error.message, and the tag
// Logstash users know from grok. Static fields are added as to any event.
func (e *Encoder) appendFailure(dst, line []byte, p Provenance, err *ParseError) []byte {
	dst = append(dst, `{"event":{"id":"`...)
	dst = e.eventID(dst, p)
	dst = append(dst, `"kind":"pipeline_error","original":"`...)
	dst = appendEscaped(dst, line)
	dst = append(dst, '"', ',')
	dst = append(dst, e.static.in[tkEvent]...)
	dst = wrap(dst)
	dst = append(dst, `"error":{"message":"`...)
	e.scratch = err.appendMessage(e.scratch[:0])
	dst = appendEscaped(dst, e.scratch)
	dst = append(dst, '"', ',')
	dst = append(dst, e.static.in[tkError]...)
	dst = wrap(dst)
	dst = append(dst, `"tags":["_elbparsefailure"],`...)
	return e.endEvent(dst, shapeFailure)
}
