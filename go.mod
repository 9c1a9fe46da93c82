module github.com/colorize-dev/colorize

go 1.26.8

require (
	gonum.org/v1/gonum v0.11.0
	gonum.org/v1/netlib v0.0.0-20220323200511-14de99971b2d
)
