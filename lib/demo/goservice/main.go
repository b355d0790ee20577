// Command billing-api is Leakhound's fixture service: a small, ordinary-looking Go HTTP service
// on PostgreSQL (github.com/lib/pq) or MySQL/MariaDB (github.com/go-sql-driver/mysql) whose
// handlers contain the connection leaks Leakhound has to find. handlers.go lists them.
//
// Build (no module downloads here, so GOPATH mode; test/support/goservice.ts does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -trimpath -o billing-api ./test/goservice
//
// Run:
//
//	billing-api -listen 127.0.0.1:0 -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -max-open 10
//
// The first line on stdout is always "listening on HOST:PORT" (the bound address, so ":0"
// works). Everything else goes to stderr, and only on failure, so that a SIGQUIT traceback
// (GOTRACEBACK=all) is the only thing there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
)

func main() {
	var (
		listen   = flag.String("listen", envOr("LISTEN_ADDR", "127.0.0.1:0"), "listen address; port 0 picks a free port")
		dsn      = flag.String("dsn", os.Getenv("DATABASE_URL"), "database URL: postgres://… or mysql://user:pass@host:port/db (env DATABASE_URL)")
		driver   = flag.String("driver", os.Getenv("DB_DRIVER"), "postgres or mysql (default: from the DSN scheme)")
		maxOpen  = flag.Int("max-open", envInt("DB_MAX_OPEN", 10), "sql.DB SetMaxOpenConns (env DB_MAX_OPEN)")
		maxIdle  = flag.Int("max-idle", envInt("DB_MAX_IDLE", 2), "sql.DB SetMaxIdleConns (env DB_MAX_IDLE)")
		upstream = flag.String("upstream", os.Getenv("UPSTREAM_URL"), "base URL whose /healthz the /proxy handler checks (default: this service)")
		orphan   = flag.Bool("exit-on-stdin-eof", os.Getenv("EXIT_ON_STDIN_EOF") == "1", "exit when stdin reaches EOF (the parent process went away)")
		srcAddr  = flag.String("db-source-addr", os.Getenv("DB_SOURCE_ADDR"), "local address the database connections leave from (PostgreSQL only)")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("billing-api: ")
	if *dsn == "" {
		log.Print("missing -dsn (or DATABASE_URL)")
		os.Exit(2)
	}
	drv, source, err := driverSource(*driver, *dsn)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}

	db, err := openDB(drv, source, *srcAddr)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	db.SetMaxOpenConns(*maxOpen)
	db.SetMaxIdleConns(*maxIdle)
	db.SetConnMaxLifetime(30 * time.Minute)

	// The server's base context lives as long as the process: work that must not be cut short by
	// an impatient client (transfers, reports) runs under it. It is cancelled only on SIGTERM or
	// SIGINT (not SIGQUIT, which must stay the runtime's "dump all goroutines and exit").
	baseCtx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	if *orphan {
		go exitWhenParentGone()
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
	self := "http://" + ln.Addr().String()
	if *upstream == "" {
		*upstream = self
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 5 * time.Second
	orders := &orderStore{db: db, q: rebinder(drv)}
	a := &api{
		db:       db,
		q:        rebinder(drv),
		baseCtx:  baseCtx,
		orders:   orders,
		cache:    newOrderCache(orders),
		client:   &http.Client{Transport: transport},
		upstream: strings.TrimRight(*upstream, "/"),
	}

	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	fmt.Printf("listening on %s\n", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Print(err)
		os.Exit(1)
	case <-baseCtx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	_ = db.Close()
}

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()

	// Routes wrapped in withRouteLabels carry pprof labels; /report and /export deliberately do
	// not, so an analyzer has to find their leaks from other evidence.
	mux.Handle("/transfer", withRouteLabels("/transfer", a.transfer))
	mux.HandleFunc("/report", a.report)
	mux.HandleFunc("/export", a.exportOrders)
	mux.Handle("/orders", withRouteLabels("/orders", a.listOrders))
	mux.Handle("/proxy", withRouteLabels("/proxy", a.proxyHealth))
	mux.Handle("/spawn-waiters", withRouteLabels("/spawn-waiters", a.spawnWaiters))
	mux.HandleFunc("/healthz", a.healthz)

	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/dbstats", a.dbStats)
	mux.HandleFunc("/debug/gc", a.forceGC)
	mux.Handle("/metrics", metricsHandler(a.db))
	return mux
}

// driverSource picks the database/sql driver and turns the URL into what that driver expects.
func driverSource(driver, dsn string) (string, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("bad -dsn: %v", err)
	}
	if driver == "" {
		switch u.Scheme {
		case "postgres", "postgresql":
			driver = "postgres"
		case "mysql", "mariadb":
			driver = "mysql"
		default:
			return "", "", fmt.Errorf("cannot tell the driver from DSN scheme %q; pass -driver", u.Scheme)
		}
	}
	switch driver {
	case "postgres":
		return "postgres", dsn, nil
	case "mysql":
		if u.Scheme != "mysql" && u.Scheme != "mariadb" {
			return "mysql", dsn, nil // already a go-sql-driver DSN: user:pass@tcp(host:port)/db
		}
		cfg := mysqldriver.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		cfg.Params = map[string]string{}
		for k, v := range u.Query() {
			cfg.Params[k] = v[0]
		}
		return "mysql", cfg.FormatDSN(), nil
	default:
		return "", "", fmt.Errorf("unknown -driver %q (want postgres or mysql)", driver)
	}
}

// rebinder turns the "?" placeholders the queries are written with into the driver's own.
func rebinder(driver string) func(string) string {
	if driver != "postgres" {
		return func(q string) string { return q }
	}
	return func(q string) string {
		var b strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
}

// exitWhenParentGone ends the process when stdin closes: the test harness keeps a pipe open on
// our stdin, so its death (even a SIGKILL) never leaves this service orphaned.
func exitWhenParentGone() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	log.Print("stdin closed (parent gone); exiting")
	os.Exit(3)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		log.Fatalf("%s: %v", key, errors.Unwrap(err))
	}
	return n
}
