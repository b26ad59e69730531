package elblog

import "strconv"

// classic writes the field names and units of the original Node.js
// processor: flat keys, times in whole milliseconds, status codes as the
// strings the log holds. event.id is nested as in ECS so one Logstash
// document_id setting serves both schemas.
func (e *Encoder) classic(dst []byte, f Format, p Provenance) []byte {
	v := &e.f.v
	var ts []byte
	switch f {
	case CLB:
		ts = v[0]
	case ALB:
		ts = v[1]
	case ALBConnection:
		ts = v[0]
	case NLB:
		ts = v[2]
	}
	dst = append(dst, `{"@timestamp":"`...)
	dst = timestamp(dst, ts)
	dst, obj := open(dst, `"event":{`)
	dst = append(dst, `"id":"`...)
	dst = e.eventID(dst, p)
	dst = e.closeTop(dst, obj, tkEvent)

	switch f {
	case CLB, ALB:
		o := 0
		if f == ALB {
			o = 1
		}
		received := ts
		if f == ALB && e.has(21) {
			received = v[21] // request_creation_time: when the request arrived
		}
		dst = timestamp(append(dst, `"EventReceivedTime":"`...), received)
		dst = e.optStr(dst, classicLoadBalancerName, 1+o)
		dst = e.rawStr(dst, `"PublicIpAndPort":"`, 2+o)
		dst = e.rawStr(dst, `"InternalIpAndPort":"`, 3+o)
		dst = e.millis(dst, `"TimeToForwardRequest":`, 4+o)
		dst = e.millis(dst, `"TimeTaken":`, 5+o)
		dst = e.millis(dst, `"TimeToForwardResponse":`, 6+o)
		dst = e.rawStr(dst, `"Status":"`, 7+o)
		dst = e.rawStr(dst, `"BackendStatus":"`, 8+o)
		dst = e.optUint(dst, classicBytesUploadedFromClient, 9+o)
		dst = e.optUint(dst, classicBytesDownloadedByClient, 10+o)
		method, url, _ := e.request(11 + o)
		if method != nil || url != nil {
			dst = append(dst, `"FullRequest":"`...)
			dst = e.str(dst, e.f.v[11+o], e.f.isQuoted(11+o))
		}
		if method != nil {
			dst = append(dst, `"Verb":"`...)
			dst = e.raw(dst, method)
		}
		if url != nil {
			if path := splitURL(url).path; len(path) > 0 {
				dst = append(dst, `"Path":"`...)
				dst = e.raw(dst, path)
			}
		}
		dst = e.optStr(dst, classicUserAgent, 12+o)
		dst = e.optStr(dst, classicSSLCipher, 13+o)
		dst = e.optStr(dst, classicSSLProtocol, 14+o)
		if f == ALB {
			dst = e.optStr(dst, classicRequestType, 0)
			dst = e.optStr(dst, classicTargetGroupARN, 16)
			dst = e.optStr(dst, classicTraceID, 17)
			dst = e.optStr(dst, classicDomainName, 18)
			dst = e.optStr(dst, classicErrorReason, 24)
		}
	case ALBConnection:
		dst = timestamp(append(dst, `"EventReceivedTime":"`...), ts)
		dst = append(dst, `"PublicIpAndPort":"`...)
		dst = append(dst, v[1]...) // validated ip and port
		dst = append(dst, ':')
		dst = append(dst, v[2]...)
		dst = append(dst, '"', ',')
		dst = e.optStr(dst, classicListener, 3)
		dst = e.optStr(dst, classicSSLProtocol, 4)
		dst = e.optStr(dst, classicSSLCipher, 5)
		dst = e.millis(dst, `"TlsHandshakeTime":`, 6)
		dst = e.optStr(dst, classicClientCertSubject, 7)
		dst = e.optStr(dst, classicTLSVerifyStatus, 10)
		dst = e.optStr(dst, classicConnTraceID, 11)
	case NLB:
		received := ts
		if e.has(21) {
			received = v[21] // tls_connection_creation_time
		}
		dst = timestamp(append(dst, `"EventReceivedTime":"`...), received)
		dst = e.optStr(dst, classicRequestType, 0)
		dst = e.optStr(dst, classicLoadBalancerName, 3)
		dst = e.optStr(dst, classicListener, 4)
		dst = e.rawStr(dst, `"PublicIpAndPort":"`, 5)
		dst = e.rawStr(dst, `"InternalIpAndPort":"`, 6)
		dst = e.optUint(dst, classicConnectionTime, 7)
		dst = e.optUint(dst, classicTLSHandshakeTime, 8)
		dst = e.optUint(dst, classicBytesUploadedFromClient, 9)
		dst = e.optUint(dst, classicBytesDownloadedByClient, 10)
		dst = e.optStr(dst, classicSSLCipher, 14)
		dst = e.optStr(dst, classicSSLProtocol, 15)
		dst = e.optStr(dst, classicDomainName, 17)
	}
	dst = e.extra(dst, `"Extra":"`)
	return e.endEvent(dst, shapeOf(f))
}

// rawStr appends key and field i as a string even when it is "-", as the
// Node processor did.
func (e *Encoder) rawStr(dst []byte, key string, i int) []byte {
	if i >= e.f.n {
		return dst
	}
	dst = append(dst, key...)
	return e.str(dst, e.f.v[i], e.f.isQuoted(i))
}

// millis appends key and field i, decimal seconds, as whole milliseconds
// (rounded half up), unless it is -1 or -.
func (e *Encoder) millis(dst []byte, key string, i int) []byte {
	if !e.has(i) {
		return dst
	}
	dst = append(dst, key...)
	dst = strconv.AppendUint(dst, millis(e.f.aux[i]), 10)
	return append(dst, ',')
}
