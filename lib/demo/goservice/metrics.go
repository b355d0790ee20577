package main

// The service's own pool, exported the way Go services usually do: client_golang's DBStats
// collector (go_sql_in_use_connections, go_sql_wait_count_total, …) on GET /metrics, next to
// pprof. Leakhound scrapes it beside each goroutine dump.

import (
	"database/sql"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func metricsHandler(db *sql.DB) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewDBStatsCollector(db, "billing"))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
