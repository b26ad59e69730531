//go:build !race

package kpl

const raceEnabled = false
