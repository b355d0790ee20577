package main

// The handlers of billing-api. Four of them leak; test/fixtures/dumps/README.md holds the exact
// frames and file:line each leak produces in a goroutine dump (keep it in step when editing).
//
//	route            handler                     leak                         dump evidence
//	POST /transfer   (*api).transfer             tx never rolled back         database/sql.(*Tx).awaitDone, labels route=/transfer
//	GET  /report     (*api).report               rows never closed            database/sql.(*Rows).awaitDone, no labels
//	GET  /export     (*api).exportOrders         rows never closed (no ctx)   nothing: only an idle session holding a connection
//	GET  /proxy      (*api).proxyHealth          resp.Body never closed       net/http.(*persistConn).readLoop/writeLoop, labels route=/proxy
//	GET  /orders     (*api).listOrders           none (the victim)            database/sql.(*DB).conn under main.(*orderStore).recent
//	GET  /spawn-waiters?n=N (*api).spawnWaiters  none: N goroutines in (*orderCache).refresh waiting for a connection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

type api struct {
	db       *sql.DB
	q        func(string) string // placeholder rebinding: queries are written with "?"
	baseCtx  context.Context     // lives as long as the server; see main
	orders   *orderStore
	client   *http.Client
	upstream string
	cache    *orderCache
}

// withRouteLabels tags the request goroutine, and every goroutine it starts (database/sql's
// awaitDone watchers, net/http's connection loops), with pprof labels naming the route, so a
// goroutine profile says which endpoint created what.
func withRouteLabels(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		labels := pprof.Labels("route", route, "method", r.Method)
		pprof.Do(r.Context(), labels, func(ctx context.Context) {
			h(w, r.WithContext(ctx))
		})
	})
}

// transfer moves money between two accounts: POST /transfer?from=1&to=2&amount=100.
//
// LEAK (transaction): when the balance is too low it answers 409 and returns without
// tx.Rollback(). The transaction runs under the server's base context, so database/sql keeps a
// (*Tx).awaitDone goroutine for it and PostgreSQL shows the session "idle in transaction" with
// the SELECT below as its last query, until the process exits.
func (a *api) transfer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	from, err1 := strconv.ParseInt(r.FormValue("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.FormValue("to"), 10, 64)
	amount, err3 := strconv.ParseInt(r.FormValue("amount"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || amount <= 0 || from == to {
		http.Error(w, "want from, to (distinct account ids) and a positive amount", http.StatusBadRequest)
		return
	}

	// A transfer must complete even if the client hangs up, hence the base context.
	tx, err := a.db.BeginTx(a.baseCtx, nil)
	if err != nil {
		http.Error(w, "begin: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var balance int64
	err = tx.QueryRowContext(a.baseCtx, a.q("SELECT balance FROM accounts WHERE id = ? AND status = 'active'")+sqlComment("/transfer", "transfer"), from).Scan(&balance)
	if err != nil {
		_ = tx.Rollback()
		status := http.StatusInternalServerError
		if errors.Is(err, sql.ErrNoRows) {
			status = http.StatusNotFound
		}
		http.Error(w, "source account: "+err.Error(), status)
		return
	}
	if balance < amount {
		http.Error(w, fmt.Sprintf("insufficient funds: balance %d < %d", balance, amount), http.StatusConflict)
		return // BUG: the transaction is neither committed nor rolled back
	}
	if _, err := tx.ExecContext(a.baseCtx, a.q("UPDATE accounts SET balance = balance - ? WHERE id = ?"), amount, from); err != nil {
		_ = tx.Rollback()
		http.Error(w, "debit: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := tx.ExecContext(a.baseCtx, a.q("UPDATE accounts SET balance = balance + ? WHERE id = ?"), amount, to); err != nil {
		_ = tx.Rollback()
		http.Error(w, "credit: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if err := tx.Commit(); err != nil {
		http.Error(w, "commit: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "moved %d from %d to %d\n", amount, from, to)
}

// report lists the open orders with their notes: GET /report.
//
// LEAK (rows): an open order without a note (NULL) makes Scan fail, and the handler returns
// without rows.Close(). The query ran under the base context, so database/sql keeps a
// (*Rows).awaitDone goroutine and the connection stays checked out; PostgreSQL shows the session
// "idle". This route has no pprof labels.
func (a *api) report(w http.ResponseWriter, r *http.Request) {
	// Reports are slow and must not be cancelled by a client timeout, hence the base context.
	rows, err := a.db.QueryContext(a.baseCtx, a.q("SELECT id, customer, total_cents, note FROM orders WHERE status = 'open' ORDER BY id"))
	if err != nil {
		http.Error(w, "report: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var b strings.Builder
	for rows.Next() {
		var (
			id, total      int64
			customer, note string
		)
		if err := rows.Scan(&id, &customer, &total, &note); err != nil {
			http.Error(w, "report: "+err.Error(), http.StatusInternalServerError)
			return // BUG: rows are never closed
		}
		fmt.Fprintf(&b, "%d\t%s\t%d\t%s\n", id, customer, total, note)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, "report: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte(b.String()))
}

// exportOrders streams orders as CSV: GET /export?format=csv.
//
// LEAK (rows, no context): any other format is refused after the query has run, without
// rows.Close(). db.Query uses context.Background(), so database/sql starts no goroutine: the leak
// is invisible in a goroutine dump and shows only as an "idle" PostgreSQL session whose
// connection never returns to the pool. This route has no pprof labels.
func (a *api) exportOrders(w http.ResponseWriter, r *http.Request) {
	rows, err := a.db.Query(a.q("SELECT id, customer, total_cents, status FROM orders WHERE status <> 'cancelled' ORDER BY id") + sqlComment("/export", "exportOrders"))
	if err != nil {
		http.Error(w, "export: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" {
		http.Error(w, "export: unsupported format "+strconv.Quote(format), http.StatusBadRequest)
		return // BUG: rows are never closed
	}
	defer rows.Close()
	w.Header().Set("Content-Type", "text/csv")
	fmt.Fprintln(w, "id,customer,total_cents,status")
	for rows.Next() {
		var (
			id, total        int64
			customer, status string
		)
		if err := rows.Scan(&id, &customer, &total, &status); err != nil {
			return
		}
		fmt.Fprintf(w, "%d,%s,%d,%s\n", id, customer, total, status)
	}
}

// listOrders returns a customer's recent orders: GET /orders?customer=customer-1.
// Well behaved. When the leaks above have taken every connection, its callers wait in
// database/sql.(*DB).conn: they are the victims, not the culprits.
func (a *api) listOrders(w http.ResponseWriter, r *http.Request) {
	customer := r.URL.Query().Get("customer")
	if customer == "" {
		customer = "customer-1"
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	orders, err := a.orders.recent(ctx, customer, 20)
	if err != nil {
		http.Error(w, "orders: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(orders)
}

// proxyHealth reports whether the upstream service is up: GET /proxy.
//
// LEAK (HTTP response body): only the status code matters here, so the body is neither read nor
// closed. The client has no overall timeout, so each call strands one connection with its
// net/http.(*persistConn).readLoop and writeLoop goroutines (labelled route=/proxy: they are
// started from this handler's goroutine).
func (a *api) proxyHealth(w http.ResponseWriter, r *http.Request) {
	resp, err := a.client.Get(a.upstream + "/healthz")
	if err != nil {
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	if resp.StatusCode != http.StatusOK {
		http.Error(w, "upstream: "+resp.Status, http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "upstream %s: %s\n", a.upstream, resp.Status) // BUG: resp.Body is never closed
}

// spawnWaiters warms the order cache for many customers at once: GET /spawn-waiters?n=50000.
// It starts n goroutines (orderCache.warm) and answers at once; once the pool is exhausted they
// all wait in database/sql.(*DB).conn (used to build very large dumps).
func (a *api) spawnWaiters(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n <= 0 || n > 1_000_000 {
		http.Error(w, "want n between 1 and 1000000", http.StatusBadRequest)
		return
	}
	a.cache.warm(a.baseCtx, n)
	fmt.Fprintf(w, "spawned %d\n", n)
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte("ok\n"))
}

// dbStats exposes sql.DBStats plus goroutine counts: GET /debug/dbstats.
func (a *api) dbStats(w http.ResponseWriter, r *http.Request) {
	s := a.db.Stats()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"maxOpen":         s.MaxOpenConnections,
		"open":            s.OpenConnections,
		"inUse":           s.InUse,
		"idle":            s.Idle,
		"waitCount":       s.WaitCount,
		"waitDurationMs":  s.WaitDuration.Milliseconds(),
		"goroutines":      runtime.NumGoroutine(),
		"warmersInFlight": a.cache.inFlight.Load(),
	})
}

// forceGC runs a garbage collection: GET /debug/gc. A goroutine dump prints how long a goroutine
// has been blocked ("[select, 3 minutes]") only once a GC has seen it blocked, and Go 1.19 dates
// it from the start of the GC cycle before that one: call this twice to date blocked goroutines.
func (a *api) forceGC(w http.ResponseWriter, r *http.Request) {
	runtime.GC()
	_, _ = w.Write([]byte("ok\n"))
}
