package main

// sqlcommenter-style comments: each statement names the route and handler that sent it, so a
// leaked session that no goroutine explains (rows under context.Background()) still names its
// route in pg_stat_activity.query. The format is Google's sqlcommenter: keys and values
// URL-encoded, values in single quotes, sorted by key.

import (
	"net/url"
	"strings"
)

func sqlComment(route, action string) string {
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	return " /*action='" + esc(action) + "',route='" + esc(route) + "'*/"
}
