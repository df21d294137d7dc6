module github.com/trpcws/trpcws

go 1.26.8
