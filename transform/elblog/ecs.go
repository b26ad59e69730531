package elblog

import "bytes"

// The ECS writers. Field numbers in comments are AWS's (1-based); indexes in
// code are 0-based. See doc.go for the full mapping.

// ecsHTTP writes CLB (o = 0) and ALB (o = 1) lines: ALB's first 16 fields
// are CLB's 15 with the request type in front.
func (e *Encoder) ecsHTTP(dst []byte, p Provenance, f Format, o int) []byte {
	v := &e.f.v
	status, hasStatus := e.f.num[7+o], e.has(7+o)
	method, url, version := e.request(11 + o)
	// A CLB TCP or SSL listener logs "-" status codes and "- - - " requests.
	tcp := f == CLB && !hasStatus && method == nil && url == nil

	dst = append(dst, `{"@timestamp":"`...)
	dst = timestamp(dst, v[o])

	kind := litKindWeb
	if tcp {
		kind = litKindNetwork
	}
	dst, obj := e.openEvent(dst, p, kind)
	if hasStatus {
		if status < 400 {
			dst = litSuccess.put(dst)
		} else {
			dst = litFailure.put(dst)
		}
	}
	if f == ALB {
		dst = e.optTimestamp(dst, `"start":"`, 21) // request_creation_time
	}
	dst = e.closeTop(dst, obj, tkEvent)

	dst = e.cloud(dst)

	dst, obj = open(dst, `"source":{`)
	dst = e.ipPort(dst, 2+o)
	if tcp {
		dst = e.optUint(dst, keyBytes, 9+o)
	}
	dst = e.closeTop(dst, obj, tkSource)

	dst, obj = open(dst, `"destination":{`)
	if tcp {
		dst = e.optUint(dst, keyBytes, 10+o)
	}
	if f == ALB {
		dst = e.optStr(dst, keyDomain, 18) // domain_name (SNI)
	}
	dst = e.closeTop(dst, obj, tkDestination)

	dst, obj = open(dst, `"http":{`)
	if !tcp {
		sub := len(dst)
		dst = append(dst, `"request":{`...)
		if method != nil {
			dst = append(dst, `"method":"`...)
			dst = e.raw(dst, method)
		}
		if e.has(9 + o) {
			// An object of one number: key, digits and "}," here, not
			// through optUint and wrap (a call and a presence check fewer).
			dst = append(e.num(keyBytes.put(append(dst, `"body":{`...)), 9+o), '}', ',')
		}
		dst = closeObj(dst, sub)
		sub = len(dst)
		dst = append(dst, `"response":{`...)
		dst = e.optUint(dst, keyStatusCode, 7+o)
		if e.has(10 + o) {
			dst = append(e.num(keyBytes.put(append(dst, `"body":{`...)), 10+o), '}', ',')
		}
		dst = closeObj(dst, sub)
		if version != nil {
			dst = append(dst, `"version":"`...)
			dst = e.raw(dst, version)
		}
	}
	dst = e.closeTop(dst, obj, tkHTTP)

	dst, obj = open(dst, `"url":{`)
	if url != nil {
		dst = e.url(dst, url)
	}
	dst = e.closeTop(dst, obj, tkURL)

	dst, obj = open(dst, `"user_agent":{`)
	dst = e.optStr(dst, keyOriginal, 12+o)
	dst = e.closeTop(dst, obj, tkUserAgent)

	dst, obj = open(dst, `"tls":{`)
	dst = e.optStr(dst, keyCipher, 13+o)
	dst = e.tlsVersion(dst, 14+o)
	dst = e.closeTop(dst, obj, tkTLS)

	if f == ALB {
		dst, obj = open(dst, `"trace":{`)
		dst = e.optStr(dst, keyID, 17)
		dst = e.closeTop(dst, obj, tkTrace)
	}

	dst, obj = open(dst, `"aws":{`)
	elb := len(dst)
	dst = append(dst, `"elb":{`...)
	if f == ALB {
		dst = e.optStr(dst, keyType, 0)
	}
	dst = e.optStr(dst, keyName, 1+o)
	if tcp {
		dst = litProtocolTCP.put(dst)
	} else {
		dst = litProtocolHTTP.put(dst)
	}
	sub := len(dst)
	dst = append(dst, `"backend":{`...)
	dst = e.ipPort(dst, 3+o)
	if e.has(8 + o) {
		dst = e.num(keyStatusCode.put(litHTTPResponse.put(dst)), 8+o)
		dst = append(dst, '}', '}', ',')
	}
	dst = closeObj(dst, sub)
	dst = e.seconds(dst, keyRequestProcessingTimeSec, 4+o)
	dst = e.seconds(dst, keyBackendProcessingTimeSec, 5+o)
	dst = e.seconds(dst, keyResponseProcessingTimeSec, 6+o)
	dst = e.optStr(dst, keySSLProtocol, 14+o)
	if f == ALB {
		if e.has(16) {
			dst = wrap(e.optStr(append(dst, `"target_group":{`...), keyARN, 16))
		}
		if e.has(19) {
			dst = wrap(e.optStr(append(dst, `"chosen_cert":{`...), keyARN, 19))
		}
		dst = e.optUint(dst, keyMatchedRulePriority, 20)
		dst = e.list(dst, keyActionExecuted, 22, ',')
		dst = e.optStr(dst, keyRedirectURL, 23)
		if e.has(24) {
			dst = wrap(e.optStr(append(dst, `"error":{`...), keyReason, 24))
		}
		dst = e.list(dst, keyTargetPort, 25, ' ')
		dst = e.list(dst, keyTargetStatusCode, 26, ' ')
		dst = e.optStr(dst, keyClassification, 27)
		dst = e.optStr(dst, keyClassificationReason, 28)
		dst = e.optStr(dst, keyConnTraceID, 29)
		dst = e.optStr(dst, keyTransformedHost, 30)
		dst = e.optStr(dst, keyTransformedURI, 31)
		dst = e.optStr(dst, keyRequestTransformStatus, 32)
	}
	dst = e.extra(dst, `"extra":"`)
	dst = closeObj(dst, elb)
	dst = e.closeTop(dst, obj, tkAWS)
	return e.endEvent(dst, shapeOf(f))
}

// seconds appends key (`"name":{"sec":`), the decimal seconds of field i
// and `},`, unless the field is -1 or -.
func (e *Encoder) seconds(dst []byte, k *key, i int) []byte {
	if !e.has(i) {
		return dst
	}
	return append(appendValue(k.put(dst), e.f.aux[i]), '}', ',')
}

// tlsVersion appends tls.version and tls.version_protocol derived from
// field i, when it names a known protocol.
func (e *Encoder) tlsVersion(dst []byte, i int) []byte {
	if !e.has(i) {
		return dst
	}
	version, protocol, ok := tlsVersion(e.f.v[i])
	if !ok {
		return dst
	}
	// One of six members: tls 1.0 to 1.3, ssl 2.0 and 3.0.
	k := int(version[2] - '0')
	if protocol == "ssl" {
		k = 4 + int(version[0]-'2')
	}
	return tlsMembers[k].put(dst)
}

// openEvent opens the event object with event.id, event.kind and
// event.category (kind: litKindWeb or litKindNetwork) and event.dataset,
// and returns where the object starts.
func (e *Encoder) openEvent(dst []byte, p Provenance, kind *key) ([]byte, int) {
	dst, obj := open(dst, `"event":{`)
	dst = append(dst, `"id":"`...)
	dst = e.eventID(dst, p)
	return litDataset.put(kind.put(dst)), obj
}

// cloud appends the cloud object: cloud.provider and any static cloud.*
// fields.
func (e *Encoder) cloud(dst []byte) []byte {
	dst, obj := open(dst, `"cloud":{`)
	return e.closeTop(litProvider.put(dst), obj, tkCloud)
}

// url appends url.original and its cheap parts.
func (e *Encoder) url(dst, u []byte) []byte {
	dst = append(dst, `"original":"`...)
	dst = e.raw(dst, u)
	p := splitURL(u)
	if len(p.scheme) > 0 {
		dst = append(dst, `"scheme":"`...)
		dst = e.raw(dst, p.scheme)
	}
	if len(p.domain) > 0 {
		dst = append(dst, `"domain":"`...)
		dst = e.raw(dst, p.domain)
	}
	if p.port != nil {
		dst = append(dst, `"port":`...)
		dst = append(dst, trimZeros(p.port)...)
		dst = append(dst, ',')
	}
	if len(p.path) > 0 {
		dst = append(dst, `"path":"`...)
		dst = e.raw(dst, p.path)
	}
	if len(p.query) > 0 {
		dst = append(dst, `"query":"`...)
		dst = e.raw(dst, p.query)
	}
	if len(p.fragment) > 0 {
		dst = append(dst, `"fragment":"`...)
		dst = e.raw(dst, p.fragment)
	}
	return dst
}

// ecsConn writes ALB connection log lines.
func (e *Encoder) ecsConn(dst []byte, p Provenance) []byte {
	v := &e.f.v
	dst = append(dst, `{"@timestamp":"`...)
	dst = timestamp(dst, v[0])

	dst, obj := e.openEvent(dst, p, litKindNetwork)
	if e.has(10) {
		switch s := v[10]; {
		case string(s) == "Success":
			dst = litSuccess.put(dst)
		case bytes.HasPrefix(s, []byte("Failed")):
			dst = litFailure.put(dst)
		}
	}
	dst = e.closeTop(dst, obj, tkEvent)

	dst = e.cloud(dst)

	dst, obj = open(dst, `"source":{`)
	dst = append(dst, `"ip":"`...)
	dst = append(dst, v[1]...) // validated IP
	dst = append(dst, `",`...)
	dst = e.optUint(dst, keyPort, 2)
	dst = e.closeTop(dst, obj, tkSource)

	dst, obj = open(dst, `"destination":{`)
	dst = e.optUint(dst, keyPort, 3)
	dst = e.closeTop(dst, obj, tkDestination)

	dst, obj = open(dst, `"tls":{`)
	dst = e.optStr(dst, keyCipher, 5)
	dst = e.tlsVersion(dst, 4)
	sub := len(dst)
	dst = append(dst, `"client":{`...)
	if e.has(7) || e.has(9) {
		x509 := len(dst)
		dst = append(dst, `"x509":{`...)
		if e.has(7) {
			dst = wrap(e.optStr(append(dst, `"subject":{`...), keyDistinguishedName, 7))
		}
		dst = e.optStr(dst, keySerialNumber, 9)
		dst = closeObj(dst, x509)
	}
	notBefore, notAfter, validityOK := e.validity(8)
	if validityOK {
		dst = timestamp(append(dst, `"not_before":"`...), notBefore)
		dst = timestamp(append(dst, `"not_after":"`...), notAfter)
	}
	dst = closeObj(dst, sub)
	dst = e.closeTop(dst, obj, tkTLS)

	dst, obj = open(dst, `"aws":{`)
	elb := len(dst)
	dst = append(dst, `"elb":{`...)
	dst = e.optStr(dst, keySSLProtocol, 4)
	dst = e.seconds(dst, keyTLSHandshakeLatencySec, 6)
	if !validityOK {
		dst = e.optStr(dst, keyLeafClientCertValidity, 8)
	}
	dst = e.optStr(dst, keyTLSVerifyStatus, 10)
	dst = e.optStr(dst, keyConnTraceID, 11)
	dst = e.extra(dst, `"extra":"`)
	dst = closeObj(dst, elb)
	dst = e.closeTop(dst, obj, tkAWS)
	return e.endEvent(dst, shapeConn)
}

// validity splits leaf_client_cert_validity,
// "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z".
func (e *Encoder) validity(i int) (notBefore, notAfter []byte, ok bool) {
	if !e.has(i) {
		return nil, nil, false
	}
	v := e.f.v[i]
	const nb, na = "NotBefore=", ";NotAfter="
	if !bytes.HasPrefix(v, []byte(nb)) {
		return nil, nil, false
	}
	v = v[len(nb):]
	j := bytes.Index(v, []byte(na))
	if j < 0 {
		return nil, nil, false
	}
	notBefore, notAfter = v[:j], v[j+len(na):]
	ok1, _ := isTimestamp(notBefore)
	ok2, _ := isTimestamp(notAfter)
	return notBefore, notAfter, ok1 && ok2
}

// ecsNLB writes NLB TLS access log lines.
func (e *Encoder) ecsNLB(dst []byte, p Provenance) []byte {
	v := &e.f.v
	dst = append(dst, `{"@timestamp":"`...)
	dst = timestamp(dst, v[2])

	dst, obj := e.openEvent(dst, p, litKindNetwork)
	dst = e.optTimestamp(dst, `"start":"`, 21) // tls_connection_creation_time
	dst = e.closeTop(dst, obj, tkEvent)

	dst = e.cloud(dst)

	dst, obj = open(dst, `"source":{`)
	dst = e.ipPort(dst, 5)
	dst = e.optUint(dst, keyBytes, 9)
	dst = e.closeTop(dst, obj, tkSource)

	dst, obj = open(dst, `"destination":{`)
	dst = e.ipPort(dst, 6)
	dst = e.optUint(dst, keyBytes, 10)
	dst = e.optStr(dst, keyDomain, 17)
	dst = e.closeTop(dst, obj, tkDestination)

	dst, obj = open(dst, `"tls":{`)
	dst = e.optStr(dst, keyCipher, 14)
	dst = e.tlsVersion(dst, 15)
	dst = e.optStr(dst, keyNextProtocol, 18) // alpn_fe_protocol
	dst = e.closeTop(dst, obj, tkTLS)

	dst, obj = open(dst, `"aws":{`)
	elb := len(dst)
	dst = append(dst, `"elb":{`...)
	dst = e.optStr(dst, keyType, 0)
	dst = e.optStr(dst, keyVersion, 1)
	dst = e.optStr(dst, keyName, 3)
	dst = litProtocolTCP.put(dst) // as Filebeat sets it for events without http
	dst = e.optStr(dst, keyListener, 4)
	if e.has(7) {
		dst = append(e.num(keyMS.put(append(dst, `"connection_time":{`...)), 7), '}', ',')
	}
	if e.has(8) {
		dst = append(e.num(keyMS.put(append(dst, `"tls_handshake_time":{`...)), 8), '}', ',')
	}
	dst = e.optStr(dst, keyIncomingTLSAlert, 11)
	if e.has(12) || e.has(13) {
		sub := len(dst)
		dst = append(dst, `"chosen_cert":{`...)
		dst = e.optStr(dst, keyARN, 12)
		dst = e.optStr(dst, keySerial, 13)
		dst = closeObj(dst, sub)
	}
	dst = e.optStr(dst, keySSLProtocol, 15)
	dst = e.optStr(dst, keySSLNamedGroup, 16)
	dst = e.optStr(dst, keyALPNBeProtocol, 19)
	dst = e.alpnList(dst, `"alpn_client_preference_list":[`, 20)
	dst = e.extra(dst, `"extra":"`)
	dst = closeObj(dst, elb)
	dst = e.closeTop(dst, obj, tkAWS)
	return e.endEvent(dst, shapeNLB)
}

// alpnList appends NLB's alpn_client_preference_list, "h2","http/1.1", as
// an array of strings. The field is not quoted as a whole, and its elements
// are always escaped (their quotes are the list's syntax).
func (e *Encoder) alpnList(dst []byte, key string, i int) []byte {
	if !e.has(i) {
		return dst
	}
	v := e.f.v[i]
	mark := len(dst)
	dst = append(dst, key...)
	for {
		j := bytes.IndexByte(v, ',')
		if j < 0 {
			j = len(v)
		}
		item := v[:j]
		if len(item) >= 2 && item[0] == '"' && item[len(item)-1] == '"' {
			item = item[1 : len(item)-1]
		}
		if len(item) > 0 {
			dst = append(dst, '"')
			dst = appendEscaped(dst, item)
			dst = append(dst, '"', ',')
		}
		if j == len(v) {
			break
		}
		v = v[j+1:]
	}
	return closeArray(dst, mark)
}
