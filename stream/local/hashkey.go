package local

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"math/big"
	"math/bits"
)

// hashKey is a 128-bit Kinesis hash key.
type hashKey struct{ hi, lo uint64 }

var maxHashKey = hashKey{^uint64(0), ^uint64(0)}

func (a hashKey) cmp(b hashKey) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// add1 and sub1 wrap around; callers check the bounds first.
func (a hashKey) add1() hashKey {
	lo, carry := bits.Add64(a.lo, 1, 0)
	return hashKey{a.hi + carry, lo}
}

func (a hashKey) sub1() hashKey {
	lo, borrow := bits.Sub64(a.lo, 1, 0)
	return hashKey{a.hi - borrow, lo}
}

func (a hashKey) big() *big.Int {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return new(big.Int).SetBytes(b[:])
}

// String is the decimal form Kinesis uses.
func (a hashKey) String() string { return a.big().String() }

func hashKeyFromBig(b *big.Int) hashKey {
	var buf [16]byte
	b.FillBytes(buf[:])
	return hashKey{binary.BigEndian.Uint64(buf[:8]), binary.BigEndian.Uint64(buf[8:])}
}

// partitionHash is Kinesis's routing hash: the MD5 of the partition key
// read as a big-endian 128-bit integer.
func partitionHash(key string) hashKey {
	sum := md5.Sum([]byte(key))
	return hashKey{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
}

var errHashKey = errors.New("not a decimal integer in [0, 2^128-1]")

// parseHashKey parses a decimal hash key without allocating: it runs for
// every entry that carries an ExplicitHashKey.
func parseHashKey(s string) (hashKey, error) {
	if s == "" || len(s) > 39 {
		return hashKey{}, errHashKey
	}
	var k hashKey
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return hashKey{}, errHashKey
		}
		// k = k*10 + d, failing on overflow past 2^128-1.
		hiHi, hiLo := bits.Mul64(k.hi, 10)
		loHi, loLo := bits.Mul64(k.lo, 10)
		lo, c := bits.Add64(loLo, uint64(d), 0)
		hi, c2 := bits.Add64(hiLo, loHi, c)
		if hiHi != 0 || c2 != 0 {
			return hashKey{}, errHashKey
		}
		k = hashKey{hi, lo}
	}
	return k, nil
}

// evenSplit returns the ranges of n shards splitting the hash space evenly,
// as CreateStream does: each 2^128/n keys wide, the last taking the
// remainder.
func evenSplit(n int) [][2]hashKey {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	step := new(big.Int).Div(space, big.NewInt(int64(n)))
	ranges := make([][2]hashKey, n)
	for i := range n {
		start := new(big.Int).Mul(step, big.NewInt(int64(i)))
		end := new(big.Int).Add(start, step)
		if i == n-1 {
			end = space
		}
		ranges[i] = [2]hashKey{hashKeyFromBig(start), hashKeyFromBig(end.Sub(end, big.NewInt(1)))}
	}
	return ranges
}
