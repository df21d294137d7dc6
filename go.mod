module github.com/trpcws/trpcws

go 1.26

require (
	github.com/coder/websocket v1.8.14
	github.com/hack-pad/safejs v0.1.1
	go.uber.org/goleak v1.3.0
)
