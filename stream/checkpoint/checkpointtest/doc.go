// Package checkpointtest is the contract suite every checkpoint.Store
// passes: reads and writes, numeric ordering with sentinels, fencing by
// lease (a second owner can neither set nor acquire before expiry, and can
// after), no regression except by Rewind, and exactly one winner among
// concurrent acquirers.
//
// A backend's test calls Run with a constructor:
//
//	func TestContract(t *testing.T) {
//		checkpointtest.Run(t, func(t *testing.T) checkpoint.Store { … })
//	}
package checkpointtest
