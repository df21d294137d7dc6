//go:build js && wasm

package jsbridge

import (
	"unsafe"
)

// The functions web/index.js calls, one per event. Each returns the number
// of float64s in the output (see trpcws_header), or -1 when the call failed
// (the message is then the output bytes). Times are milliseconds on
// JavaScript's monotonic clock (performance.now, floored); 0 is a valid time.

// std is the bridge of this instance.
var std = NewBridge()

func ptr[T any](s []T) int32 {
	if cap(s) == 0 {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(s[:cap(s)]))))
}

//go:wasmexport trpcws_header
func wasmHeader() unsafe.Pointer { return unsafe.Pointer(&std.header) }

//go:wasmexport trpcws_alloc
func wasmAlloc(n int32) (p unsafe.Pointer) {
	defer func() {
		if recover() != nil {
			p = nil // JavaScript reports a failed allocation
		}
	}()
	return unsafe.Pointer(unsafe.SliceData(std.Input(int(n))))
}

//go:wasmexport trpcws_new
func wasmNew(now float64, n int32, adoptWire float64) int32 {
	return std.Call(func() { std.New(int64(now), n, int64(adoptWire)) })
}

//go:wasmexport trpcws_start_sent
func wasmStartSent(cid int32, now, handle float64, method, pathLen, n, flags int32, sentAs float64) int32 {
	return std.Call(func() { std.StartSent(cid, int64(now), int64(handle), method, pathLen, n, flags, int64(sentAs)) })
}

//go:wasmexport trpcws_free
func wasmFree(cid int32) int32 {
	return std.Call(func() { std.Free(cid) })
}

//go:wasmexport trpcws_start
func wasmStart(cid int32, now, handle float64, method, pathLen, n, flags int32, timeoutMs float64) int32 {
	return std.Call(func() { std.Start(cid, int64(now), int64(handle), method, pathLen, n, flags, timeoutMs) })
}

//go:wasmexport trpcws_cancel
func wasmCancel(cid int32, now, handle float64) int32 {
	return std.Call(func() { std.Cancel(cid, int64(now), int64(handle)) })
}

//go:wasmexport trpcws_url
func wasmURL(cid int32, n int32) int32 {
	return std.Call(func() { std.URL(cid, n) })
}

//go:wasmexport trpcws_opened
func wasmOpened(cid int32, now float64, sock int32, hasParams int32) int32 {
	return std.Call(func() { std.Opened(cid, int64(now), sock, hasParams != 0) })
}

//go:wasmexport trpcws_message
func wasmMessage(cid int32, now float64, sock int32, n int32, ascii int32) int32 {
	return std.Call(func() { std.Message(cid, int64(now), sock, n, ascii != 0) })
}

//go:wasmexport trpcws_closed
func wasmClosed(cid int32, now float64, sock int32, code int32, cause float64) int32 {
	return std.Call(func() { std.Closed(cid, int64(now), sock, code, int64(cause)) })
}

//go:wasmexport trpcws_retry
func wasmRetry(cid int32, now float64, attempt int32, delayMs float64, giveUp int32) int32 {
	return std.Call(func() { std.Retry(cid, int64(now), attempt, delayMs, giveUp != 0) })
}

//go:wasmexport trpcws_auth
func wasmAuth(cid int32, now float64, attempt int32, cause float64) int32 {
	return std.Call(func() { std.AuthRefreshed(cid, int64(now), attempt, int64(cause)) })
}

//go:wasmexport trpcws_reconnect
func wasmReconnect(cid int32, now float64) int32 {
	return std.Call(func() { std.Reconnect(cid, int64(now)) })
}

//go:wasmexport trpcws_network
func wasmNetwork(cid int32, now float64, what int32) int32 {
	return std.Call(func() { std.Network(cid, int64(now), what) })
}

// stats is where trpcws_stats writes.
var stats [statsLen]float64

// trpcws_stats writes client cid's counters (see statsLen) and returns
// their address, or 0 when there is no such client. Unlike the other calls
// it leaves the output alone, so JavaScript may call it from a user
// callback while it carries out a call's records.
//
//go:wasmexport trpcws_stats
func wasmStats(cid int32) (p unsafe.Pointer) {
	defer func() {
		if recover() != nil {
			p = nil
		}
	}()
	if !std.Stats(cid, &stats) {
		return nil
	}
	return unsafe.Pointer(&stats)
}

//go:wasmexport trpcws_setup_failed
func wasmSetupFailed(cid int32, now float64, sock int32, cause float64) int32 {
	return std.Call(func() { std.SetupFailed(cid, int64(now), sock, int64(cause)) })
}

//go:wasmexport trpcws_transmit
func wasmTransmit(cid int32, sock int32) int32 {
	return std.Call(func() { std.Transmit(cid, sock) })
}

//go:wasmexport trpcws_tick
func wasmTick(cid int32, now float64) int32 {
	return std.Call(func() { std.Tick(cid, int64(now)) })
}

//go:wasmexport trpcws_close
func wasmClose(cid int32, now float64) int32 {
	return std.Call(func() { std.Close(cid, int64(now)) })
}

// trpcws_panic panics on purpose, inside the same recovery every call
// uses, so tests can prove a panic becomes a JavaScript Error and the
// instance keeps working. kind 0 writes through a nil pointer (a runtime error),
// kind 1 panics with a string, kind 2 indexes out of range.
//
//go:wasmexport trpcws_panic
func wasmPanic(kind int32) int32 {
	return std.Call(func() { panicOnPurpose(kind) })
}

// panicOnPurpose panics the way trpcws_panic's kind says.
func panicOnPurpose(kind int32) {
	switch kind {
	case 0:
		var p *int32
		*p = kind
	case 1:
		panic("trpcws_panic test")
	default:
		var s []int
		_ = s[kind]
	}
}
